# gauntlet — build, test and measure. `make demo` and `make test` are the two
# commands a fresh machine needs (see README.md).

GO       ?= go
BIN      ?= bin/gauntlet
# A count, not a duration: with a duration, go test can report its own
# deadline as a failure ("context deadline exceeded") when it ends mid-input.
FUZZTIME ?= 5000x
export CGO_ENABLED = 1

.PHONY: all build install test test-go fuzz fuzz-long lint vet fmt demo bench proto clean vsix

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gauntlet

install:
	$(GO) install ./cmd/gauntlet

# The whole suite: vet, unit and end-to-end tests, and a short run of every
# fuzz target. Within about 15 minutes on a 2-core machine.
test: vet test-go fuzz

test-go:
	$(GO) test -count=1 -timeout 45m ./...

# Each fuzz target runs for FUZZTIME (go test runs one target at a time).
fuzz:
	@set -e; grep -rl --include='*_test.go' '^func Fuzz' . | while read f; do \
		dir=$$(dirname $$f); \
		for t in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | sed 's/^func //'); do \
			echo "fuzz $$dir $$t ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./$$dir || exit 1; \
		done; \
	done

fuzz-long:
	$(MAKE) fuzz FUZZTIME=5m

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v -e '/testdata/' -e '^examples/broken/')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

lint: vet

fmt:
	gofmt -w $$(git ls-files '*.go')

# The main job on the built-in defaults: no model, no network.
demo: build
	@sh examples/demo.sh $(BIN)

# Long measurements; each bench/ folder records its results and command.
bench: build
	@set -e; for s in bench/*/run.sh; do echo "== $$s"; sh $$s; done

# Regenerate protobuf code with pinned tools (the generated code is committed).
proto:
	@set -e; for s in $$(find . -path ./node_modules -prune -o -name gen.sh -path '*proto*' -print); do echo "== $$s"; sh $$s; done

# The VS Code extension as bin/gauntlet-vscode.vsix: npm ci installs the pinned
# esbuild, vsce and vscode-languageclient of editors/vscode/package-lock.json;
# vsce bundles (vscode:prepublish) and packages.
vsix:
	@mkdir -p bin
	cd editors/vscode && npm ci --no-audit --no-fund && npx vsce package --no-dependencies -o ../../bin/gauntlet-vscode.vsix

clean:
	rm -rf bin

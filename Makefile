# gauntlet — build, test and measure. `make demo` and `make test` are the two
# commands a fresh machine needs (see README.md).

GO       ?= go
BIN      ?= bin/gauntlet
# A count, not a duration: with a duration, go test can report its own
# deadline as a failure ("context deadline exceeded") when it ends mid-input.
FUZZTIME ?= 5000x
export CGO_ENABLED = 1

.PHONY: all build install test test-go fuzz fuzz-long lint lint-tools staticcheck deadcode vet fmt demo bench proto clean vsix

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gauntlet

install:
	$(GO) install ./cmd/gauntlet

# The whole suite: lint (vet, gofmt, staticcheck, deadcode), unit and
# end-to-end tests, and a short run of every fuzz target. Within about 15
# minutes on a 2-core machine.
test: lint test-go fuzz

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

# staticcheck and deadcode at pinned versions (.ci/run installs them; so does
# `make lint-tools`). Either one reporting anything fails the build.
# honnef.co/go/tools v0.8.2 is staticcheck 2026.2.2, which knows Go 1.26.
STATICCHECK_VERSION = v0.8.2
# golang.org/x/tools/cmd/deadcode
DEADCODE_VERSION = v0.52.0
STATICCHECK ?= staticcheck
DEADCODE    ?= deadcode

lint: vet staticcheck deadcode

lint-tools:
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(GO) install golang.org/x/tools/cmd/deadcode@$(DEADCODE_VERSION)

# tool-version NAME MODULE VERSION: fail unless NAME on PATH is MODULE@VERSION.
tool-version = @p=$$(command -v $(1)) && $(GO) version -m "$$p" | grep -q "^[[:space:]]*mod[[:space:]]*$(2)[[:space:]]*$(3)[[:space:]]" || { echo "$(1) $(3) needed: make lint-tools (go install $(2)/...@$(3))" >&2; exit 2; }

staticcheck:
	$(call tool-version,$(STATICCHECK),honnef.co/go/tools,$(STATICCHECK_VERSION))
	$(STATICCHECK) ./...

# deadcode -test: code only tests call counts as used (test helpers are
# callers too). Functions kept on purpose for users outside this module are
# listed, each with its reason, in .ci/deadcode.allow; a listed one that is
# no longer reported is an error too, so the list stays true.
DEADCODE_ALLOW = .ci/deadcode.allow
deadcode:
	$(call tool-version,$(DEADCODE),golang.org/x/tools,$(DEADCODE_VERSION))
	@set -e; \
	found=$$($(DEADCODE) -test -f '{{range .Funcs}}{{printf "%s.%s %s\n" $$.Path .Name .Position}}{{end}}' ./...); \
	found=$$(printf '%s\n' "$$found" | sed 's|^github.com/gauntlet-dev/gauntlet/||'); \
	allowed=$$(sed -e 's/#.*//' -e 's/[[:space:]]*$$//' -e '/^$$/d' $(DEADCODE_ALLOW)); \
	bad=0; \
	for name in $$(printf '%s\n' "$$found" | cut -d' ' -f1); do \
		printf '%s\n' "$$allowed" | grep -qxF "$$name" && continue; \
		printf '%s\n' "$$found" | awk -v n="$$name" '$$1 == n { print $$2 ": unreachable func: " n }'; bad=1; \
	done; \
	for name in $$allowed; do \
		printf '%s\n' "$$found" | awk -v n="$$name" '$$1 == n { f = 1 } END { exit !f }' || { echo "$(DEADCODE_ALLOW): $$name is no longer reported: remove it"; bad=1; }; \
	done; \
	exit $$bad

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

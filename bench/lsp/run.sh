#!/bin/sh
# Edit-to-diagnostics latency on $(go env GOROOT)/src/net/http/server.go:
# one client (bench/lsp/main.go) breaks and fixes one line 40 times and times
# each didChange until the publishDiagnostics of that version, first against
# `gauntlet lsp` (built-in rule packs on, as by default), then against gopls
# v0.23.0, in the same run. A second pass runs gauntlet with the example
# plugin (plugins/examples/todo-owner) enabled, beside gopls again.
# Needs: the Go module proxy once, to install gopls v0.23.0 into bin/.
set -eu
cd "$(dirname "$0")/../.."
go build -o bin/gauntlet ./cmd/gauntlet
go build -o bin/todo-owner ./plugins/examples/todo-owner
GOPLS=bin/gopls-v0.23.0/gopls
if [ ! -x "$GOPLS" ]; then
	GOBIN="$PWD/bin/gopls-v0.23.0" go install golang.org/x/tools/gopls@v0.23.0
fi
FILE=$(go env GOROOT)/src/net/http/server.go
echo "## gauntlet (syntax + built-in rule packs) beside gopls"
go run ./bench/lsp -n "${CYCLES:-40}" \
	-server gauntlet="bin/gauntlet lsp --quiet" \
	-server gopls="$GOPLS" | tee bench/lsp/last.md

# gauntlet's analysis is file-local, so a copy of the file in a workspace
# whose .gauntlet.yaml names the plugin measures the same work plus the
# plugin's; gopls runs on the original in GOROOT, as above.
WS=$(mktemp -d)
trap 'rm -rf "$WS"' EXIT
cp "$FILE" "$WS/server.go"
printf 'plugins:\n  - name: todo-owner\n    path: %s/bin/todo-owner\n' "$PWD" > "$WS/.gauntlet.yaml"
echo
echo "## gauntlet with the todo-owner plugin beside gopls"
go run ./bench/lsp -n "${CYCLES:-40}" -file "$WS/server.go" -root "$WS" \
	-server gauntlet+plugin="bin/gauntlet lsp --quiet" | tee bench/lsp/last-plugin.md
go run ./bench/lsp -n "${CYCLES:-40}" \
	-server gopls="$GOPLS" | tee -a bench/lsp/last-plugin.md

# The editor never waits on another file: code actions on a 3-line file while
# a 17 MB Go file (server.go's declarations repeated) is opened and edited on
# the same connection.
echo
echo "## code actions on a small file while a 17 MB file is opened and edited"
go run ./bench/lsp -big 17 -server gauntlet="bin/gauntlet lsp --quiet" | tee bench/lsp/last-isolation.md

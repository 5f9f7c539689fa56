#!/bin/sh
# Edit-to-diagnostics latency on $(go env GOROOT)/src/net/http/server.go:
# one client (bench/lsp/main.go) breaks and fixes one line 40 times and times
# each didChange until the publishDiagnostics of that version, first against
# `gauntlet lsp`, then against gopls v0.23.0, in the same run.
# Needs: the Go module proxy once, to install gopls v0.23.0 into bin/.
set -eu
cd "$(dirname "$0")/../.."
go build -o bin/gauntlet ./cmd/gauntlet
GOPLS=bin/gopls-v0.23.0/gopls
if [ ! -x "$GOPLS" ]; then
	GOBIN="$PWD/bin/gopls-v0.23.0" go install golang.org/x/tools/gopls@v0.23.0
fi
go run ./bench/lsp -n "${CYCLES:-40}" \
	-server gauntlet="bin/gauntlet lsp --quiet" \
	-server gopls="$GOPLS" | tee bench/lsp/last.md

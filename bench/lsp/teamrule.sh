#!/bin/sh
# A team rule's diagnostic after an edit: `gauntlet lsp` beside `ast-grep lsp`
# (0.51.1) in one run, on a copy of $(go env GOROOT)/src/net/http/server.go in
# a workspace whose sgconfig.yml holds bench/rules/pack's 12 rules and the
# go-println rule (bench/rules/go-println.yml); both servers read the same rule
# files (RULES=one: go-println alone). Each breaking edit appends `; fmt.Println(c)` to line 1970 and is
# timed until a publication carrying go-println's diagnostic on that line; the
# fixing edit removes it and is timed until a publication without it.
# ast-grep's server asks for full document sync, so it gets the whole text in
# each change (as an editor would send it); gauntlet gets the range.
# Needs: npm once (ast-grep is installed into $AST_GREP_DIR).
set -eu
cd "$(dirname "$0")/../.."
go build -o bin/gauntlet ./cmd/gauntlet
AST_GREP_DIR=${AST_GREP_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gauntlet-ast-grep}
SG=$AST_GREP_DIR/node_modules/.bin/ast-grep
if ! "$SG" --version 2>/dev/null | grep -q '^ast-grep 0.51.1$'; then
	mkdir -p "$AST_GREP_DIR"
	npm install --silent --no-audit --no-fund --prefix "$AST_GREP_DIR" @ast-grep/cli@0.51.1
fi
SG=$(cd "$(dirname "$SG")" && pwd)/ast-grep
WS=$(mktemp -d)
trap 'rm -rf "$WS"' EXIT
cp "$(go env GOROOT)/src/net/http/server.go" "$WS/"
cp -r bench/rules/pack/sgconfig.yml bench/rules/pack/rules "$WS/"
# RULES=one: the go-println rule alone.
[ "${RULES:-pack}" = one ] && rm "$WS"/rules/*
cp bench/rules/go-println.yml "$WS/rules/"
echo "load: $(uptime)"
go run ./bench/lsp -n "${CYCLES:-40}" -file "$WS/server.go" -root "$WS" \
	-insert '; fmt.Println(c)' -expect go-println \
	-server gauntlet="$PWD/bin/gauntlet lsp --quiet" \
	-server ast-grep="$SG lsp" | tee bench/lsp/last-teamrule.md

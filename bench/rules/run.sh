#!/bin/sh
# gauntlet check with one rule (go-println) over the Go standard library's
# src, beside ast-grep 0.51.1 with the equivalent rule (go-println.yml), in
# one hyperfine run. Both scan the same files (vendor directories excluded:
# gauntlet skips them, ast-grep is told to) and must report the same
# findings, which the script checks before timing. Writes the hyperfine
# table to bench/rules/last.md.
# Needs: hyperfine, npm (ast-grep is installed into $AST_GREP_DIR), python3.
set -eu
cd "$(dirname "$0")/../.."
go build -o bin/gauntlet ./cmd/gauntlet
SRC=$(go env GOROOT)/src
AST_GREP_DIR=${AST_GREP_DIR:-${TMPDIR:-/tmp}/gauntlet-bench-ast-grep}
SG=$AST_GREP_DIR/node_modules/.bin/ast-grep
if ! "$SG" --version 2>/dev/null | grep -q '^ast-grep 0.51.1$'; then
	mkdir -p "$AST_GREP_DIR"
	npm install --silent --no-audit --no-fund --prefix "$AST_GREP_DIR" @ast-grep/cli@0.51.1
fi
GAUNTLET="bin/gauntlet check --only go-println --fail-on none"
ASTGREP="$SG scan --rule bench/rules/go-println.yml --globs '!**/vendor/**'"
out=${TMPDIR:-/tmp}/gauntlet-bench-rules
mkdir -p "$out"

# Same findings first: file, line and column of every fmt.Println call.
sh -c "$GAUNTLET --format json $SRC" >"$out/gauntlet.json"
sh -c "$ASTGREP --json=stream $SRC" >"$out/ast-grep.json"
python3 - "$out" "$PWD" <<'PY'
import json, os, sys
out, cwd = sys.argv[1:]
g = {(os.path.normpath(os.path.join(cwd, d["path"])), d["range"]["start"]["line"], d["range"]["start"]["column"])
     for d in json.load(open(f"{out}/gauntlet.json"))["diagnostics"]}
a = set()
for line in open(f"{out}/ast-grep.json"):
    d = json.loads(line)
    a.add((os.path.normpath(d["file"]), d["range"]["start"]["line"] + 1, d["range"]["start"]["column"] + 1))
if g != a:
    for x in sorted(g - a)[:10]: print("only gauntlet:", x)
    for x in sorted(a - g)[:10]: print("only ast-grep:", x)
    sys.exit(f"findings differ: gauntlet {len(g)}, ast-grep {len(a)}")
print(f"same findings: {len(g)} calls of fmt.Println in {len({f for f, _, _ in g})} files")
PY

echo "tree: $SRC ($(go version | cut -d' ' -f3)), $(find "$SRC" -name '*.go' -not -path '*/vendor/*' | wc -l) .go files outside vendor; $(nproc) CPUs"
# The third command is for information: with the syntax analyzer too, every
# file is parsed, which shows what skipping files that cannot match saves.
hyperfine --warmup 1 --runs ${RUNS:-5} --export-markdown bench/rules/last.md --export-json "$out/hyperfine.json" \
	-n "gauntlet check (go-println)" "$GAUNTLET $SRC" \
	-n "ast-grep 0.51.1 scan" "$ASTGREP $SRC" \
	-n "gauntlet check (go-println + syntax, parses every file)" "bin/gauntlet check --only go-println,syntax --fail-on none $SRC"
python3 - "$out/hyperfine.json" <<'PY'
import json, sys
g, a, _ = json.load(open(sys.argv[1]))["results"]
print(f'gauntlet median {g["median"]:.2f}s, ast-grep median {a["median"]:.2f}s: gauntlet takes {g["median"]/a["median"]:.0%} of ast-grep\'s time (goal: at most 50%)')
PY

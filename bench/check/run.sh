#!/bin/sh
# gauntlet check over the Go standard library's src, beside gofmt -l -e on the
# same tree, in one hyperfine run. Prints files/s and MB/s for both and
# writes the hyperfine table to bench/check/last.md.
# Needs: hyperfine (Debian package).
set -eu
cd "$(dirname "$0")/../.."
go build -o bin/gauntlet ./cmd/gauntlet
SRC=$(go env GOROOT)/src
files=$(find "$SRC" -type f \( -name '*.go' -o -name '*.py' -o -name '*.js' -o -name '*.mjs' -o -name '*.ts' \) -not -path '*/node_modules/*' -not -path '*/vendor/*' | wc -l)
gofiles=$(find "$SRC" -type f -name '*.go' | wc -l)
bytes=$(find "$SRC" -type f \( -name '*.go' -o -name '*.py' -o -name '*.js' -o -name '*.mjs' -o -name '*.ts' \) -not -path '*/node_modules/*' -not -path '*/vendor/*' -print0 | xargs -0 cat | wc -c)
gobytes=$(find "$SRC" -type f -name '*.go' -print0 | xargs -0 cat | wc -c)
echo "tree: $SRC ($(go version | cut -d' ' -f3)); gauntlet sees about $files files, $bytes bytes (vendor excluded); gofmt $gofiles .go files, $gobytes bytes"
hyperfine --warmup 1 --runs ${RUNS:-5} -i --export-markdown bench/check/last.md --export-json /tmp/gauntlet-check-bench.json \
	-n "gauntlet check" "bin/gauntlet check --fail-on none $SRC" \
	-n "gofmt -l -e" "gofmt -l -e $SRC"
python3 - "$files" "$bytes" "$gofiles" "$gobytes" <<'PY'
import json, sys
files, size, gofiles, gobytes = map(int, sys.argv[1:])
res = json.load(open("/tmp/gauntlet-check-bench.json"))["results"]
for r, (n, b) in zip(res, [(files, size), (gofiles, gobytes)]):
    m = r["median"]
    print(f'{r["command"]:>15}: median {m:.2f}s  {n/m:,.0f} files/s  {b/m/1e6:.1f} MB/s')
PY

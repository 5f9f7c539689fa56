#!/bin/sh
# The pattern-rule pack (bench/rules/pack: an ast-grep project of 12 Go
# rules with relational and composite operators) over Go's own src without
# vendor and testdata, run by gauntlet and by ast-grep 0.51.1 on the same
# rule files. Checks first that both report the same findings (file, line,
# column, rule), then times RUNS alternating runs of each and prints the
# medians. gauntlet runs the pack's rules only (--only), as ast-grep does
# (no syntax check).
# Needs: npm (ast-grep is installed into $AST_GREP_DIR), python3.
set -eu
cd "$(dirname "$0")/../.."
go build -o bin/gauntlet ./cmd/gauntlet
ROOT=$PWD
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}
AST_GREP_DIR=${AST_GREP_DIR:-$CACHE/gauntlet-bench-ast-grep}
SG=$AST_GREP_DIR/node_modules/.bin/ast-grep
if ! "$SG" --version 2>/dev/null | grep -q '^ast-grep 0.51.1$'; then
	mkdir -p "$AST_GREP_DIR"
	npm install --silent --no-audit --no-fund --prefix "$AST_GREP_DIR" @ast-grep/cli@0.51.1
fi
# A private copy of the tree without vendor and testdata: both tools scan
# exactly these files.
SRC=$CACHE/gauntlet-bench-gosrc
if [ ! -f "$SRC/.complete" ] || [ "$(cat "$SRC/.complete")" != "$(go version)" ]; then
	rm -rf "$SRC" && mkdir -p "$SRC"
	(cd "$(go env GOROOT)/src" && find . -type d \( -name vendor -o -name testdata \) -prune -o -name '*.go' -print | tar -cf - -T -) | (cd "$SRC" && tar -xf -)
	go version >"$SRC/.complete"
fi
ONLY=$(ls bench/rules/pack/rules | sed 's/\.yml$//' | paste -sd, -)
out=${TMPDIR:-/tmp}/gauntlet-bench-rules-pack
mkdir -p "$out"
cd bench/rules/pack
# Under heavy load the largest generated files (cmd/compile/internal/ssa/
# rewrite*.go) can exceed gauntlet's per-file parse timeout (3 s): check
# then says so and exits 2; the comparison below shows whether a finding
# was lost.
"$ROOT/bin/gauntlet" check --only "$ONLY" --fail-on none --format json "$SRC" >"$out/gauntlet.json" || echo "gauntlet check exited $?"
"$SG" scan --json=stream "$SRC" >"$out/ast-grep.json" || true
python3 - "$out" "$PWD" <<'PY'
import json, os, sys, collections
out, cwd = sys.argv[1:]
g = {(os.path.normpath(os.path.join(cwd, d["path"])), d["range"]["start"]["line"], d["range"]["start"]["column"], d["code"])
     for d in json.load(open(f"{out}/gauntlet.json"))["diagnostics"]}
a = set()
for line in open(f"{out}/ast-grep.json"):
    d = json.loads(line)
    a.add((os.path.normpath(d["file"]), d["range"]["start"]["line"] + 1, d["range"]["start"]["column"] + 1, d["ruleId"]))
if g != a:
    for x in sorted(g - a)[:10]: print("only gauntlet:", x)
    for x in sorted(a - g)[:10]: print("only ast-grep:", x)
    sys.exit(f"findings differ: gauntlet {len(g)}, ast-grep {len(a)}")
per = collections.Counter(x[3] for x in g)
print(f"same findings: {len(g)} in {len({x[0] for x in g})} files; per rule: " + ", ".join(f"{k} {v}" for k, v in sorted(per.items())))
PY
echo "tree: $SRC ($(go version | cut -d' ' -f3)), $(find "$SRC" -name '*.go' | wc -l) .go files; $(nproc) CPUs"
runs=${RUNS:-3}
: >"$out/times"
# Wall and CPU (user + system, of the tool and its children) time of one run.
timed() {
	python3 -c '
import os, resource, subprocess, sys, time
s = time.monotonic()
subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(sys.argv[1], f"{time.monotonic() - s:.2f}", f"{r.ru_utime + r.ru_stime:.2f}")
' "$@" >>"$out/times"
}
i=0
while [ $i -lt "$runs" ]; do
	timed gauntlet "$ROOT/bin/gauntlet" check --only "$ONLY" --fail-on none "$SRC"
	timed ast-grep "$SG" scan "$SRC"
	i=$((i + 1))
done
python3 - "$out/times" <<'PY'
import sys, statistics
t, c = {}, {}
for line in open(sys.argv[1]):
    k, v, cpu = line.split(); t.setdefault(k, []).append(float(v)); c.setdefault(k, []).append(float(cpu))
g, a = statistics.median(t["gauntlet"]), statistics.median(t["ast-grep"])
gc, ac = statistics.median(c["gauntlet"]), statistics.median(c["ast-grep"])
for k in t: print(f"{k}: wall " + " ".join(f"{x:.2f}s" for x in t[k]) + "; cpu " + " ".join(f"{x:.2f}s" for x in c[k]))
print(f"gauntlet median {g:.2f}s, ast-grep median {a:.2f}s: gauntlet takes {g/a:.0%} of ast-grep's time (goal: at most 50%)")
print(f"cpu (user+system) medians: gauntlet {gc:.2f}s, ast-grep {ac:.2f}s: {gc/ac:.0%}")
PY

#!/usr/bin/env bash
# Runners benchmark: on each fixture project, the framework's own run against
# `gauntlet test` (counts and pass/fail), then one-line mutants of its code:
# does `gauntlet test --affected-by` fail whenever the full run fails, and
# what share of the tests does it select?
#   go build -o /tmp/gauntlet ./cmd/gauntlet
#   GAUNTLET=/tmp/gauntlet JS=~/.cache/gauntlet-ci/js bash bench/tests/runners.sh
# (ONLY="jsrunners/jest pyunit" limits it to some projects.)
set -uo pipefail
G=${GAUNTLET:-/tmp/gauntlet}
JS=${JS:-$HOME/.cache/gauntlet-ci/js}
PY=${PY:-/usr/bin/python3}
root=$(cd "$(dirname "$0")/../.." && pwd)
export GAUNTLET_CACHE=$(mktemp -d)
echo "| project | runner | framework: pass/fail/skip | gauntlet: pass/fail/skip | mutants | killed by full run | selected run fails | misses | median share selected |"
echo "|---|---|---|---|---|---|---|---|---|"
bench() { # name runner srcfile owncmd...
	name=$1 fw=$2 src=$3; shift 3
	case " ${ONLY:-$name} " in *" $name "*) ;; *) return ;; esac
	w=$(mktemp -d)/$(basename "$name")
	cp -r "$root/examples/$name" "$w"
	[ "$fw" = pytest ] || ln -s "$JS/node_modules" "$w/node_modules"
	cd "$w"
	own=$("$@" 2>/dev/null)
	mine=$("$G" test --format json 2>/dev/null | $PY -c 'import json,sys; d=json.load(sys.stdin); s=[t["status"] for t in d["tests"]]; print("%d/%d/%d" % (s.count("pass"), s.count("fail")+s.count("error"), s.count("skip")))')
	"$G" coverage >/dev/null 2>&1
	total=$("$G" test --format json 2>/dev/null | $PY -c 'import json,sys; print(len(json.load(sys.stdin)["tests"]))')
	n=0 killed=0 fails=0 misses=0 shares=""
	while IFS= read -r mut; do
		[ -z "$mut" ] && continue
		n=$((n+1))
		cp "$src" /tmp/orig.$$
		$PY -c "import sys; L=open('$src').read().split('\n'); i,a,b=sys.argv[1].split('\t'); i=int(i); L[i]=L[i].replace(a,b,1); open('$src','w').write('\n'.join(L))" "$mut"
		diff -u --label a/$src --label b/$src /tmp/orig.$$ "$src" > /tmp/mut.$$.diff
		# the framework's own exit status on the mutant: nonzero = killed
		own_k=0
		"$@" >/dev/null 2>&1 || own_k=1
		cp /tmp/orig.$$ "$src"
		out=$("$G" test --affected-by /tmp/mut.$$.diff --format json 2>/dev/null); sel=$?
		k=$(echo "$out" | $PY -c 'import json,sys
try: d=json.load(sys.stdin); print(len(d.get("selected") or []))
except Exception: print(0)')
		shares="$shares $((100*k/total))"
		[ $own_k = 1 ] && killed=$((killed+1))
		[ $sel != 0 ] && fails=$((fails+1))
		[ $own_k = 1 ] && [ $sel = 0 ] && misses=$((misses+1))
	done < <(mutants "$src")
	med=$(echo $shares | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	echo "| $name | $fw | $own | $mine | $n | $killed | $fails | $misses | ${med}% |"
	cd "$root"
}
# mutants FILE: "line<TAB>from<TAB>to" for one-line operator/constant flips.
mutants() {
	$PY - "$1" <<'PYEOF'
import sys
flips=[(" + "," - "),(" - "," + "),(" * "," + "),(" > "," >= "),(" < "," <= "),("=== 0","!== 0"),("1000","10"),("return n","return n + 1"),("sum(sides)","max(sides)")]
for i,l in enumerate(open(sys.argv[1]).read().split("\n")):
    s=l.strip()
    if s.startswith(("#","//","\"\"\"")): continue
    for a,b in flips:
        if a in l:
            print("%d\t%s\t%s"%(i,a,b)); break
PYEOF
}
jscount() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%d/%d/%d"%(d["numPassedTests"],d["numFailedTests"],d["numPendingTests"]+d.get("numTodoTests",0)))' "$1"; }
jestown() { node node_modules/.bin/jest --json --outputFile=/tmp/own.$$.json --ci >/dev/null 2>&1; r=$?; jscount /tmp/own.$$.json; return $r; }
vitestown() { node node_modules/.bin/vitest run --reporter=json --outputFile=/tmp/own.$$.json >/dev/null 2>&1; r=$?; jscount /tmp/own.$$.json; return $r; }
mochaown() { node node_modules/.bin/mocha --reporter json >/tmp/own.$$.json 2>/dev/null; r=$?; $PY -c 'import json,sys; s=json.load(open(sys.argv[1]))["stats"]; print("%d/%d/%d"%(s["passes"],s["failures"],s["pending"]))' /tmp/own.$$.json; return $r; }
pyown() { $PY -m pytest -q -p no:cacheprovider 2>/dev/null | tail -1 | $PY -c 'import re,sys; t=sys.stdin.read(); g=lambda w: int((re.search(r"(\d+) "+w,t) or [0,0])[1]); print("%d/%d/%d"%(g("passed"),g("failed")+g("error"),g("skipped")))'; return ${PIPESTATUS[0]}; }
bench pycalc pytest calc/__init__.py pyown
bench pyunit pytest shapes/__init__.py pyown
bench jsrunners/jest jest calc.js jestown
bench jsrunners/vitest vitest calc.js vitestown
bench jsrunners/mocha mocha calc.js mochaown

package verify

import (
	"context"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
)

// TestJSValueUsesFollowScoping: which identifiers count as uses of a
// top-level TypeScript declaration under JavaScript's scoping, judged
// against a line coverage in which only the lines marked "ran" ran (the
// real runners' part is TestJSModuleValuesJudgedByUses in cmd/gauntlet).
func TestJSValueUsesFollowScoping(t *testing.T) {
	const src = `const PARAM = 1;
const ARROW = 2;
const CAUGHT = 3;
const HOISTED = 4;
const SIBLING = 5;
const DEFAULTED = 6;
const CHAINED = 7;
const VIA = CHAINED + 1;

function a(PARAM: number) { return PARAM; } // ran
const b = (ARROW) => ARROW;
function c() { try { g(); } catch (CAUGHT) { return CAUGHT; } } // ran
function d() { if (x) { var HOISTED = 0; } return HOISTED; } // ran
function e() { { let SIBLING = 0; } return SIBLING; } // ran
function f(n = DEFAULTED) { return n; } // ran
function h() { return VIA; }
`
	lines := strings.Split(src, "\n")
	prof := coverage.NewProfile()
	for i, l := range lines {
		if strings.HasPrefix(l, "function") || strings.HasPrefix(l, "const b") {
			hits := 0
			if strings.Contains(l, "// ran") {
				hits = 1
			}
			prof.Add("m.ts", coverage.Block{StartLine: i + 1, EndLine: i + 1, Stmts: 1}, hits)
		}
	}
	snap := workspace(t, map[string]string{"m.ts": src})
	r := &run{base: snap, after: snap}
	js := r.newJSValues(context.Background(), "m.ts", prof)
	if js == nil {
		t.Fatal("m.ts not read as TypeScript")
	}
	vals := js.lines("m.ts")
	for _, c := range []struct {
		line      int
		used, run bool
	}{
		{1, false, false}, // PARAM: only a parameter of that name
		{2, false, false}, // ARROW: only an arrow function's parameter
		{3, false, false}, // CAUGHT: only a catch clause's
		{4, false, false}, // HOISTED: var is the function's, so the return is its own
		{5, true, true},   // SIBLING: the let is the inner block's; the return uses the top level's
		{6, true, true},   // DEFAULTED: a default value is a use
		{7, true, false},  // CHAINED: used by VIA, which only h (never run) uses
		{8, true, false},  // VIA
	} {
		j := vals[c.line]
		if j == nil {
			t.Errorf("line %d: not a top-level value", c.line)
			continue
		}
		js.judge(j)
		if j.used != c.used || j.run != c.run {
			t.Errorf("line %d (%s): used %v run %v, want used %v run %v", c.line, lines[c.line-1], j.used, j.run, c.used, c.run)
		}
	}
}

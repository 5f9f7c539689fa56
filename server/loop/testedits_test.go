package loop

import (
	"context"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// The loop asks verify to refuse edits of tests unless the configuration
// allows them; a fix of a finding may change the test that holds it.
func TestFixTestEditsOptions(t *testing.T) {
	for _, tc := range []struct {
		config string
		p      Problem
		want   string
		at     []testrun.Lines
	}{
		{verify.TestEditsReport, Problem{Kind: KindTest, Path: "calc.go", Line: 3}, verify.TestEditsRefuse, nil},
		{verify.TestEditsRefuse, Problem{Kind: KindTest, Path: "calc.go", Line: 3}, verify.TestEditsRefuse, nil},
		{verify.TestEditsAllow, Problem{Kind: KindTest, Path: "calc.go", Line: 3}, verify.TestEditsAllow, nil},
		{verify.TestEditsReport, Problem{Kind: KindDiagnostic, Path: "calc_test.go", Line: 7}, verify.TestEditsRefuse, []testrun.Lines{{Path: "calc_test.go", Start: 7, End: 7}}},
	} {
		got := fixTestEdits(verify.Options{TestEdits: tc.config}, &tc.p)
		if got.TestEdits != tc.want || len(got.TestEditsAt) != len(tc.at) || (len(tc.at) > 0 && got.TestEditsAt[0] != tc.at[0]) {
			t.Errorf("config %q, problem %s: %q at %v, want %q at %v", tc.config, tc.p.Kind, got.TestEdits, got.TestEditsAt, tc.want, tc.at)
		}
	}
}

// An attempt that the tests gate rejects for changing a test goes back to
// the model as "the fix changes the test X, not the code"; the next
// attempt, which fixes the code, is accepted.
func TestTestEditRejectedWithEvidence(t *testing.T) {
	snap := workspace(t, map[string]string{"calc.go": calcGo, "calc_test.go": "package calc\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(2, 3) != 5 {\n\t\tt.Fatal(\"Add\")\n\t}\n}\n"})
	m := &scripted{answers: []string{
		block("calc_test.go", "\tif Add(2, 3) != 5 {\n", "\tif Add(2, 3) != -1 {\n"),
		block("calc.go", "\treturn a - b\n", "\treturn a + b\n"),
	}}
	var seen []string
	verifier := func(ctx context.Context, base *analysis.Snapshot, edit verify.Edit, opts verify.Options) (*verify.Verdict, error) {
		seen = append(seen, opts.TestEdits)
		v := &verify.Verdict{Accepted: true}
		touchesTest := analysis.EditsByPath(edit.Edits)["calc_test.go"] != nil
		for _, name := range verify.Gates {
			g := &verify.Gate{Name: name, OK: true}
			if name == verify.GateTests {
				g.Selected = []string{"calc.TestAdd"}
				if touchesTest && opts.TestEdits == verify.TestEditsRefuse {
					g.OK, g.Detail = false, "the edit changes the test calc.TestAdd, not the code (loop.allow_test_edits: true allows edits of tests)"
					g.Refused = []verify.Refusal{{Path: "calc_test.go", Reason: "changes the test calc.TestAdd"}}
					v.Accepted = false
				}
			}
			if !v.Accepted && name == verify.GateCoverage {
				g.OK, g.Skipped = false, true
			}
			v.Gates = append(v.Gates, g)
		}
		return v, nil
	}
	res, err := Run(context.Background(), snap, []Problem{testProblem(snap)}, Options{Model: m, MaxAttempts: 3, Verifier: verifier})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Attempts) != 2 || res.Attempts[0].Accepted || !res.Attempts[1].Accepted {
		t.Fatalf("attempts %+v", res.Attempts)
	}
	if r := res.Attempts[0].Reason; r != "tests: the fix changes the test calc.TestAdd, not the code" {
		t.Errorf("reason %q", r)
	}
	if len(seen) != 2 || seen[0] != verify.TestEditsRefuse {
		t.Errorf("verify options %q", seen)
	}
	msgs := m.requests[1].Messages
	last := msgs[len(msgs)-1].Content
	for _, want := range []string{"The fix changes the test calc.TestAdd (calc_test.go), not the code.", "pass as they are"} {
		if !strings.Contains(last, want) {
			t.Errorf("the second request lacks %q:\n%s", want, last)
		}
	}
}

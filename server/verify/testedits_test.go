package verify

import (
	"context"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// calcModule is a Go module whose Add subtracts: TestAdd fails.
var calcModule = map[string]string{
	"go.mod":  "module example.com/calc\n\ngo 1.21\n",
	"calc.go": "package calc\n\n// Add returns a + b.\nfunc Add(a, b int) int { return a - b }\n",
	"calc_test.go": `package calc

import "testing"

func TestAdd(t *testing.T) {
	// two and three
	if got := Add(2, 3); got != 5 {
		t.Errorf("Add(2, 3) = %d, want 5", got)
	}
}

func TestZero(t *testing.T) {
	if Add(0, 0) != 0 {
		t.Fatal("zero")
	}
}
`,
}

func testEdit(old, new string) Edit {
	return Edit{Text: "calc_test.go\n```go\n<<<<<<< SEARCH\n" + old + "\n=======\n" + new + "\n>>>>>>> REPLACE\n```\n"}
}

// An edit that changes a test's expected value is listed under
// tests_changed with its original version's outcome against the edited
// code; with TestEditsRefuse the tests gate rejects it, saying which test;
// a comment-only change of a test is no test change.
func TestTestEdits(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	weaken := testEdit("	if got := Add(2, 3); got != 5 {", "	if got := Add(2, 3); got != -1 {")
	ctx := context.Background()
	opts := Options{Sandbox: SandboxNone, CacheDir: t.TempDir()}

	snap := workspace(t, calcModule)
	v, err := Verify(ctx, snap, weaken, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Accepted || len(v.TestsChanged) != 1 {
		t.Fatalf("accepted %v, tests changed %+v (want accepted, one): %s", v.Accepted, v.TestsChanged, v.Summary())
	}
	tc := v.TestsChanged[0]
	if tc.ID != "example.com/calc.TestAdd" || tc.Change != TestChanged || tc.File != "calc_test.go" || tc.Line != 5 ||
		tc.Original != "fail" || !strings.Contains(tc.Output, "Add(2, 3) = -1, want 5") {
		t.Errorf("test change %+v", tc)
	}
	var text strings.Builder
	v.WriteText(&text)
	if !strings.Contains(text.String(), "test changed: example.com/calc.TestAdd (calc_test.go:5); its original version FAILS against the edited code") {
		t.Errorf("text:\n%s", text.String())
	}

	opts.TestEdits = TestEditsRefuse
	v, err = Verify(ctx, snap, weaken, opts)
	if err != nil {
		t.Fatal(err)
	}
	g := v.Failed()
	if v.Accepted || g == nil || g.Name != GateTests || len(g.Refused) != 1 ||
		!strings.Contains(g.Detail, "the edit changes the test example.com/calc.TestAdd, not the code") {
		t.Fatalf("refused: accepted %v, failed gate %+v", v.Accepted, g)
	}
	if v.TestsChanged[0].Original != "not run: the tests gate did not run" {
		t.Errorf("original %q", v.TestsChanged[0].Original)
	}

	// A fix of the code with a comment-only change of the test.
	fix := Edit{Text: testEdit("	// two and three", "	// 2 + 3 is 5").Text +
		"\ncalc.go\n```go\n<<<<<<< SEARCH\nfunc Add(a, b int) int { return a - b }\n=======\nfunc Add(a, b int) int { return a + b }\n>>>>>>> REPLACE\n```\n"}
	v, err = Verify(ctx, snap, fix, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Accepted || len(v.TestsChanged) != 0 {
		t.Fatalf("comment-only: accepted %v, tests changed %+v: %s", v.Accepted, v.TestsChanged, v.Summary())
	}

	// A deleted test, allowed at its place (a fix of a finding inside it).
	del := testEdit("func TestZero(t *testing.T) {\n\tif Add(0, 0) != 0 {\n\t\tt.Fatal(\"zero\")\n\t}\n}", "")
	opts.TestEditsAt = []testrun.Lines{{Path: "calc_test.go", Start: 13, End: 13}}
	v, err = Verify(ctx, snap, del, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.TestsChanged) != 1 || v.TestsChanged[0].Change != TestDeleted || v.TestsChanged[0].Original != "pass" {
		t.Fatalf("deleted: %+v", v.TestsChanged)
	}
	if g := v.Gate(GateTests); len(g.Refused) != 0 {
		t.Errorf("a test change at an allowed place was refused: %+v", g)
	}
}

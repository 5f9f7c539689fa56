package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// exampleCopy copies examples/NAME into a temporary directory, makes it the
// current directory and gives gauntlet a fresh cache there.
func exampleCopy(t *testing.T, name string) string {
	t.Helper()
	testenv.NeedTool(t, "go")
	src := filepath.Join(pkgDir, "..", "..", "examples", name)
	dst := testenv.CopyTemp(t, src)
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	t.Chdir(dst)
	return dst
}

func gauntletHere(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

type testOutput struct {
	Passed     bool     `json:"passed"`
	TotalTests int      `json:"total_tests"`
	Selected   []string `json:"selected"`
	Tests      []struct {
		ID       string `json:"id"`
		Package  string `json:"package"`
		File     string `json:"file"`
		Line     int    `json:"line"`
		Status   string `json:"status"`
		Duration *int64 `json:"duration_ms"`
		Output   string `json:"output"`
	} `json:"tests"`
	Coverage         *coverageJSON `json:"coverage"`
	UncoveredChanges []struct {
		Path  string `json:"path"`
		Lines [2]int `json:"lines"`
	} `json:"uncovered_changes"`
}

func decodeTest(t *testing.T, out string) testOutput {
	t.Helper()
	var doc testOutput
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%v in:\n%s", err, out)
	}
	return doc
}

func TestTestCommandJSON(t *testing.T) {
	exampleCopy(t, "gocalc")
	code, out, stderr := gauntletHere("test", "--format", "json", "--coverage")
	if code != exitOK {
		t.Fatalf("exit %d; stderr: %s", code, stderr)
	}
	doc := decodeTest(t, out)
	if !doc.Passed || doc.TotalTests != 7 || len(doc.Selected) != 7 || len(doc.Tests) != 7 {
		t.Fatalf("got %+v", doc)
	}
	first := doc.Tests[0]
	if first.ID != "example.com/gocalc/calc.ExampleAbs" || first.Package != "example.com/gocalc/calc" || first.File != "calc/calc_test.go" || first.Line != 39 || first.Status != "pass" || first.Duration == nil {
		t.Errorf("first test %+v", first)
	}
	if doc.Coverage == nil || doc.Coverage.Percent < 90 || len(doc.Coverage.Files) != 2 || doc.Coverage.Files[1].Path != "rpn/rpn.go" || len(doc.Coverage.Files[1].Uncovered) != 1 {
		t.Errorf("coverage %+v", doc.Coverage)
	}

	// --run narrows the scope; a failing test exits 1 with its output.
	os.WriteFile("calc/calc.go", bytes.Replace(mustRead(t, "calc/calc.go"), []byte("return a / b, nil"), []byte("return a * b, nil"), 1), 0o644)
	code, out, _ = gauntletHere("test", "calc", "--run", "Div", "--format", "json")
	doc = decodeTest(t, out)
	if code != exitFindings || doc.Passed || doc.TotalTests != 1 || doc.Tests[0].Status != "fail" || !strings.Contains(doc.Tests[0].Output, "Div(7, 2) = 14") {
		t.Errorf("exit %d, %+v", code, doc)
	}
	// Bad input exits 2.
	for _, args := range [][]string{{"test", "--format", "xml"}, {"test", "--run", "("}, {"test", "nope"}, {"test", "--affected-by", "missing.diff"}} {
		if code, _, stderr := gauntletHere(args...); code != exitError || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
}

func TestTestAffectedBy(t *testing.T) {
	dir := exampleCopy(t, "gocalc")
	// Before the edit: the map, from gauntlet coverage.
	if code, _, stderr := gauntletHere("coverage"); code != exitOK {
		t.Fatalf("coverage: exit %d: %s", code, stderr)
	}
	diff := `--- a/calc/calc.go
+++ b/calc/calc.go
@@ -29,3 +29,3 @@ func Div(a, b int) (int, error) {
 	if b == 0 {
-		return 0, ErrDivByZero
+		return 0, nil
 	}
`
	os.WriteFile(filepath.Join(dir, "edit.diff"), []byte(diff), 0o644)
	// The workspace does not hold the edit yet: gauntlet applies it in memory.
	code, out, stderr := gauntletHere("test", "--affected-by", "edit.diff", "--format", "json")
	doc := decodeTest(t, out)
	want := []string{"example.com/gocalc/calc.TestDiv", "example.com/gocalc/rpn.TestEvalErrors"}
	if code != exitFindings || !reflect.DeepEqual(doc.Selected, want) || doc.TotalTests != 7 || doc.Passed {
		t.Fatalf("exit %d, selected %q, total %d; stderr %s", code, doc.Selected, doc.TotalTests, stderr)
	}
	if !bytes.Contains(mustRead(t, "calc/calc.go"), []byte("ErrDivByZero\n\t}")) {
		t.Fatal("gauntlet test --affected-by wrote the edit to the workspace")
	}
	// The same edit already made (git diff of a dirty tree) selects the same.
	os.WriteFile("calc/calc.go", bytes.Replace(mustRead(t, "calc/calc.go"), []byte("return 0, ErrDivByZero"), []byte("return 0, nil"), 1), 0o644)
	code, out, _ = gauntletHere("test", "--affected-by", "edit.diff", "--format", "json")
	if doc = decodeTest(t, out); code != exitFindings || !reflect.DeepEqual(doc.Selected, want) {
		t.Errorf("edit on disk: exit %d, selected %q", code, doc.Selected)
	}
	os.WriteFile("calc/calc.go", bytes.Replace(mustRead(t, "calc/calc.go"), []byte("return 0, nil"), []byte("return 0, ErrDivByZero"), 1), 0o644)

	// An edit no test covers: not a pass.
	uncovered := `--- a/rpn/rpn.go
+++ b/rpn/rpn.go
@@ -30 +30 @@
-			v = calc.Sub(a, b)
+			v = calc.Sub(b, a)
`
	os.WriteFile(filepath.Join(dir, "uncovered.diff"), []byte(uncovered), 0o644)
	code, out, stderr = gauntletHere("test", "--affected-by", "uncovered.diff", "--format", "json")
	doc = decodeTest(t, out)
	if code != exitFindings || doc.Passed || len(doc.Selected) != 0 || len(doc.UncoveredChanges) != 1 || doc.UncoveredChanges[0].Path != "rpn/rpn.go" || !strings.Contains(stderr, "no test covers") {
		t.Errorf("uncovered edit: exit %d, %+v, stderr %q", code, doc, stderr)
	}
	// A patch that matches neither side is an error.
	os.WriteFile(filepath.Join(dir, "bad.diff"), []byte(strings.ReplaceAll(diff, "ErrDivByZero", "Other")), 0o644)
	if code, _, stderr := gauntletHere("test", "--affected-by", "bad.diff"); code != exitError || !strings.Contains(stderr, "neither before nor after") {
		t.Errorf("bad patch: exit %d, stderr %q", code, stderr)
	}
}

func TestCoverageCommand(t *testing.T) {
	exampleCopy(t, "gocalc")
	code, out, stderr := gauntletHere("coverage", "--tests-for", "calc/calc.go:30", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Tests []string `json:"tests"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if want := []string{"example.com/gocalc/calc.TestDiv", "example.com/gocalc/rpn.TestEvalErrors"}; !reflect.DeepEqual(got.Tests, want) {
		t.Errorf("--tests-for calc/calc.go:30 = %q, want %q", got.Tests, want)
	}
	code, out, _ = gauntletHere("coverage", "--format", "lcov")
	if code != exitOK || !strings.Contains(out, "SF:calc/calc.go\n") || !strings.Contains(out, "end_of_record") {
		t.Errorf("lcov: exit %d:\n%s", code, out)
	}
	code, out, _ = gauntletHere("coverage")
	if code != exitOK || !strings.Contains(out, "rpn/rpn.go  uncovered: 29-30") {
		t.Errorf("text: exit %d:\n%s", code, out)
	}
	if code, _, _ := gauntletHere("coverage", "--tests-for", "calc.go"); code != exitError {
		t.Errorf("--tests-for without a line: exit %d, want 2", code)
	}
}

func TestTestCommandPythonAndNode(t *testing.T) {
	for _, c := range []struct{ example, tool, failing string }{
		{"pycalc", "python3", "tests/test_calc.py::test_add"},
		{"jscalc", "node", "test/calc.test.js::add"},
	} {
		t.Run(c.example, func(t *testing.T) {
			testenv.NeedTool(t, c.tool)
			exampleCopy(t, c.example)
			code, out, stderr := gauntletHere("test", "--coverage", "--format", "json")
			doc := decodeTest(t, out)
			if code != exitOK || !doc.Passed || doc.TotalTests < 5 || doc.Coverage == nil || len(doc.Coverage.Files) == 0 {
				t.Fatalf("exit %d, %+v; stderr %s", code, doc, stderr)
			}
			found := false
			for _, tr := range doc.Tests {
				found = found || tr.ID == c.failing
			}
			if !found {
				t.Errorf("no test %s in %+v", c.failing, doc.Tests)
			}
		})
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// hangingAdd makes calc.Add loop for ever: the edit a model writes when it
// gets a loop's condition wrong.
const hangingAdd = `--- a/calc/calc.go
+++ b/calc/calc.go
@@ -13,3 +13,4 @@
 func Add(a, b int) int {
-	return clamp(a + b)
+	for {
+	}
 }
`

// A model's edit that makes a test hang is rejected once the test has run
// far longer than it does before the edit — seconds — not at the tests'
// time limit, with the test and the two durations as evidence; with the
// edited view (bubblewrap) and with the copy (no sandbox).
func TestVerifyRejectsAHangWithoutWaitingForTheLimit(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	// The limit is far off: before the hang check, verify waited for it.
	dir := gocalcCopy(t, "loop:\n  test_timeout: 2m\ntests:\n  hang_after: 1s\n")
	for _, mode := range sandboxModes(t) {
		t.Run(mode[1], func(t *testing.T) {
			code, v, out := verifyPatch(t, dir, hangingAdd, mode...)
			if code != exitFindings || v.Accepted || v.failedGate() != "tests" {
				t.Fatalf("exit %d, failed gate %q, want 1 and tests:\n%s", code, v.failedGate(), out)
			}
			// calc.TestAdd and rpn.TestEval both call Add: either may be
			// seen first.
			g := v.Gates[4]
			if len(g.Failed) != 1 || !hangsOnAdd[g.Failed[0].ID] || !strings.Contains(g.Failed[0].Output, "before the edit it passes in") {
				t.Fatalf("evidence %+v", g.Failed)
			}
			if !strings.Contains(g.Detail, g.Failed[0].ID+" was still running after") || !strings.Contains(g.Detail, "the edit makes it hang") {
				t.Errorf("detail %q does not name the hanging test", g.Detail)
			}
		})
	}
}

// gauntlet test --affected-by stops the same way: the hanging test fails,
// and says so.
func TestTestAffectedByStopsAHang(t *testing.T) {
	dir := exampleCopy(t, "gocalc")
	os.WriteFile(filepath.Join(dir, ".gauntlet.yaml"), []byte("tests:\n  hang_after: 1s\n  timeout: 2m\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "hang.diff"), []byte(hangingAdd), 0o644)
	code, out, stderr := gauntletHere("test", "--affected-by", "hang.diff", "--format", "json")
	doc := decodeTest(t, out)
	if code != exitFindings || doc.Passed {
		t.Fatalf("exit %d, passed %v; stderr %s", code, doc.Passed, stderr)
	}
	hung := 0
	for _, r := range doc.Tests {
		if hangsOnAdd[r.ID] && r.Status == "fail" && strings.Contains(r.Output, "the edit makes it hang") {
			hung++
		}
	}
	if hung != 1 {
		t.Errorf("want one test failed as hanging: %+v", doc.Tests)
	}
}

// hangsOnAdd are the tests of gocalc that hang with hangingAdd.
var hangsOnAdd = map[string]bool{"example.com/gocalc/calc.TestAdd": true, "example.com/gocalc/rpn.TestEval": true}

// The same for pytest: the model's edit that makes add() loop is rejected
// once test_add has run far longer than before the edit.
func TestVerifyRejectsAPythonHang(t *testing.T) {
	testenv.NeedTool(t, "python3")
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	dir := filepath.Join(t.TempDir(), "pycalc")
	testenv.CopyDir(t, filepath.Join(pkgDir, "..", "..", "examples", "pycalc"), dir)
	os.WriteFile(filepath.Join(dir, ".gauntlet.yaml"), []byte("loop:\n  test_timeout: 2m\ntests:\n  hang_after: 1s\n"), 0o644)
	const hangingAddPy = `--- a/calc/__init__.py
+++ b/calc/__init__.py
@@ -14,2 +14,4 @@
 def add(a, b):
+    while a != b + 1:
+        pass
     return clamp(a + b)
`
	for _, mode := range sandboxModes(t) {
		t.Run(mode[1], func(t *testing.T) {
			code, v, out := verifyPatch(t, dir, hangingAddPy, mode...)
			if code != exitFindings || v.Accepted || v.failedGate() != "tests" {
				t.Fatalf("exit %d, failed gate %q, want 1 and tests:\n%s", code, v.failedGate(), out)
			}
			g := v.Gates[4]
			// test_add and test_clamp both call add; pytest runs test_add first.
			if len(g.Failed) != 1 || g.Failed[0].ID != "tests/test_calc.py::test_add" || !strings.Contains(g.Detail, "the edit makes it hang") {
				t.Fatalf("detail %q, evidence %+v", g.Detail, g.Failed)
			}
		})
	}
}

// sandboxModes are verify's --sandbox flags to try: none, and bwrap where
// it can run (under CI it must).
func sandboxModes(t *testing.T) [][]string {
	modes := [][]string{{"--sandbox", "none"}}
	if hasBwrap(t) {
		modes = append(modes, []string{"--sandbox", "bwrap"})
	}
	return modes
}

// mocha's reporter says when each test starts: a mocha test the edit makes
// hang is stopped the same way.
func TestVerifyRejectsAMochaHang(t *testing.T) {
	dir := runnerExample(t, "mocha", "mocha")
	os.WriteFile(filepath.Join(dir, ".gauntlet.yaml"), []byte("loop:\n  test_timeout: 2m\ntests:\n  hang_after: 1s\n"), 0o644)
	const hangingAddJS = `--- a/calc.js
+++ b/calc.js
@@ -11,3 +11,4 @@
 function add(a, b) {
+  while (a !== b + 1) {}
   return clamp(a + b);
 }
`
	code, v, out := verifyPatch(t, dir, hangingAddJS, "--sandbox", "none")
	if code != exitFindings || v.Accepted || v.failedGate() != "tests" {
		t.Fatalf("exit %d, failed gate %q, want 1 and tests:\n%s", code, v.failedGate(), out)
	}
	g := v.Gates[4]
	if len(g.Failed) != 1 || !strings.HasPrefix(g.Failed[0].ID, "test/calc.js::add > ") || !strings.Contains(g.Detail, "the edit makes it hang") {
		t.Fatalf("detail %q, evidence %+v", g.Detail, g.Failed)
	}
}

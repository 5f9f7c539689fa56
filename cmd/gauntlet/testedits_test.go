package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/server/model/modeltest"
)

// weakenAddTest is a model's answer that makes TestAdd expect what the
// broken Add returns.
const weakenAddTest = "The test expects the wrong value.\n\ncalc/calc_test.go\n```go\n<<<<<<< SEARCH\n\tif got := Add(2, 3); got != 5 {\n\t\tt.Errorf(\"Add(2, 3) = %d, want 5\", got)\n=======\n\tif got := Add(2, 3); got != -1 {\n\t\tt.Errorf(\"Add(2, 3) = %d, want -1\", got)\n>>>>>>> REPLACE\n```\n"

// runBinary runs the built gauntlet in dir with env added; it returns the
// exit status, stdout and stderr.
func runBinary(t *testing.T, dir string, env []string, args ...string) (int, []byte, string) {
	t.Helper()
	cmd := exec.Command(gauntletBin(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.Bytes(), errb.String()
}

// TestFixRejectsWeakenedTest: a model asked to make the failing TestAdd
// pass first changes the test's expected value; the loop rejects it with
// "the fix changes the test", which the next request carries, and accepts
// the second answer, which fixes the code. With loop.allow_test_edits:
// true the first answer is accepted.
func TestFixRejectsWeakenedTest(t *testing.T) {
	cache := "GAUNTLET_CACHE=" + t.TempDir()
	dir := brokenGocalc(t, "")
	srv := modeltest.OpenAI(t, modeltest.Reply{Text: weakenAddTest}, modeltest.Reply{Text: rightFix})
	code, stdout, stderr := runBinary(t, dir, append(srv.Env("gpt-test"), cache), "fix", "--format", "json", "--max-attempts", "3", "calc")
	var o fixOut
	if err := json.Unmarshal(stdout, &o); err != nil {
		t.Fatalf("exit %d, bad JSON: %v\n%s\n%s", code, err, stdout, stderr)
	}
	if code != exitOK || !o.Accepted || len(o.Attempts) != 2 {
		t.Fatalf("exit %d, accepted %v, %d attempts (want 0, true, 2):\n%s\n%s", code, o.Accepted, len(o.Attempts), stdout, stderr)
	}
	const want = "the fix changes the test example.com/gocalc/calc.TestAdd, not the code"
	if a := o.Attempts[0]; a.Accepted || o.failedGate(0) != "tests" || !strings.Contains(a.Reason, want) {
		t.Errorf("attempt 1: accepted %v, failed gate %q, reason %q (want %q)", a.Accepted, o.failedGate(0), a.Reason, want)
	}
	if a := o.Attempts[1]; !a.Accepted || strings.Contains(a.Edit, "calc_test.go") {
		t.Errorf("attempt 2: accepted %v, edit:\n%s", a.Accepted, a.Edit)
	}
	if strings.Contains(o.Patch, "calc_test.go") || !strings.Contains(o.Patch, "+\treturn clamp(a + b)") {
		t.Errorf("patch:\n%s", o.Patch)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	msgs := reqs[1].Messages
	if last := msgs[len(msgs)-1].Content; !strings.Contains(last, "The fix changes the test example.com/gocalc/calc.TestAdd (calc/calc_test.go), not the code") {
		t.Errorf("the second request lacks the evidence:\n%s", last)
	}

	// Allowed by the configuration: the weakened test is accepted.
	allowed := brokenGocalc(t, "")
	if err := os.WriteFile(filepath.Join(allowed, ".gauntlet.yaml"), []byte("loop:\n  test_timeout: 60s\n  allow_test_edits: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv = modeltest.OpenAI(t, modeltest.Reply{Text: weakenAddTest})
	code, stdout, stderr = runBinary(t, allowed, append(srv.Env("gpt-test"), cache), "fix", "--format", "json", "calc")
	o = fixOut{}
	if err := json.Unmarshal(stdout, &o); err != nil {
		t.Fatalf("exit %d, bad JSON: %v\n%s\n%s", code, err, stdout, stderr)
	}
	if code != exitOK || !o.Accepted || len(o.Attempts) != 1 || !strings.Contains(o.Patch, "calc/calc_test.go") {
		t.Fatalf("allow_test_edits: exit %d, accepted %v, %d attempts, patch:\n%s\n%s", code, o.Accepted, len(o.Attempts), o.Patch, stderr)
	}
}

// weakenedAssertion changes TestAdd's assertion (to one that passes).
const weakenedAssertion = `--- a/calc/calc_test.go
+++ b/calc/calc_test.go
@@ -9,3 +9,3 @@
 func TestAdd(t *testing.T) {
-	if got := Add(2, 3); got != 5 {
+	if got := Add(2, 3); got < 0 {
 		t.Errorf("Add(2, 3) = %d, want 5", got)
`

// commentInTest adds a comment inside TestAdd.
const commentInTest = `--- a/calc/calc_test.go
+++ b/calc/calc_test.go
@@ -9,3 +9,4 @@
 func TestAdd(t *testing.T) {
+	// 2 + 3 is 5.
 	if got := Add(2, 3); got != 5 {
 		t.Errorf("Add(2, 3) = %d, want 5", got)
`

type testsChangedJSON struct {
	Accepted     bool `json:"accepted"`
	TestsChanged []struct {
		ID       string `json:"id"`
		File     string `json:"file"`
		Line     int    `json:"line"`
		Change   string `json:"change"`
		Original string `json:"original"`
		Output   string `json:"output"`
	} `json:"tests_changed"`
	Gates []gateJSON `json:"gates"`
}

// TestVerifyTestEdits: gauntlet verify of a patch that changes a test's
// assertion lists the test under tests_changed with its original version's
// outcome against the edited code (text: a line); --no-test-edits rejects
// it (exit 1); a comment-only change in a test is no test change.
func TestVerifyTestEdits(t *testing.T) {
	cache := "GAUNTLET_CACHE=" + t.TempDir()
	dir := gocalcCopy(t, "loop:\n  test_timeout: 60s\n")
	verifyJSON := func(patchText string, extra ...string) (int, testsChangedJSON, string) {
		t.Helper()
		p := filepath.Join(t.TempDir(), "edit.diff")
		os.WriteFile(p, []byte(patchText), 0o644)
		code, stdout, stderr := runBinary(t, dir, []string{cache}, append([]string{"verify", "--format", "json", "--patch", p}, extra...)...)
		var v testsChangedJSON
		if err := json.Unmarshal(stdout, &v); err != nil {
			t.Fatalf("exit %d, bad JSON: %v\n%s\n%s", code, err, stdout, stderr)
		}
		return code, v, string(stdout) + stderr
	}

	code, v, out := verifyJSON(weakenedAssertion)
	if code != exitOK || !v.Accepted || len(v.TestsChanged) != 1 {
		t.Fatalf("exit %d, accepted %v, tests_changed %+v (want 0, true, one):\n%s", code, v.Accepted, v.TestsChanged, out)
	}
	if tc := v.TestsChanged[0]; tc.ID != "example.com/gocalc/calc.TestAdd" || tc.File != "calc/calc_test.go" || tc.Line != 9 || tc.Change != "changed" || tc.Original != "pass" {
		t.Errorf("tests_changed %+v", tc)
	}

	p := filepath.Join(t.TempDir(), "edit.diff")
	os.WriteFile(p, []byte(weakenedAssertion), 0o644)
	code, stdout, stderr := runBinary(t, dir, []string{cache}, "verify", "--patch", p)
	if code != exitOK || !strings.Contains(string(stdout), "test changed: example.com/gocalc/calc.TestAdd (calc/calc_test.go:9); its original version passes against the edited code") {
		t.Errorf("text: exit %d:\n%s\n%s", code, stdout, stderr)
	}

	code, v, out = verifyJSON(weakenedAssertion, "--no-test-edits")
	if code != exitFindings || v.Accepted {
		t.Fatalf("--no-test-edits: exit %d, accepted %v (want 1, false):\n%s", code, v.Accepted, out)
	}
	for _, g := range v.Gates {
		if g.Name == "tests" && (g.OK || !strings.Contains(g.Detail, "the edit changes the test example.com/gocalc/calc.TestAdd, not the code")) {
			t.Errorf("tests gate %+v", g)
		}
	}

	// loop.allow_test_edits: false in the configuration does the same.
	os.WriteFile(filepath.Join(dir, ".gauntlet.yaml"), []byte("loop:\n  test_timeout: 60s\n  allow_test_edits: false\n"), 0o644)
	if code, v, out = verifyJSON(weakenedAssertion); code != exitFindings || v.Accepted {
		t.Errorf("allow_test_edits: false: exit %d, accepted %v:\n%s", code, v.Accepted, out)
	}

	// A comment in a test changes no test, even with --no-test-edits.
	if code, v, out = verifyJSON(commentInTest, "--no-test-edits"); code != exitOK || !v.Accepted || len(v.TestsChanged) != 0 {
		t.Errorf("comment-only: exit %d, accepted %v, tests_changed %+v:\n%s", code, v.Accepted, v.TestsChanged, out)
	}
}

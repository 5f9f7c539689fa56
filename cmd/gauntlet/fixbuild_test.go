package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis/report"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// fixbuildCopy copies testdata/fixbuild (a module whose tally.go holds a
// self-assignment and an fmt.Println, both run by TestCount, beside a
// function no test runs) into a new directory.
func fixbuildCopy(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("go is not on PATH")
	}
	dir := filepath.Join(t.TempDir(), "fixbuild")
	testenv.CopyDir(t, filepath.Join(pkgDir, "testdata", "fixbuild"), dir)
	return dir
}

// TestFixOwnFixesBuild: gauntlet's own no-model fixes, go-self-assign and
// go-println, each delete a statement that TestCount runs. The loop accepts
// both (the file's coverage percentage drops, which is no fault of a
// deletion), the patch removes whole lines and the "fmt" import the
// go-println fix left unused, and fix --format rdjson carries the same
// edits. verify accepts the same deletion.
func TestFixOwnFixesBuild(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	dir := fixbuildCopy(t)
	code, o, out := runFixJSON(t, dir, []string{"GAUNTLET_MODEL=none"})
	if code != exitOK || !o.Accepted {
		t.Fatalf("exit %d accepted %v:\n%s", code, o.Accepted, out)
	}
	var codes []string
	for _, p := range o.Problems {
		codes = append(codes, p.Code+":"+p.Status)
	}
	if strings.Join(codes, " ") != "go-self-assign:fixed go-println:fixed" {
		t.Fatalf("problems %v, want both fixed:\n%s", codes, out)
	}
	for i, a := range o.Attempts {
		if !a.Accepted {
			t.Errorf("attempt %d (%s) rejected by %s: %s", i+1, a.Source, o.failedGate(i), a.Reason)
		}
		for _, g := range a.Gates {
			if g.Name == "coverage" && !strings.Contains(g.Detail, "coverage by the selected tests: tally/tally.go") {
				t.Errorf("attempt %d: the coverage gate does not report the drop: %s", i+1, g.Detail)
			}
		}
	}
	for _, want := range []string{"-\t\"fmt\"\n", "-\t\tw = w\n", "-\tfmt.Println(len(counts), \"words\")\n"} {
		if !strings.Contains(o.Patch, want) {
			t.Errorf("the patch lacks %q:\n%s", want, o.Patch)
		}
	}
	if strings.Contains(o.Patch, "+\t\n") || strings.Contains(o.Patch, "+\t\t\n") {
		t.Errorf("the patch leaves a whitespace-only line:\n%s", o.Patch)
	}
	// The fixed file builds: apply the patch to a fresh copy and vet it.
	target := fixbuildCopy(t)
	gitApply(t, target, o.Patch)
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = target
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet after the fix: %v\n%s", err, b)
	}

	// rdjson: the same deletions, as suggestions.
	var stdout, stderr bytes.Buffer
	if code := run([]string{"fix", "--quiet", "--format", "rdjson"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("rdjson: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	var doc report.RDJSON
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, d := range doc.Diagnostics {
		s := d.Suggestions[0]
		if s.Text != "" || d.Location.Path != "tally/tally.go" {
			t.Errorf("suggestion %+v, want a deletion in tally/tally.go", d)
		}
		for l := s.Range.Start.Line; l <= s.Range.End.Line; l++ {
			lines = append(lines, l)
		}
	}
	if got, _ := json.Marshal(lines); string(got) != "[5,13,16]" {
		t.Errorf("rdjson deletes lines %s, want [5,13,16] (\"fmt\", w = w, fmt.Println):\n%s", got, stdout.String())
	}

	// verify: the deletion of a covered statement is accepted.
	code, v, vout := verifyPatch(t, dir, "--- a/tally/tally.go\n+++ b/tally/tally.go\n@@ -12,5 +12,4 @@\n \tfor _, w := range strings.Fields(text) {\n-\t\tw = w\n \t\tcounts[strings.ToLower(w)]++\n \t}\n \tfmt.Println(len(counts), \"words\")\n")
	if code != exitOK || !v.Accepted {
		t.Fatalf("verify: exit %d, failed gate %q:\n%s", code, v.failedGate(), vout)
	}
}

// TestAffectedByCommentOnly: a patch that only adds a comment line inside
// a function no test runs affects no test, for test --affected-by as for
// verify (one judgement of which changes are code); the same line as code
// is "not covered".
func TestAffectedByCommentOnly(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	dir := fixbuildCopy(t)
	t.Chdir(dir)
	comment := "--- a/tally/tally.go\n+++ b/tally/tally.go\n@@ -23,3 +23,4 @@\n \tfor w, c := range counts {\n+\t\t// A tie goes to the first word in order.\n \t\tif c > n || c == n && w < best {\n \t\t\tbest, n = w, c\n"
	os.WriteFile("comment.diff", []byte(comment), 0o644)
	code, out, stderr := gauntletHere("test", "--affected-by", "comment.diff")
	if code != exitOK || strings.Contains(stderr, "no test covers") || !strings.Contains(out, "only comments change in tally/tally.go") {
		t.Fatalf("comment only: exit %d\n%s%s", code, out, stderr)
	}
	code, v, vout := verifyPatch(t, dir, comment)
	if code != exitOK || !v.Accepted {
		t.Fatalf("verify: exit %d:\n%s", code, vout)
	}
	codeLine := strings.Replace(comment, "// A tie goes to the first word in order.", "n++", 1)
	os.WriteFile("code.diff", []byte(codeLine), 0o644)
	code, out, stderr = gauntletHere("test", "--affected-by", "code.diff")
	if code != exitFindings || !strings.Contains(stderr, "no test covers the changed lines tally/tally.go:") {
		t.Fatalf("code: exit %d\n%s%s", code, out, stderr)
	}
}

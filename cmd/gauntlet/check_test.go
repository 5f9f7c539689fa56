package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pkgDir is the package directory, where go test starts.
var pkgDir, _ = os.Getwd()

// gauntlet runs the command in-process from dir and returns its exit status
// and output.
func gauntlet(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	t.Chdir(filepath.Join(pkgDir, dir))
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckText(t *testing.T) {
	code, out, stderr := gauntlet(t, "testdata/check", "check", "src")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1; stderr: %s", code, stderr)
	}
	want := []string{
		"src/a.go:5:", // gofmt -e's position: the } where an operand was expected
		"src/b.py:1:",
		"src/ok/wide.go:3:",
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) || !strings.Contains(lines[i], ": error: ") || !strings.HasSuffix(lines[i], "[syntax]") {
			t.Errorf("line %d = %q, want prefix %q, an error and [syntax]", i, lines[i], w)
		}
	}
	// vendor, node_modules and what .gitignore ignores are skipped.
	for _, skipped := range []string{"vendor", "node_modules", "gen/"} {
		if strings.Contains(out, skipped) {
			t.Errorf("output mentions %s:\n%s", skipped, out)
		}
	}
}

func TestCheckJSON(t *testing.T) {
	code, out, _ := gauntlet(t, "testdata/check/src", "check", "ok", "--format", "json")
	if code != exitFindings {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Diagnostics []struct {
			Path  string `json:"path"`
			Range struct {
				Start struct{ Line, Column int } `json:"start"`
				End   struct{ Line, Column int } `json:"end"`
			} `json:"range"`
			Severity, Code, Source, Message string
			Fixes                           []json.RawMessage `json:"fixes"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	if len(doc.Diagnostics) != 1 {
		t.Fatalf("want 1 diagnostic, got %s", out)
	}
	d := doc.Diagnostics[0]
	// Line 3 is `var t = "😀"; var u = ) `: columns are 1-based bytes, so the
	// 4-byte emoji counts 4.
	if d.Path != "ok/wide.go" || d.Range.Start.Line != 3 || d.Severity != "error" || d.Code != "syntax" || d.Source != "gauntlet" || d.Fixes == nil {
		t.Errorf("unexpected diagnostic: %+v", d)
	}
	// The message names the token found at the reported byte column.
	line := strings.Split(string(mustRead(t, filepath.Join(pkgDir, "testdata/check/src/ok/wide.go"))), "\n")[2]
	_, tok, _ := strings.Cut(d.Message, "found ")
	tok = strings.Trim(tok, "'")
	if c := d.Range.Start.Column; c != 25 || c > len(line) || !strings.HasPrefix(line[c-1:], tok) {
		t.Errorf("column %d of %q does not hold %q", c, line, tok)
	}
}

func TestCheckExitStatus(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"check", "src/ok/ok.go"}, exitOK},
		{[]string{"check", "src"}, exitFindings},
		{[]string{"check", "src", "--fail-on", "none"}, exitOK},
		{[]string{"check", "--fail-on", "error", "src"}, exitFindings},
		{[]string{"check", "src", "--fail-on", "bogus"}, exitError},
		{[]string{"check", "src", "--format", "yaml"}, exitError},
		{[]string{"check", "no/such/dir"}, exitError},
		{[]string{"check", "--no-such-flag"}, exitError},
	} {
		code, _, stderr := gauntlet(t, "testdata/check", tc.args...)
		if code != tc.want {
			t.Errorf("gauntlet %s: exit %d, want %d (stderr: %s)", strings.Join(tc.args, " "), code, tc.want, stderr)
		}
		if code == exitError && stderr == "" {
			t.Errorf("gauntlet %s: exit 2 with nothing on stderr", strings.Join(tc.args, " "))
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBinary builds the real binary and checks that its exit status reaches
// the shell, as CI sees it.
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "gauntlet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "check", "src")
	cmd.Dir = "testdata/check"
	out, err := cmd.Output()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("src/a.go:5:1: error: expected operand, found")) {
		t.Errorf("output:\n%s", out)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatal(err)
	}
}

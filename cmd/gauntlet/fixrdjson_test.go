package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis/report"
	"github.com/gauntlet-dev/gauntlet/server/loop"
)

// TestFixRDJSONSuggestions: each change of the verified patch becomes a
// whole-line suggestion on the lines it replaces.
func TestFixRDJSONSuggestions(t *testing.T) {
	out := fixJSON{
		Patch: "diff --git a/pkg/a.go b/pkg/a.go\n--- a/pkg/a.go\n+++ b/pkg/a.go\n" +
			"@@ -1,4 +1,4 @@\n package a\n-var x = 1\n+var x = 2\n \n func f() {}\n" +
			"@@ -10,3 +10,4 @@\n func g() {\n+\tprintln()\n \treturn\n }\n" +
			"@@ -20,3 +21,2 @@\n a\n-b\n c\n",
		Problems: []*loop.Problem{{Kind: loop.KindDiagnostic, Path: "a.go", Line: 2, Column: 9, Severity: "warning", Code: "magic", Message: "a magic number", Status: "fixed"}},
		Attempts: []*loop.Attempt{{Problem: 1, N: 1, Source: "rule:magic", Accepted: true}},
	}
	doc, err := fixRDJSON(out)
	if err != nil {
		t.Fatal(err)
	}
	type sugg struct {
		path        string
		first, last int
		text        string
	}
	var got []sugg
	for _, d := range doc.Diagnostics {
		s := d.Suggestions[0]
		if d.Location.Range != s.Range {
			t.Errorf("the diagnostic's lines %+v differ from its suggestion's %+v", d.Location.Range, s.Range)
		}
		got = append(got, sugg{d.Location.Path, s.Range.Start.Line, s.Range.End.Line, s.Text})
	}
	want := []sugg{
		{"pkg/a.go", 2, 2, "var x = 2"},
		{"pkg/a.go", 10, 10, "func g() {\n\tprintln()"},
		{"pkg/a.go", 21, 21, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("suggestions %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("suggestion %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if m := doc.Diagnostics[0].Message; !strings.Contains(m, "[magic] a magic number") || !strings.Contains(m, "rule:magic") {
		t.Errorf("message: %q", m)
	}
}

// TestFixRDJSONCommand: gauntlet fix --format rdjson on the offline demo
// prints the accepted fix as a reviewdog suggestion.
func TestFixRDJSONCommand(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	t.Setenv("GAUNTLET_MODEL", "none")
	dir := filepath.Join(t.TempDir(), "demo-fix")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(pkgDir, "..", "..", "examples", "demo-fix"))); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			os.Chmod(p, 0o644)
		}
		return nil
	})
	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"fix", "--quiet", "--format", "rdjson"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var doc report.RDJSON
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, stdout.String())
	}
	if len(doc.Diagnostics) != 1 {
		t.Fatalf("diagnostics:\n%s", stdout.String())
	}
	d := doc.Diagnostics[0]
	if d.Location.Path != "text/slug.go" || !strings.Contains(d.Suggestions[0].Text, `strings.Replace(s, " ", "-", -1)`) || !strings.Contains(d.Message, "TestSlug") {
		t.Errorf("suggestion: %+v", d)
	}
}

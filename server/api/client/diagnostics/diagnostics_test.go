package diagnostics_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/api/client/diagnostics"
)

// TestForFile: a finding on an unsaved buffer keeps its fixes, those that
// edit other files of the workspace too (placed in those files as on
// disk, after multi-byte characters); a fix that edits a file outside the
// workspace or in .git is dropped, the finding stays.
func TestForFile(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "b.go"), []byte("package b\n\nvar s = \"😀\" // old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, ".git", "config"), []byte("[core]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The buffer, not the disk's a.go (there is none).
	f := analysis.NewFile("src/a.go", []byte("package a\n\nfunc F() { x := \"é\"; old() }\n"), 1)
	rng := func(l1, c1, l2, c2 int) api.Range {
		return api.Range{Start: api.Pos{Line: l1, Column: c1}, End: api.Pos{Line: l2, Column: c2}}
	}
	doc := &api.AnalyzeDocument{Diagnostics: []api.Diagnostic{{
		Path: "src/a.go", Range: rng(3, 23, 3, 28), Severity: "warning", Code: "no-old", Source: "gauntlet", Message: "old() is gone",
		Fixes: []api.Fix{
			{Title: "rename everywhere", Edits: []api.TextEdit{
				{Path: "src/a.go", Range: rng(3, 23, 3, 26), NewText: "new"},
				{Path: "b.go", Range: rng(3, 19, 3, 22), NewText: "new"},
			}},
			{Title: "outside", Edits: []api.TextEdit{{Path: "../x.go", Range: rng(1, 1, 1, 1), NewText: "x"}}},
			{Title: "git", Edits: []api.TextEdit{{Path: ".git/config", Range: rng(1, 1, 1, 1), NewText: "x"}}},
		},
	}}}
	got, err := diagnostics.ForFile(&api.Result{Outcome: api.Findings, Document: doc}, root, f)
	if err != nil {
		t.Fatal(err)
	}
	// "é" is 2 bytes: column 23 is byte 22 of line 3, which starts at 11.
	want := []analysis.Diagnostic{{Path: "src/a.go", Start: 11 + 22, End: 11 + 27, Severity: analysis.SeverityWarning, Code: "no-old",
		Source: "gauntlet", Message: "old() is gone", Fixes: []analysis.Fix{{Title: "rename everywhere", Edits: []analysis.TextEdit{
			{Path: "src/a.go", Start: 11 + 22, End: 11 + 25, NewText: "new"},
			{Path: "b.go", Start: 11 + 18, End: 11 + 21, NewText: "new"},
		}}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
	b, _ := os.ReadFile(filepath.Join(root, "b.go"))
	if e := got[0].Fixes[0].Edits[1]; string(b[e.Start:e.End]) != "old" {
		t.Errorf("b.go edit covers %q", b[e.Start:e.End])
	}
	if e := got[0].Fixes[0].Edits[0]; string(f.Content[e.Start:e.End]) != "old" {
		t.Errorf("a.go edit covers %q", f.Content[e.Start:e.End])
	}

	// A result from a backend in this process carries JSON only.
	js, err := api.EncodeDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := diagnostics.ForFile(&api.Result{JSON: js}, root, f); err != nil || !reflect.DeepEqual(again, want) {
		t.Errorf("from JSON: %v\n%+v", err, again)
	}
}

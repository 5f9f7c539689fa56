package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
)

func TestCheckPath(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	os.MkdirAll(filepath.Join(root, "sub"), 0o755)
	os.Symlink(outside, filepath.Join(root, "out"))
	os.Symlink("sub", filepath.Join(root, "in"))
	os.Symlink(filepath.Join(root, "missing"), filepath.Join(root, "dangling"))
	for _, c := range []struct {
		path, want, err string
	}{
		{"sub/a.go", "sub/a.go", ""},
		{"./sub//b.go", "sub/b.go", ""},
		{"in/c.go", "in/c.go", ""},
		{"new/dir/d.go", "new/dir/d.go", ""},
		{"../x.go", "", "leaves the workspace"},
		{"sub/../../x.go", "", "leaves the workspace"},
		{"/etc/passwd", "", "absolute"},
		{"out/x.go", "", "outside the workspace"},
		{"dangling/x.go", "", "leads nowhere"},
		{".git/hooks/pre-commit", "", ".git"},
		{"", "", "empty"},
	} {
		got, err := checkPath(root, c.path)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("checkPath(%q) = %q, %v; want error containing %q", c.path, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("checkPath(%q) = %q, %v; want %q", c.path, got, err, c.want)
		}
	}
}

// workspace writes files (path -> content) under a new directory.
func workspace(t *testing.T, files map[string]string) *analysis.Snapshot {
	t.Helper()
	root := t.TempDir()
	for p, c := range files {
		abs := filepath.Join(root, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(abs), 0o755)
		if err := os.WriteFile(abs, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return analysis.NewSnapshot(root)
}

// todoAnalyzer reports every line that mentions TODO, as a warning.
var todoAnalyzer = AnalyzerFunc(func(ctx context.Context, f *analysis.File) ([]analysis.Diagnostic, []error) {
	var ds []analysis.Diagnostic
	off := 0
	for _, l := range strings.SplitAfter(string(f.Content), "\n") {
		if i := strings.Index(l, "TODO"); i >= 0 {
			ds = append(ds, analysis.Diagnostic{Path: f.Path, Start: off + i, End: off + i + 4, Severity: analysis.SeverityWarning, Code: "todo", Message: "a TODO is left"})
		}
		off += len(l)
	}
	return ds, nil
})

// static runs only the gates that need no toolchain.
var static = Options{Gates: []string{GateApply, GateParse, GateAnalyzers}, Analyzers: todoAnalyzer, Sandbox: SandboxNone}

func TestParseAndAnalyzerGates(t *testing.T) {
	const src = "package p\n\n// TODO: one\nfunc F() int { return 1 }\n"
	snap := workspace(t, map[string]string{"p/p.go": src})
	ctx := context.Background()
	edit := func(newText string) Edit {
		return Edit{Edits: []analysis.TextEdit{{Path: "p/p.go", Start: 0, End: len(src), NewText: newText}}}
	}
	for _, c := range []struct {
		name, src   string
		accepted    bool
		failed      string
		wantFinding string
	}{
		{"old finding moved", "package p\n\n\n\n// TODO: one\nfunc F() int { return 1 }\n", true, "", ""},
		{"new finding", "package p\n\n// TODO: one\n// TODO: two\nfunc F() int { return 1 }\n", false, GateAnalyzers, "p/p.go:4:4"},
		{"syntax error", "package p\n\n// TODO: one\nfunc F() int { return 1 \n", false, GateParse, "p/p.go:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := Verify(ctx, snap, edit(c.src), static)
			if err != nil {
				t.Fatal(err)
			}
			if v.Accepted != c.accepted {
				t.Fatalf("accepted = %v, want %v: %s", v.Accepted, c.accepted, v.Summary())
			}
			if c.failed == "" {
				return
			}
			g := v.Failed()
			if g == nil || g.Name != c.failed {
				t.Fatalf("failed gate = %+v, want %s", g, c.failed)
			}
			if len(g.Findings) != 1 {
				t.Fatalf("findings = %+v, want 1", g.Findings)
			}
			f := g.Findings[0]
			if got := fmt.Sprintf("%s:%d:%d", f.Path, f.Line, f.Column); !strings.HasPrefix(got, c.wantFinding) {
				t.Errorf("finding at %s, want %s", got, c.wantFinding)
			}
			if len(g.Diagnostics) != 1 || len(v.Diagnostics) != 1 || v.Diagnostics[0].Path != "p/p.go" {
				t.Errorf("diagnostics for editors = %v, %v", g.Diagnostics, v.Diagnostics)
			}
			if next := v.Gate(GateBuild); !next.Skipped {
				t.Errorf("gates after a failure must be skipped: %+v", next)
			}
		})
	}
	// The base is untouched.
	if data, _ := os.ReadFile(snap.Abs("p/p.go")); string(data) != src {
		t.Errorf("workspace changed: %q", data)
	}
}

func TestApplyRefusesAndForms(t *testing.T) {
	snap := workspace(t, map[string]string{"a.txt": "one\ntwo\n", "b.txt": "bee\n"})
	ctx := context.Background()
	outside := filepath.Join(filepath.Dir(snap.Root()), "outside.txt")
	for _, c := range []struct {
		name    string
		edit    Edit
		ok      bool
		refused string
	}{
		{"text edit", Edit{Edits: []analysis.TextEdit{{Path: "a.txt", Start: 0, End: 3, NewText: "ONE"}}}, true, ""},
		{"overlapping edits", Edit{Edits: []analysis.TextEdit{{Path: "a.txt", Start: 0, End: 3}, {Path: "a.txt", Start: 1, End: 4}}}, false, "a.txt"},
		{"create", Edit{Files: []FileChange{{Path: "new/c.txt", Content: []byte("c\n")}}}, true, ""},
		{"rename", Edit{Files: []FileChange{{OldPath: "b.txt", Path: "c.txt", Content: []byte("bee\n")}}}, true, ""},
		{"delete", Edit{Files: []FileChange{{OldPath: "b.txt"}}}, true, ""},
		{"delete missing", Edit{Files: []FileChange{{OldPath: "zzz.txt"}}}, false, "zzz.txt"},
		{"outside", Edit{Files: []FileChange{{Path: "../outside.txt", Content: []byte("x")}}}, false, "../outside.txt"},
		{"absolute", Edit{Edits: []analysis.TextEdit{{Path: outside, Start: 0, End: 0, NewText: "x"}}}, false, outside},
		{"twice", Edit{Edits: []analysis.TextEdit{{Path: "a.txt", Start: 0, End: 0, NewText: "x"}}, Files: []FileChange{{Path: "a.txt"}}}, false, "a.txt"},
		{"nothing", Edit{Edits: []analysis.TextEdit{{Path: "a.txt", Start: 0, End: 3, NewText: "one"}}}, false, ""},
		{"search/replace", Edit{Text: "a.txt\n<<<<<<< SEARCH\ntwo\n=======\nTWO\n>>>>>>> REPLACE\n"}, true, ""},
		{"search not found", Edit{Text: "a.txt\n<<<<<<< SEARCH\nthree\n=======\nTHREE\n>>>>>>> REPLACE\n"}, false, "a.txt"},
		{"search outside", Edit{Text: "../outside.txt\n<<<<<<< SEARCH\n=======\nx\n>>>>>>> REPLACE\n"}, false, "../outside.txt"},
		{"diff text", Edit{Text: "--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+2\n"}, true, ""},
		{"diff does not apply", Edit{Text: "--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n uno\n-two\n+2\n"}, false, "a.txt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := Verify(ctx, snap, c.edit, Options{Gates: []string{GateApply}, Sandbox: SandboxNone})
			if err != nil {
				t.Fatal(err)
			}
			g := v.Gate(GateApply)
			if g.OK != c.ok || v.Accepted != c.ok {
				t.Fatalf("apply ok = %v, want %v: %s %+v", g.OK, c.ok, g.Detail, g.Refused)
			}
			if c.refused != "" && (len(g.Refused) == 0 || g.Refused[0].Path != c.refused) {
				t.Errorf("refused %+v, want %s", g.Refused, c.refused)
			}
		})
	}
	if _, err := os.Stat(outside); err == nil {
		t.Error("a file outside the workspace was written")
	}
	if data, _ := os.ReadFile(snap.Abs("a.txt")); string(data) != "one\ntwo\n" {
		t.Errorf("workspace changed: %q", data)
	}
}

func TestVerdictJSONShape(t *testing.T) {
	snap := workspace(t, map[string]string{"a.go": "package a\n"})
	v, err := Verify(context.Background(), snap, Edit{Files: []FileChange{{Path: "a.go", Content: []byte("package a\n\nvar X = 1\n")}}}, static)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(v)
	var top map[string]json.RawMessage
	json.Unmarshal(data, &top)
	keys := func(m map[string]json.RawMessage) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	if got := keys(top); !slices.Equal(got, []string{"accepted", "duration_ms", "files", "gates", "sandbox"}) {
		t.Errorf("verdict keys = %v", got)
	}
	var gates []map[string]json.RawMessage
	json.Unmarshal(top["gates"], &gates)
	var names []string
	for _, g := range gates {
		for _, k := range []string{"name", "ok", "skipped", "duration_ms", "detail"} {
			if _, ok := g[k]; !ok {
				t.Errorf("gate %s lacks %q", g["name"], k)
			}
		}
		var n string
		json.Unmarshal(g["name"], &n)
		names = append(names, n)
	}
	if !slices.Equal(names, Gates) {
		t.Errorf("gates = %v, want %v", names, Gates)
	}
	if string(top["sandbox"]) != `"none"` || string(top["files"]) != `["a.go"]` {
		t.Errorf("sandbox %s, files %s", top["sandbox"], top["files"])
	}
}

func TestUnsaved(t *testing.T) {
	snap := workspace(t, map[string]string{"a.txt": "a\n", "b.txt": "b\n"})
	after := snap.With(analysis.NewFile("a.txt", []byte("A\n"), 3), analysis.NewFile("b.txt", []byte("b\n"), 2)).Without("c.txt")
	e, err := Unsaved(snap, after)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Files) != 1 || e.Files[0].Path != "a.txt" || string(e.Files[0].Content) != "A\n" {
		t.Errorf("Unsaved = %+v, want only a.txt", e.Files)
	}
}

func TestSpans(t *testing.T) {
	lines := map[int]string{10: "func Double(a int) int {", 11: "\treturn 2 * a", 12: "}"}
	text := func(l int) string { return lines[l] }
	// Go's block of Double's body: from the brace on line 10 to the one on 12.
	b := coverage.Block{StartLine: 10, StartCol: 24, EndLine: 12, EndCol: 2, Stmts: 1}
	for l, want := range map[int]bool{9: false, 10: false, 11: true, 12: false, 13: false} {
		if got := spans(b, l, text); got != want {
			t.Errorf("spans line %d = %v, want %v", l, got, want)
		}
	}
	// Line-based coverage (coverage.py, V8) has no columns.
	if !spans(coverage.Block{StartLine: 12, EndLine: 12, Stmts: 1}, 12, text) {
		t.Error("a line block spans its line")
	}
}

func TestSelectedPercent(t *testing.T) {
	m := coverage.NewMap()
	p := coverage.NewProfile()
	p.Add("a.go", coverage.Block{StartLine: 1, EndLine: 2, Stmts: 3}, 1)
	p.Add("a.go", coverage.Block{StartLine: 3, EndLine: 4, Stmts: 1}, 0)
	m.AddTest("TestA", "pass", p)
	q := coverage.NewProfile()
	q.Add("a.go", coverage.Block{StartLine: 3, EndLine: 4, Stmts: 1}, 1)
	m.AddTest("TestB", "pass", q)
	if pct, ok := selectedPercent(m, "a.go", map[string]bool{"TestA": true}); !ok || pct != 75 {
		t.Errorf("TestA alone covers %v%% (ok %v), want 75", pct, ok)
	}
	if pct, _ := selectedPercent(m, "a.go", map[string]bool{"TestA": true, "TestB": true}); pct != 100 {
		t.Errorf("both cover %v%%, want 100", pct)
	}
	if _, ok := selectedPercent(m, "b.go", nil); ok {
		t.Error("a file the map does not know has no percentage")
	}
}

func TestOnlyComments(t *testing.T) {
	const src = "package p\n\n// F returns 1.\nfunc F() int { return 1 }\n\nfunc ExampleF() {\n\tprintln(F())\n\t// Output: 1\n}\n"
	snap := workspace(t, map[string]string{"p/p.go": src, "p/q.py": "x = 1  # one\n"})
	for _, c := range []struct {
		name string
		edit Edit
		want bool
	}{
		{"doc comment", Edit{Files: []FileChange{{Path: "p/p.go", Content: []byte(strings.Replace(src, "// F returns 1.", "// F returns one.\n// Always.", 1))}}}, true},
		{"python comment", Edit{Files: []FileChange{{Path: "p/q.py", Content: []byte("x = 1  # uno\n")}}}, true},
		{"code", Edit{Files: []FileChange{{Path: "p/p.go", Content: []byte(strings.Replace(src, "return 1", "return 2", 1))}}}, false},
		{"example output", Edit{Files: []FileChange{{Path: "p/p.go", Content: []byte(strings.Replace(src, "Output: 1", "Output: 2", 1))}}}, false},
		{"directive", Edit{Files: []FileChange{{Path: "p/p.go", Content: []byte(strings.Replace(src, "// F returns 1.", "//go:noinline", 1))}}}, false},
		{"new file", Edit{Files: []FileChange{{Path: "p/r.go", Content: []byte("package p\n")}}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := Verify(context.Background(), snap, c.edit, Options{Sandbox: SandboxNone, Gates: []string{GateApply, GateParse, GateBuild}})
			if err != nil {
				t.Fatal(err)
			}
			b := v.Gate(GateBuild)
			got := b.Skipped && b.OK && strings.Contains(b.Detail, "only comments")
			if got != c.want {
				t.Errorf("comments only = %v, want %v: %s", got, c.want, b.Detail)
			}
		})
	}
}

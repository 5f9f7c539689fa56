package serve

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/plugins/internal/wire"
)

func TestSpan(t *testing.T) {
	for _, tt := range []struct{ a, b string }{
		{"", ""}, {"abc", "abc"}, {"", "abc"}, {"abc", ""},
		{"abc", "abXc"}, {"abc", "ac"}, {"abc", "aXYc"}, {"aaa", "aaaa"}, {"aaaa", "aa"},
		{"package p\n", "package q\n"}, {"xy", "yx"},
		{"0123456789abcdefXYZ", "0123456789abcdefXZ"}, {"01234567", "0123456789"},
	} {
		c := wire.Span([]byte(tt.a), []byte(tt.b))
		got := tt.a[:c.Start] + c.Text + tt.a[c.End:]
		if got != tt.b || c.Start > c.End {
			t.Errorf("span(%q, %q) = %+v, which makes %q", tt.a, tt.b, c, got)
		}
	}
}

// A new version of a file is parsed incrementally from the cached one, and
// the tree is the one a fresh parse makes.
func TestIncrementalVersions(t *testing.T) {
	s, err := New("t", "", []*analysis.Analyzer{{Name: "nop", Run: func(*analysis.Pass) error { return nil }}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	content := "package p\n\nfunc f() int {\n\treturn 1\n}\n\n// TODO later\nvar x = []int{1, 2, 3}\n"
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"", "x", "(", ")", "}", "\n", "func g() {}\n", "// c\n", "\"s\"", "1 + 2"}
	for i := range 200 {
		if i > 0 {
			a := rng.IntN(len(content) + 1)
			b := min(len(content), a+rng.IntN(6))
			content = content[:a] + pieces[rng.IntN(len(pieces))] + content[b:]
		}
		in := analysis.NewFile("p.go", []byte(content), int32(i))
		f := s.files.get(ctx, in, 0)
		if string(f.Content) != content {
			t.Fatalf("version %d: cached content differs", i)
		}
		got, err := f.Tree(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want, err := analysis.NewFile("p.go", []byte(content), 0).Tree(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := got.RootNode().String(), want.RootNode().String(); g != w {
			t.Fatalf("version %d of %q:\nincremental %s\nfresh       %s", i, content, g, w)
		}
	}
	if again := s.files.get(ctx, analysis.NewFile("p.go", []byte(content), 999), 0); string(again.Content) != content {
		t.Fatal("same content: not reused")
	}
}

func TestCacheIsBounded(t *testing.T) {
	var c fileCache
	c.m = map[string]*cached{}
	for i := range 3 * maxCachedFiles {
		c.get(context.Background(), analysis.NewFile(strings.Repeat("d/", i%5)+"f"+string(rune('a'+i%26))+".go", []byte("package p\n"), 0), 0)
		c.get(context.Background(), analysis.NewFile("f"+strings.Repeat("x", i)+".go", []byte("package p\n"), 0), 0)
	}
	if len(c.m) > maxCachedFiles {
		t.Errorf("%d files cached", len(c.m))
	}
}

func TestAnalyze(t *testing.T) {
	report := &analysis.Analyzer{Name: "report", Languages: []string{"go"}, Run: func(p *analysis.Pass) error {
		p.Report(analysis.Diagnostic{Start: 0, End: 7, Message: "hi", Code: "report-sub"})
		return nil
	}}
	fail := &analysis.Analyzer{Name: "fail", Run: func(*analysis.Pass) error { return errors.New("no") }}
	s, err := New("t", "v", []*analysis.Analyzer{report, fail})
	if err != nil {
		t.Fatal(err)
	}
	req := &wire.Request{Files: []*analysis.File{analysis.NewFile("a.go", []byte("package a\n"), 1), analysis.NewFile("b.py", []byte("x = 1\n"), 1)}}
	res, err := s.Analyze(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Analyzer != "report" || res.Findings[0].Diagnostic.Code != "report-sub" || res.Findings[0].Diagnostic.Path != "a.go" {
		t.Errorf("findings %+v", res.Findings)
	}
	if len(res.Errors) != 2 || res.Errors[0].Analyzer != "fail" || res.Errors[0].Path != "a.go" || res.Errors[1].Path != "b.py" {
		t.Errorf("errors %+v", res.Errors)
	}
	res, err = s.Analyze(context.Background(), &wire.Request{Files: req.Files[:1], Analyzers: []string{"report", "nosuch"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || len(res.Errors) != 1 || res.Errors[0].Analyzer != "nosuch" {
		t.Errorf("selected: %+v", res)
	}
}

func TestNewRefuses(t *testing.T) {
	run := func(*analysis.Pass) error { return nil }
	for _, as := range [][]*analysis.Analyzer{
		{nil},
		{{Name: "norun"}},
		{{Name: "Caps", Run: run}},
		{{Name: "a", Run: run}, {Name: "a", Run: run}},
		{{Name: "a", Run: run, Languages: []string{"cobol"}}},
		{},
	} {
		if _, err := New("t", "", as); err == nil {
			t.Errorf("%+v accepted", as)
		}
	}
}

// An edit applies to the text of its base revision; an edit of a revision
// the plugin does not hold (it restarted, it forgot the path) asks for the
// whole text instead of analysing a guess.
func TestEditsNeedTheirBase(t *testing.T) {
	echo := &analysis.Analyzer{Name: "echo", Run: func(p *analysis.Pass) error {
		p.Report(analysis.Diagnostic{Message: string(p.File.Content)})
		return nil
	}}
	s, err := New("t", "", []*analysis.Analyzer{echo})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	edit := func(base uint64, rev uint64, c analysis.Change) (*wire.Result, error) {
		return s.Analyze(ctx, &wire.Request{
			Files:     []*analysis.File{analysis.NewFile("p.go", nil, 2)},
			Revisions: []uint64{rev},
			Edits:     []*wire.FileEdit{{BaseRevision: base, Changes: []analysis.Change{c}}},
		})
	}
	res, err := edit(7, 8, analysis.Change{Start: 0, End: 0, Text: "x"})
	if err != nil || len(res.NeedContent) != 1 || res.NeedContent[0] != "p.go" || len(res.Findings) != 0 {
		t.Fatalf("edit of an unknown base: %+v, %v", res, err)
	}
	whole := &wire.Request{Files: []*analysis.File{analysis.NewFile("p.go", []byte("package p\n"), 1)}, Revisions: []uint64{7}}
	if _, err := s.Analyze(ctx, whole); err != nil {
		t.Fatal(err)
	}
	res, err = edit(7, 8, analysis.Change{Start: 8, End: 9, Text: "q"})
	if err != nil || len(res.NeedContent) != 0 || len(res.Findings) != 1 || res.Findings[0].Diagnostic.Message != "package q\n" {
		t.Fatalf("edit of revision 7: %+v, %v", res, err)
	}
	// Revision 7 was superseded by 8: an edit of 7 again is refused.
	if res, _ = edit(7, 9, analysis.Change{}); len(res.NeedContent) != 1 {
		t.Fatalf("edit of a superseded revision: %+v", res)
	}
	if res, _ = edit(8, 9, analysis.Change{Start: 0, End: 100}); len(res.NeedContent) != 1 {
		t.Fatalf("edit past the end of the text: %+v", res)
	}
}

package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/patch"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
	"github.com/gauntlet-dev/gauntlet/server/loop"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// workspace writes files (path -> content) under a new directory.
func workspace(t *testing.T, files map[string]string) *analysis.Snapshot {
	t.Helper()
	root := t.TempDir()
	testenv.WriteFiles(t, root, files)
	return analysis.NewSnapshot(root)
}

// word is an analyzer (no syntax tree) that reports every occurrence of w,
// with a fix that deletes it when fix is set.
func word(name, w string, fix bool, langs ...string) *analysis.Analyzer {
	return &analysis.Analyzer{Name: name, Languages: langs, NoTree: true, Run: func(p *analysis.Pass) error {
		src := string(p.Content())
		for off := 0; ; {
			i := strings.Index(src[off:], w)
			if i < 0 {
				return nil
			}
			start := off + i
			d := analysis.Diagnostic{Start: start, End: start + len(w), Message: fmt.Sprintf("%s found", w)}
			if fix {
				d.Fixes = []analysis.Fix{{Title: "delete " + w, Edits: []analysis.TextEdit{{Path: p.File.Path, Start: start, End: start + len(w)}}}}
			}
			p.Report(d)
			off = start + len(w)
		}
	}}
}

// failing is an analyzer that fails on every file.
func failing(name string) *analysis.Analyzer {
	return &analysis.Analyzer{Name: name, NoTree: true, Run: func(p *analysis.Pass) error { return errors.New("boom") }}
}

// where lists diagnostics as "path:offset code".
func where(ds []analysis.Diagnostic) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s:%d %s", d.Path, d.Start, d.Code))
	}
	return out
}

// TestCheck: every applicable analyzer runs on every file, the filter
// sees each file's diagnostics, and the result is sorted by place whatever
// the order of the paths.
func TestCheck(t *testing.T) {
	snap := workspace(t, map[string]string{
		"a.go":     "package a\n\n// TODO x FIXME\n",
		"b.py":     "# FIXME y\n# TODO z nolint\n",
		"sub/c.go": "package sub // TODO\n",
	})
	// The filter drops findings on lines that say nolint, as inline
	// suppressions do.
	filter := func(f *analysis.File, ds []analysis.Diagnostic) []analysis.Diagnostic {
		var out []analysis.Diagnostic
		for _, d := range ds {
			line := string(f.Content[d.Start:])
			if i := strings.IndexByte(line, '\n'); i >= 0 {
				line = line[:i]
			}
			if !strings.Contains(line, "nolint") {
				out = append(out, d)
			}
		}
		return out
	}
	e := New(WithAnalyzers(word("todo", "TODO", false), word("fixme", "FIXME", false, "python")), WithFilter(filter))
	want := []string{"a.go:14 todo", "b.py:2 fixme", "sub/c.go:15 todo"}
	for _, paths := range [][]string{{"a.go", "b.py", "sub/c.go"}, {"sub/c.go", "b.py", "a.go"}} {
		res, err := e.Check(testenv.Context(t), snap, paths)
		if err != nil {
			t.Fatal(err)
		}
		if got := where(res.Diagnostics); !reflect.DeepEqual(got, want) {
			t.Errorf("Check(%v) = %v, want %v (fixme only on Python, nolint filtered, sorted by place)", paths, got, want)
		}
		if len(res.Files) != 3 || res.Files["b.py"] == nil || len(res.Errors) != 0 {
			t.Errorf("Check(%v): files %v, errors %v", paths, res.Files, res.Errors)
		}
	}
	// SetFilter replaces the filter.
	e.SetFilter(nil)
	res, err := e.Check(testenv.Context(t), snap, []string{"b.py"})
	if err != nil {
		t.Fatal(err)
	}
	if got := where(res.Diagnostics); !reflect.DeepEqual(got, []string{"b.py:2 fixme", "b.py:12 todo"}) {
		t.Errorf("without the filter: %v", got)
	}
}

// TestCheckErrors: a failing analyzer leaves the others' diagnostics, its
// failure is in the result for every file, and the error handler hears it
// once per analyzer until ResetReported; a file that cannot be read is an
// error naming it; a cancelled check is the context's error.
func TestCheckErrors(t *testing.T) {
	snap := workspace(t, map[string]string{"a.go": "package a // TODO\n", "b.go": "package b\n", "c.py": "# TODO\n"})
	var mu sync.Mutex
	var heard []string
	e := New(
		WithAnalyzers(failing("bad"), word("todo", "TODO", false), failing("worse")),
		WithErrorHandler(func(err error) {
			mu.Lock()
			heard = append(heard, err.Error())
			mu.Unlock()
		}),
	)
	paths := []string{"a.go", "b.go", "c.py", "missing.go"}
	for i := 0; i < 2; i++ {
		res, err := e.Check(testenv.Context(t), snap, paths)
		if err != nil {
			t.Fatal(err)
		}
		if got := where(res.Diagnostics); !reflect.DeepEqual(got, []string{"a.go:13 todo", "c.py:2 todo"}) {
			t.Errorf("diagnostics beside failing analyzers = %v", got)
		}
		var errs []string
		for _, err := range res.Errors {
			errs = append(errs, err.Error())
		}
		if len(errs) != 7 || !strings.Contains(strings.Join(errs, "\n"), "read missing.go") {
			t.Errorf("errors = %q, want bad and worse on each of 3 files and missing.go unreadable", errs)
		}
		for _, want := range []string{"analyzer bad on a.go: boom", "analyzer worse on c.py: boom"} {
			if !strings.Contains(strings.Join(errs, "\n"), want) {
				t.Errorf("errors = %q, want %q", errs, want)
			}
		}
	}
	mu.Lock()
	if len(heard) != 2 || !strings.HasPrefix(heard[0]+heard[1], "analyzer ") || strings.Contains(heard[0], "worse") == strings.Contains(heard[1], "worse") {
		t.Errorf("error handler heard %q, want each failing analyzer once", heard)
	}
	heard = nil
	mu.Unlock()

	e.ResetReported()
	if _, err := e.Check(testenv.Context(t), snap, []string{"a.go"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(heard) != 2 {
		t.Errorf("after ResetReported the handler heard %q, want both analyzers again", heard)
	}
	mu.Unlock()

	ctx, cancel := context.WithCancel(testenv.Context(t))
	cancel()
	if _, err := e.Check(ctx, snap, paths); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Check: err = %v", err)
	}
}

// TestSetAnalyzersDuringCheck: swapping the analyzers while checks run
// (a configuration reload) gives every file the diagnostics of one set or
// the other, never a mix (run with -race).
func TestSetAnalyzersDuringCheck(t *testing.T) {
	files := map[string]string{}
	var paths []string
	for i := 0; i < 16; i++ {
		p := fmt.Sprintf("f%02d.go", i)
		files[p] = "package p // ONE TWO\n"
		paths = append(paths, p)
	}
	snap := workspace(t, files)
	setA := []*analysis.Analyzer{word("a1", "ONE", false), word("a2", "TWO", false)}
	setB := []*analysis.Analyzer{word("b1", "ONE", false), word("b2", "TWO", false)}
	e := New(WithAnalyzers(setA...))
	ctx := testenv.Context(t)
	stop := make(chan struct{})
	swapped := make(chan struct{})
	go func() {
		defer close(swapped)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			runtime.Gosched()
			if i%2 == 0 {
				e.SetAnalyzers(setB)
			} else {
				e.SetAnalyzers(setA)
			}
		}
	}()
	errc := make(chan error, 4)
	var checkers sync.WaitGroup
	for w := 0; w < 4; w++ {
		checkers.Add(1)
		go func() {
			defer checkers.Done()
			for i := 0; i < 20; i++ {
				res, err := e.Check(ctx, snap, paths)
				if err != nil {
					errc <- err
					return
				}
				byFile := map[string]string{}
				for _, d := range res.Diagnostics {
					byFile[d.Path] += d.Code[:1]
				}
				for _, p := range paths {
					if got := byFile[p]; got != "aa" && got != "bb" {
						errc <- fmt.Errorf("%s: diagnostics from analyzers %q, want one set's", p, got)
						return
					}
				}
			}
		}()
	}
	checkers.Wait()
	close(stop)
	<-swapped
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if got := e.Analyzers(); len(got) != 2 {
		t.Errorf("Analyzers() = %v", got)
	}
}

// TestEngineVerify: the engine verifies an edit with its own analyzers and
// the loop's gate settings, and progress hears each gate that runs.
func TestEngineVerify(t *testing.T) {
	const src = "package a\n\nfunc A() int { return 1 }\n"
	snap := workspace(t, map[string]string{"a.go": src})
	e := New(WithAnalyzers(word("todo", "TODO", false)))
	e.SetLoop(Loop{Verify: verify.Options{Gates: []string{verify.GateApply, verify.GateParse, verify.GateAnalyzers}, Sandbox: verify.SandboxNone}})
	var gates []string
	edit := verify.Edit{Edits: []analysis.TextEdit{{Path: "a.go", Start: len(src), End: len(src), NewText: "// TODO later\n"}}}
	v, err := e.Verify(testenv.Context(t), snap, edit, func(g string) { gates = append(gates, g) })
	if err != nil {
		t.Fatal(err)
	}
	if g := v.Failed(); v.Accepted || g == nil || g.Name != verify.GateAnalyzers || len(g.Findings) != 1 || g.Findings[0].Code != "todo" || g.Findings[0].Line != 4 {
		t.Fatalf("want the edit rejected by the engine's todo analyzer at a.go:4: %s", v.Summary())
	}
	if !reflect.DeepEqual(gates, []string{verify.GateApply, verify.GateParse, verify.GateAnalyzers}) {
		t.Errorf("progress heard %v", gates)
	}
	// The same edit without the analyzer (a reload) is accepted.
	e.SetAnalyzers(nil)
	v, err = e.Verify(testenv.Context(t), snap, edit, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Accepted {
		t.Errorf("with no analyzers: %s", v.Summary())
	}
}

// TestEngineFix: without a model the loop takes the analyzers' own fixes
// as candidates; Problems lists the findings, and Fix returns the accepted
// change without writing the workspace.
func TestEngineFix(t *testing.T) {
	const src = "package a\n\nfunc A() int { return 1 } // XXX\n"
	snap := workspace(t, map[string]string{"a.go": src})
	e := New(WithAnalyzers(word("xxx", " // XXX", true)))
	e.SetLoop(Loop{Verify: verify.Options{Gates: []string{verify.GateApply, verify.GateParse, verify.GateAnalyzers}, Sandbox: verify.SandboxNone}})
	if e.HasModel() {
		t.Fatal("HasModel with no model")
	}
	ctx := testenv.Context(t)
	problems, errs := e.Problems(ctx, snap, loop.Scope{Files: []string{"a.go"}})
	if len(errs) != 0 || len(problems) != 1 {
		t.Fatalf("problems = %v, errors = %v", problems, errs)
	}
	res, err := e.Fix(ctx, snap, problems, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Accepted() || res.Fixed() != 1 || len(res.Changes) != 1 || string(res.Changes[0].New) != "package a\n\nfunc A() int { return 1 }\n" {
		t.Fatalf("fix: accepted %v, fixed %d, changes %+v, errors %v", res.Accepted(), res.Fixed(), res.Changes, res.Errors)
	}
	if !strings.Contains(res.Patch, "-func A() int { return 1 } // XXX") {
		t.Errorf("patch = %q", res.Patch)
	}
	if data, _ := os.ReadFile(snap.Abs("a.go")); string(data) != src {
		t.Errorf("Fix wrote the workspace: %q", data)
	}

	// The document changed meanwhile above the fix: Reverify carries the
	// fix over and verifies it again.
	moved := snap.With(analysis.NewFile("a.go", []byte("package a\n\n// A is one.\nfunc A() int { return 1 } // XXX\n"), 0))
	re, err := e.Reverify(ctx, moved, res)
	if err != nil {
		t.Fatal(err)
	}
	if !re.Accepted() || len(re.Changes) != 1 || string(re.Changes[0].New) != "package a\n\n// A is one.\nfunc A() int { return 1 }\n" {
		t.Errorf("reverified: accepted %v, changes %+v, errors %v", re.Accepted(), re.Changes, re.Errors)
	}
	// The fixed text itself changed: the fix no longer fits.
	gone := snap.With(analysis.NewFile("a.go", []byte("package a\n\nfunc A() int { return 2 } // XXX\n"), 0))
	if _, err := e.Reverify(ctx, gone, res); !errors.Is(err, loop.ErrMoved) {
		t.Errorf("reverify over a changed line: err = %v, want ErrMoved", err)
	}
}

// TestRunTests runs a real Go module's tests: a failing test fails the
// report, Match narrows the run, and a patch that changes only comments
// selects no test.
func TestRunTests(t *testing.T) {
	snap := workspace(t, map[string]string{
		"go.mod":    "module example.com/m\n\ngo 1.21\n",
		"m.go":      "package m\n\n// Two is two.\nfunc Two() int { return 2 }\n",
		"m_test.go": "package m\n\nimport \"testing\"\n\nfunc TestTwo(t *testing.T) {\n\tif Two() != 2 {\n\t\tt.Fatal(\"not two\")\n\t}\n}\n\nfunc TestBroken(t *testing.T) { t.Fatal(\"broken\") }\n",
	})
	t.Setenv("GAUNTLET_CACHE", t.TempDir()) // the maps Select builds
	e := New()
	ctx := testenv.Context(t)
	settings := TestOptions{}
	rep, err := e.RunTests(ctx, snap, settings)
	if err != nil {
		t.Fatal(err)
	}
	status := func(rep *TestReport) map[string]string {
		out := map[string]string{}
		for _, r := range rep.Tests {
			out[r.ID] = string(r.Status)
		}
		return out
	}
	if rep.Passed || rep.TotalTests != 2 || !reflect.DeepEqual(status(rep), map[string]string{"example.com/m.TestTwo": "pass", "example.com/m.TestBroken": "fail"}) {
		t.Errorf("all tests: passed %v, total %d, results %v", rep.Passed, rep.TotalTests, status(rep))
	}
	rep, err = e.RunTests(ctx, snap, TestOptions{Match: regexp.MustCompile("^TestTwo$")})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Passed || !reflect.DeepEqual(rep.Selected, []string{"example.com/m.TestTwo"}) {
		t.Errorf("-run TestTwo: passed %v, selected %v", rep.Passed, rep.Selected)
	}
	after := snap.With(analysis.NewFile("m.go", []byte("package m\n\n// Two is 2.\nfunc Two() int { return 2 }\n"), 0))
	files, err := patch.Parse([]byte("--- a/m.go\n+++ b/m.go\n@@ -3 +3 @@\n-// Two is two.\n+// Two is 2.\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err = e.RunTests(ctx, after, TestOptions{Patch: files, Base: snap, SelectOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Passed || len(rep.Selected) != 0 || !reflect.DeepEqual(rep.CommentsOnly, []string{"m.go"}) {
		t.Errorf("comment-only patch: passed %v, selected %v, comments only %v", rep.Passed, rep.Selected, rep.CommentsOnly)
	}
}

package loop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/patch"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
	"github.com/gauntlet-dev/gauntlet/server/model"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

const calcGo = `package calc

// Add returns the sum of a and b.
func Add(a, b int) int {
	return a - b
}
`

// workspace writes files into a new directory and returns its snapshot.
func workspace(t *testing.T, files map[string]string) *analysis.Snapshot {
	t.Helper()
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, files)
	return analysis.NewSnapshot(dir)
}

// scripted is a model that answers from a list and records the requests.
type scripted struct {
	mu       sync.Mutex
	answers  []string
	requests []model.Request
}

func (s *scripted) Complete(ctx context.Context, req model.Request) (model.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
	if len(s.answers) == 0 {
		return model.Response{}, errors.New("script exhausted")
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	return model.Response{Text: a}, nil
}

func block(path, search, replace string) string {
	return "Here is the fix.\n\n" + path + "\n```go\n<<<<<<< SEARCH\n" + search + "=======\n" + replace + ">>>>>>> REPLACE\n```\n"
}

// judgeCalc is a stand-in for verify on calc.go: it applies the edit and
// rejects a syntax error (parse), a product (tests: TestAdd fails), and
// accepts the rest, reporting TestAdd as selected and passing.
func judgeCalc(calls *int) func(ctx context.Context, base *analysis.Snapshot, edit verify.Edit, opts verify.Options) (*verify.Verdict, error) {
	return func(ctx context.Context, base *analysis.Snapshot, edit verify.Edit, opts verify.Options) (*verify.Verdict, error) {
		*calls++
		v := &verify.Verdict{}
		gate := func(name string) *verify.Gate {
			g := &verify.Gate{Name: name, OK: true}
			v.Gates = append(v.Gates, g)
			return g
		}
		skipRest := func(from int) {
			for _, n := range verify.Gates[from:] {
				v.Gates = append(v.Gates, &verify.Gate{Name: n, Skipped: true})
			}
		}
		f, err := base.File("calc.go")
		if err != nil {
			return nil, err
		}
		data, err := analysis.ApplyEdits(f.Content, analysis.EditsByPath(edit.Edits)["calc.go"])
		g := gate(verify.GateApply)
		if err != nil {
			g.OK, g.Detail = false, err.Error()
			skipRest(1)
			return v, nil
		}
		after := analysis.NewFile("calc.go", data, 0)
		ds, _ := analysis.Run(ctx, after, []*analysis.Analyzer{syntax.Analyzer})
		g = gate(verify.GateParse)
		if len(ds) > 0 {
			g.OK, g.Detail = false, "1 new syntax error"
			line, col := after.Mapper().Position(ds[0].Start, analysis.UTF8)
			g.Findings = []verify.Finding{{Path: "calc.go", Line: line + 1, Column: col + 1, Severity: "error", Code: "syntax", Message: ds[0].Message}}
			skipRest(2)
			return v, nil
		}
		gate(verify.GateAnalyzers)
		gate(verify.GateBuild)
		g = gate(verify.GateTests)
		g.Selected = []string{"calc.TestAdd"}
		if strings.Contains(string(data), "a * b") {
			g.OK, g.Detail = false, "1 of 1 selected test failed: calc.TestAdd"
			g.Failed = []testrun.Failure{{ID: "calc.TestAdd", File: "calc_test.go", Status: "fail", Output: "calc_test.go:7: Add(2, 3) = 6, want 5"}}
			skipRest(5)
			return v, nil
		}
		if strings.Contains(string(data), "a - b") {
			g.Preexisting = []testrun.Failure{{ID: "calc.TestAdd", Status: "fail", Output: "calc_test.go:7: Add(2, 3) = -1, want 5"}}
		}
		gate(verify.GateCoverage)
		v.Accepted = true
		return v, nil
	}
}

func testProblem(snap *analysis.Snapshot) Problem {
	f, _ := snap.File("calc.go")
	start := strings.Index(string(f.Content), "func Add")
	p := Problem{Kind: KindTest, Path: "calc.go", Start: start, End: len(f.Content), Test: "calc.TestAdd", Output: "calc_test.go:7: Add(2, 3) = -1, want 5"}
	p.place(f)
	return p
}

func TestModelFeedback(t *testing.T) {
	snap := workspace(t, map[string]string{"calc.go": calcGo})
	m := &scripted{answers: []string{
		"I would change the operator.",                                  // no blocks
		block("../../outside.go", "", "package evil\n"),                 // leaves the workspace
		block("calc.go", "\treturn a - b\n", "\treturn a + (b\n"),       // parse
		block("calc.go", "\treturn a - b\n", "\treturn a * b\n"),        // tests
		block("calc.go", "\treturn a - b\n", "\treturn a - b\n"),        // changes nothing
		block("calc.go", "\treturn a - b\n", "\treturn a - b // sum\n"), // passes, but the test still fails
		block("calc.go", "\treturn a - b\n", "\treturn a + b\n"),        // right
	}}
	calls := 0
	var events []analysis.Progress
	res, err := Run(context.Background(), snap, []Problem{testProblem(snap)}, Options{
		Model: m, MaxAttempts: 7, Verifier: judgeCalc(&calls),
		Progress: func(e analysis.Progress) { events = append(events, e) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"apply: the answer does not parse", "apply: SEARCH block 1: path ../../outside.go leaves the workspace",
		"parse:", "tests:", "apply: the edit changes nothing", "fixed: calc.TestAdd still fails", ""}
	if len(res.Attempts) != len(want) {
		t.Fatalf("%d attempts, want %d", len(res.Attempts), len(want))
	}
	for i, a := range res.Attempts {
		if a.Source != "model" || a.N != i+1 || a.Problem != 1 {
			t.Errorf("attempt %d: source %q n %d problem %d", i+1, a.Source, a.N, a.Problem)
		}
		if !strings.HasPrefix(a.Reason, want[i]) || (want[i] == "") != a.Accepted {
			t.Errorf("attempt %d: reason %q accepted %v, want %q", i+1, a.Reason, a.Accepted, want[i])
		}
	}
	if calls != 4 {
		t.Errorf("verify ran %d times, want 4 (answers that do not apply never reach it)", calls)
	}
	// Each rejection's evidence is in the next request, and only the
	// newest evidence ends the conversation.
	evidence := []string{"no SEARCH/REPLACE blocks", "leaves the workspace", "calc.go:5:", "Add(2, 3) = 6, want 5", "changes nothing", "still fails"}
	for i, e := range evidence {
		req := m.requests[i+1]
		last := req.Messages[len(req.Messages)-1].Content
		if !strings.Contains(last, e) {
			t.Errorf("request %d does not end with the evidence %q of attempt %d:\n%s", i+2, e, i+1, last)
		}
	}
	p := res.Problems[0]
	if p.Status != "fixed" || p.FixedBy != 7 || !res.Accepted() {
		t.Errorf("problem status %q fixed by %d", p.Status, p.FixedBy)
	}
	if len(res.Changes) != 1 || !strings.Contains(string(res.Changes[0].New), "return a + b") || string(res.Changes[0].Old) != calcGo {
		t.Fatalf("changes %+v", res.Changes)
	}
	files, err := patch.Parse([]byte(res.Patch))
	if err != nil || len(files) != 1 {
		t.Fatalf("patch %q: %v", res.Patch, err)
	}
	if got, err := files[0].Apply([]byte(calcGo)); err != nil || string(got) != string(res.Changes[0].New) {
		t.Errorf("the patch gives %q, %v", got, err)
	}
	if data, _ := os.ReadFile(snap.Abs("calc.go")); string(data) != calcGo {
		t.Errorf("Run wrote calc.go")
	}
	if _, err := os.Stat(filepath.Join(snap.Root(), "..", "..", "outside.go")); err == nil {
		t.Errorf("a file appeared outside the workspace")
	}
	if len(events) < 3 || events[0].Kind != analysis.ProgressBegin || events[len(events)-1].Kind != analysis.ProgressEnd || events[len(events)-1].Message != "fixed" {
		t.Errorf("progress %+v", events)
	}
}

func TestMaxAttempts(t *testing.T) {
	snap := workspace(t, map[string]string{"calc.go": calcGo})
	m := &scripted{answers: []string{"no", "still no", "never", "unused"}}
	calls := 0
	res, err := Run(context.Background(), snap, []Problem{testProblem(snap)}, Options{Model: m, Verifier: judgeCalc(&calls)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Attempts) != DefaultMaxAttempts || res.Accepted() || res.Patch != "" || res.Problems[0].Status != "not-fixed" {
		t.Errorf("%d attempts, accepted %v, patch %q, status %q", len(res.Attempts), res.Accepted(), res.Patch, res.Problems[0].Status)
	}
	if len(m.answers) != 1 {
		t.Errorf("the model was asked %d times, want %d", 4-len(m.answers), DefaultMaxAttempts)
	}
}

func TestModelFailure(t *testing.T) {
	snap := workspace(t, map[string]string{"calc.go": calcGo})
	fatal := model.Func(func(context.Context, model.Request) (model.Response, error) {
		return model.Response{}, &model.Error{Provider: "openai", Kind: model.KindAuth, Status: 401, Message: "401 from openai", Hint: "check OPENAI_API_KEY"}
	})
	calls := 0
	p := testProblem(snap)
	res, err := Run(context.Background(), snap, []Problem{p, p}, Options{Model: fatal, Verifier: judgeCalc(&calls)})
	if err == nil || !strings.Contains(err.Error(), "OPENAI_API_KEY") {
		t.Errorf("error %v, want the provider's hint", err)
	}
	if len(res.Attempts) != 1 || res.Problems[0].Status != "error" || res.Problems[1].Status != "" {
		t.Errorf("a fatal model error must stop the loop: %d attempts, statuses %q %q", len(res.Attempts), res.Problems[0].Status, res.Problems[1].Status)
	}
	// A failure that is not fatal (5xx after the retries) ends only its problem.
	flaky := model.Func(func(context.Context, model.Request) (model.Response, error) {
		return model.Response{}, &model.Error{Provider: "openai", Kind: model.KindServer, Status: 500, Message: "500 from openai"}
	})
	res, err = Run(context.Background(), snap, []Problem{p, p}, Options{Model: flaky, Verifier: judgeCalc(&calls)})
	if err != nil || len(res.Attempts) != 2 || len(res.Errors) != 1 || res.Problems[1].Status != "error" {
		t.Errorf("err %v, %d attempts, errors %v", err, len(res.Attempts), res.Errors)
	}
}

func TestCancel(t *testing.T) {
	snap := workspace(t, map[string]string{"calc.go": calcGo})
	ctx, cancel := context.WithCancel(context.Background())
	m := model.Func(func(ctx context.Context, _ model.Request) (model.Response, error) {
		cancel()
		<-ctx.Done()
		return model.Response{}, ctx.Err()
	})
	calls := 0
	_, err := Run(ctx, snap, []Problem{testProblem(snap)}, Options{Model: m, Verifier: judgeCalc(&calls)})
	if !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("err %v, verify calls %d", err, calls)
	}
}

// todo reports each "TODO" with the fixes listed in fixes (by title, each
// replacing the word).
func todo(source string, fixes ...string) *analysis.Analyzer {
	return &analysis.Analyzer{Name: "todo", Source: source, Doc: "finds TODO", Run: func(p *analysis.Pass) error {
		c := string(p.Content())
		for off := 0; ; {
			i := strings.Index(c[off:], "TODO")
			if i < 0 {
				return nil
			}
			s := off + i
			d := analysis.Diagnostic{Start: s, End: s + 4, Message: "TODO left"}
			for _, f := range fixes {
				d.Fixes = append(d.Fixes, analysis.Fix{Title: f, Edits: []analysis.TextEdit{{Path: p.File.Path, Start: s, End: s + 4, NewText: f}}})
			}
			p.Report(d)
			off = s + 4
		}
	}}
}

type analyzers []*analysis.Analyzer

func (as analyzers) AnalyzeFile(ctx context.Context, f *analysis.File) ([]analysis.Diagnostic, []error) {
	return analysis.Run(ctx, f, as)
}

func diagProblems(t *testing.T, snap *analysis.Snapshot, as analyzers, path string) []Problem {
	t.Helper()
	ps, errs := Find(context.Background(), snap, Scope{Files: []string{path}}, Options{Analyzers: as})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return ps
}

// acceptUnless verifies by content: an edit whose result contains bad is
// rejected by the analyzers gate.
func acceptUnless(bad string, calls *int) func(context.Context, *analysis.Snapshot, verify.Edit, verify.Options) (*verify.Verdict, error) {
	return func(ctx context.Context, base *analysis.Snapshot, edit verify.Edit, _ verify.Options) (*verify.Verdict, error) {
		*calls++
		v := &verify.Verdict{Accepted: true}
		for p, es := range analysis.EditsByPath(edit.Edits) {
			f, err := base.File(p)
			if err != nil {
				return nil, err
			}
			data, _ := analysis.ApplyEdits(f.Content, es)
			if strings.Contains(string(data), bad) {
				v.Accepted = false
			}
		}
		for _, n := range verify.Gates {
			g := &verify.Gate{Name: n, OK: true}
			if n == verify.GateAnalyzers && !v.Accepted {
				g.OK, g.Detail = false, "1 new finding"
			}
			v.Gates = append(v.Gates, g)
		}
		return v, nil
	}
}

func TestAnalyzerFixesWithoutModel(t *testing.T) {
	snap := workspace(t, map[string]string{"a.go": "package a\n\n// TODO: one\n// TODO: two\n"})
	as := analyzers{syntax.Analyzer, todo("", "BROKEN", "DONE")}
	ps := diagProblems(t, snap, as, "a.go")
	if len(ps) != 2 || ps[0].Kind != KindDiagnostic || ps[0].Line != 3 || ps[0].Code != "todo" {
		t.Fatalf("problems %+v", ps)
	}
	calls := 0
	res, err := Run(context.Background(), snap, ps, Options{Analyzers: as, Verifier: acceptUnless("BROKEN", &calls)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range res.Attempts {
		got = append(got, fmt.Sprintf("%d/%d %s %q %v", a.Problem, a.N, a.Source, a.Title, a.Accepted))
	}
	want := []string{`1/1 rule:todo "BROKEN" false`, `1/2 rule:todo "DONE" true`, `2/1 rule:todo "BROKEN" false`, `2/2 rule:todo "DONE" true`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("attempts\n%v\nwant\n%v", got, want)
	}
	if string(res.Changes[0].New) != "package a\n\n// DONE: one\n// DONE: two\n" {
		t.Errorf("after both fixes: %q", res.Changes[0].New)
	}
	// A plugin's fix is named after the plugin.
	snap = workspace(t, map[string]string{"a.go": "package a\n\n// TODO\n"})
	as = analyzers{todo("team-plugin", "DONE")}
	res, _ = Run(context.Background(), snap, diagProblems(t, snap, as, "a.go"), Options{Analyzers: as, Verifier: acceptUnless("BROKEN", &calls)})
	if len(res.Attempts) != 1 || res.Attempts[0].Source != "plugin:team-plugin" {
		t.Errorf("attempts %+v", res.Attempts)
	}
	// No fix and no model: nothing to try, and the problem says why.
	as = analyzers{todo("")}
	res, _ = Run(context.Background(), snap, diagProblems(t, snap, as, "a.go"), Options{Analyzers: as, Verifier: acceptUnless("BROKEN", &calls)})
	if len(res.Attempts) != 0 || res.Problems[0].Status != "not-fixed" || !strings.Contains(res.Problems[0].Note, "no model") {
		t.Errorf("problem %+v", res.Problems[0])
	}
}

func TestFixedGate(t *testing.T) {
	snap := workspace(t, map[string]string{"a.go": "package a\n\n// TODO: one\n"})
	as := analyzers{todo("")}
	m := &scripted{answers: []string{
		block("a.go", "// TODO: one\n", "// TODO: one, later\n"), // passes the gates, fixes nothing
		block("a.go", "// TODO: one\n", "// one\n"),
	}}
	calls := 0
	res, err := Run(context.Background(), snap, diagProblems(t, snap, as, "a.go"), Options{Model: m, Analyzers: as, Verifier: acceptUnless("BROKEN", &calls)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Attempts) != 2 || res.Attempts[0].Accepted || !res.Attempts[1].Accepted {
		t.Fatalf("attempts %+v", res.Attempts)
	}
	g := res.Attempts[0].Gates[len(res.Attempts[0].Gates)-1]
	if g.Name != GateFixed || g.OK || !strings.Contains(g.Detail, "still reported: a.go:3:4") {
		t.Errorf("fixed gate %+v", g)
	}
	last := m.requests[1].Messages[len(m.requests[1].Messages)-1].Content
	if !strings.Contains(last, "rejected by the fixed gate") || !strings.Contains(last, "TODO left") {
		t.Errorf("the second request lacks the evidence:\n%s", last)
	}
}

func TestEarlierFixRemovesLaterProblem(t *testing.T) {
	snap := workspace(t, map[string]string{"a.go": "package a\n\n// TODO: one\n\n// TODO: two\n"})
	as := analyzers{todo("")}
	ps := diagProblems(t, snap, as, "a.go")
	m := &scripted{answers: []string{block("a.go", "// TODO: one\n\n// TODO: two\n", "// done\n")}}
	calls := 0
	res, err := Run(context.Background(), snap, ps, Options{Model: m, Analyzers: as, Verifier: acceptUnless("BROKEN", &calls)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Problems[0].Status != "fixed" || res.Problems[1].Status != "fixed-earlier" || res.Problems[1].FixedBy != 1 || len(m.requests) != 1 {
		t.Errorf("statuses %q %q (fixed by %d), %d requests", res.Problems[0].Status, res.Problems[1].Status, res.Problems[1].FixedBy, len(m.requests))
	}
	// A later problem that stays is moved to the new text.
	snap = workspace(t, map[string]string{"a.go": "package a\n\n// TODO: one\n\n// TODO: two\n"})
	ps = diagProblems(t, snap, as, "a.go")
	m = &scripted{answers: []string{block("a.go", "// TODO: one\n", "// one\n// more\n"), block("a.go", "// TODO: two\n", "// two\n")}}
	res, err = Run(context.Background(), snap, ps, Options{Model: m, Analyzers: as, Verifier: acceptUnless("BROKEN", &calls)})
	if err != nil || res.Fixed() != 2 {
		t.Fatalf("err %v, fixed %d", err, res.Fixed())
	}
	if p := res.Problems[1]; p.Line != 6 {
		t.Errorf("the second problem is at line %d after the first fix, want 6", p.Line)
	}
	if !strings.Contains(m.requests[1].Messages[0].Content, "a.go, line 6") {
		t.Errorf("the second request does not point at line 6:\n%s", m.requests[1].Messages[0].Content)
	}
	if string(res.Changes[0].New) != "package a\n\n// one\n// more\n\n// two\n" {
		t.Errorf("result %q", res.Changes[0].New)
	}
}

func TestRebase(t *testing.T) {
	old := "package a\n\nfunc f() int {\n\treturn 1\n}\n"
	fixed := "package a\n\nfunc f() int {\n\treturn 2\n}\n"
	changes := []FileChange{{Path: "a.go", Old: []byte(old), New: []byte(fixed)}}
	// The user added a line above: the fix moves with the text.
	snap := workspace(t, map[string]string{"a.go": "package a\n\n// f is one.\nfunc f() int {\n\treturn 1\n}\n"})
	edits, err := Rebase(changes, snap)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := snap.File("a.go")
	got, _ := analysis.ApplyEdits(f.Content, edits)
	if string(got) != "package a\n\n// f is one.\nfunc f() int {\n\treturn 2\n}\n" {
		t.Errorf("rebased: %q", got)
	}
	// The user changed the line the fix changes: it no longer fits.
	snap = workspace(t, map[string]string{"a.go": "package a\n\nfunc f() int {\n\treturn 3\n}\n"})
	if _, err := Rebase(changes, snap); !errors.Is(err, ErrMoved) {
		t.Errorf("err %v, want ErrMoved", err)
	}
}

func TestReverify(t *testing.T) {
	snap := workspace(t, map[string]string{"a.go": "package a\n\n// TODO: one\n"})
	as := analyzers{todo("")}
	m := &scripted{answers: []string{block("a.go", "// TODO: one\n", "// one\n")}}
	calls := 0
	opts := Options{Model: m, Analyzers: as, Verifier: acceptUnless("BROKEN", &calls)}
	res, err := Run(context.Background(), snap, diagProblems(t, snap, as, "a.go"), opts)
	if err != nil || !res.Accepted() {
		t.Fatalf("err %v accepted %v", err, res.Accepted())
	}
	f, _ := snap.File("a.go")
	typed := analysis.NewFile("a.go", []byte(strings.Replace(string(f.Content), "package a\n", "package a\n\nvar x = 1\n", 1)), 2)
	again, err := Reverify(context.Background(), snap.With(typed), res, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Accepted() || string(again.Changes[0].New) != "package a\n\nvar x = 1\n\n// one\n" || again.Attempts[0].Source != "rebased" {
		t.Errorf("reverified: accepted %v, changes %+v", again.Accepted(), again.Changes)
	}
	moved := analysis.NewFile("a.go", []byte("package a\n\n// TODO: uno\n"), 3)
	if _, err := Reverify(context.Background(), snap.With(moved), res, opts); !errors.Is(err, ErrMoved) {
		t.Errorf("err %v, want ErrMoved", err)
	}
}

// gocalc copies examples/gocalc with replacements applied to calc/calc.go.
func gocalc(t *testing.T, replace ...string) *analysis.Snapshot {
	t.Helper()
	src := filepath.Join("..", "..", "examples", "gocalc")
	files := map[string]string{}
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(src, p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	files["calc/calc.go"] = strings.NewReplacer(replace...).Replace(files["calc/calc.go"])
	return workspace(t, files)
}

func TestFailingTestsLocateCode(t *testing.T) {
	snap := gocalc(t, "return clamp(a + b)", "return clamp(a - b)")
	ps, err := FailingTests(context.Background(), snap, []string{"."}, Options{Verify: verify.Options{CacheDir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	// rpn.Eval calls calc.Add: its test fails too.
	if len(ps) != 2 || ps[1].Test != "example.com/gocalc/rpn.TestEval" {
		t.Fatalf("problems %+v, want TestAdd and TestEval", ps)
	}
	p := ps[0]
	if p.Kind != KindTest || p.Test != "example.com/gocalc/calc.TestAdd" || p.TestFile != "calc/calc_test.go" || !strings.Contains(p.Output, "Add(2, 3) = -1, want 5") {
		t.Errorf("problem %+v", p)
	}
	// Placed on Add (which the output names), not on clamp (which it also runs).
	if p.Path != "calc/calc.go" || p.Line != 12 {
		t.Errorf("placed at %s:%d, want calc/calc.go:12 (Add with its comment)", p.Path, p.Line)
	}
}

package server

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/server/loop"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

const (
	calcGo     = "package calc\n\n// TODO: it subtracts\nfunc Add(a, b int) int {\n\treturn a - b\n}\n"
	calcTestGo = "package calc\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(2, 3) != 5 {\n\t\tt.Fatal(\"Add(2, 3) != 5\")\n\t}\n}\n"
)

// calcModule writes a Go module whose Add subtracts and returns its
// snapshot and calc.go.
func calcModule(t *testing.T) (*analysis.Snapshot, *analysis.File) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{"go.mod": "module example.com/calc\n\ngo 1.22\n", "calc.go": calcGo, "calc_test.go": calcTestGo} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	snap := analysis.NewSnapshot(dir)
	f, err := snap.File("calc.go")
	if err != nil {
		t.Fatal(err)
	}
	return snap, f
}

// todoAnalyzer reports each "TODO" as a warning.
var todoAnalyzer = &analysis.Analyzer{Name: "todo", Run: func(p *analysis.Pass) error {
	c := p.Content()
	for i := bytes.Index(c, []byte("TODO")); i >= 0; {
		p.Report(analysis.Diagnostic{Start: i, End: i + 4, Message: "a TODO"})
		j := bytes.Index(c[i+4:], []byte("TODO"))
		if j < 0 {
			break
		}
		i += 4 + j
	}
	return nil
}}

// TestProblemAt: the problem a front end points at, in the engine's order:
// the instruction, the failing test named or at the span, the first error
// or warning in the span that matches, a failing test reported in the span.
func TestProblemAt(t *testing.T) {
	snap, f := calcModule(t)
	todo := bytes.Index(f.Content, []byte("TODO"))
	ret := bytes.Index(f.Content, []byte("return"))
	diags := []analysis.Diagnostic{
		{Path: "calc.go", Start: todo, End: todo + 4, Severity: analysis.SeverityHint, Code: "hint", Message: "a hint"},
		{Path: "calc.go", Start: todo, End: todo + 4, Severity: analysis.SeverityWarning, Code: "a", Message: "first"},
		{Path: "calc.go", Start: todo, End: todo + 4, Severity: analysis.SeverityError, Code: "b", Message: "second"},
		{Path: "other.go", Start: ret, End: ret + 6, Severity: analysis.SeverityError, Code: "c", Message: "elsewhere"},
	}
	given := func(context.Context) []analysis.Diagnostic { return diags }
	failing := func(start, end int) string {
		if start <= ret+6 && ret <= end {
			return "example.com/calc.TestAdd"
		}
		return ""
	}
	for _, tc := range []struct {
		name    string
		target  Target
		kind    loop.Kind
		code    string
		test    string
		wantErr string
	}{
		{name: "instruction", target: Target{Start: ret, End: ret, Ranged: true, Instruction: "add instead", Diagnostics: given}, kind: loop.KindInstruction},
		{name: "instruction without a range", target: Target{End: len(calcGo), Instruction: "add instead"}, wantErr: "an instruction needs a range"},
		{name: "the first error or warning in the span", target: Target{Start: todo, End: todo, Ranged: true, Diagnostics: given}, kind: loop.KindDiagnostic, code: "a"},
		{name: "the one named by code and message", target: Target{Start: todo, End: todo, Ranged: true, Code: "b", Message: "second", Diagnostics: given}, kind: loop.KindDiagnostic, code: "b"},
		{name: "another file's finding is not chosen", target: Target{Start: ret, End: ret, Ranged: true, Code: "c", Diagnostics: given}, wantErr: "no error or warning in the range"},
		{name: "the engine analyzes when not given findings", target: Target{Start: todo, End: todo, Ranged: true}, kind: loop.KindDiagnostic, code: "todo"},
		{name: "a failing test named", target: Target{Start: todo, End: todo, Ranged: true, Test: "example.com/calc.TestAdd", Diagnostics: given}, kind: loop.KindTest, test: "example.com/calc.TestAdd"},
		{name: "a failing test named that does not exist", target: Target{Test: "example.com/calc.TestNone", Diagnostics: given}, wantErr: "no test example.com/calc.TestNone"},
		{name: "the failing test at the span", target: Target{Start: ret, End: ret, Ranged: true, ForTest: true, FailingAt: failing, Diagnostics: given}, kind: loop.KindTest, test: "example.com/calc.TestAdd"},
		{name: "no finding: the failing test in the span", target: Target{Start: ret, End: ret, Ranged: true, FailingAt: failing, Diagnostics: given}, kind: loop.KindTest, test: "example.com/calc.TestAdd"},
		{name: "nothing in the span", target: Target{Start: 0, End: 1, Ranged: true, FailingAt: failing, Diagnostics: given}, wantErr: "no error or warning in the range, and no instruction"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(WithAnalyzers(todoAnalyzer))
			tc.target.File = f
			p, err := e.ProblemAt(context.Background(), snap, tc.target)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %+v, %v; want error %q", p, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Kind != tc.kind || p.Code != tc.code || p.Test != tc.test {
				t.Errorf("got %s problem code %q test %q; want %s, %q, %q", p.Kind, p.Code, p.Test, tc.kind, tc.code, tc.test)
			}
		})
	}
}

// fakeView is a front end's view that changes as a test says: texts[i] is
// a.txt's content in the i-th view, stale[i] whether a fix verified on an
// earlier view is stale in it.
type fakeView struct {
	dir   string
	i     int
	texts []string
	stale []bool
}

func (v *fakeView) Stale(*loop.Result) bool { return v.stale[v.i] }

func (v *fakeView) Next() (View, *analysis.Snapshot) {
	n := &fakeView{dir: v.dir, i: min(v.i+1, len(v.texts)-1), texts: v.texts, stale: v.stale}
	return n, analysis.NewSnapshot(v.dir).With(analysis.NewFile("a.txt", []byte(n.texts[n.i]), int32(n.i+1)))
}

// TestRefresh: a fix verified on a text that has changed since is verified
// again on the new text (and sent against it), dropped when it no longer
// fits or is rejected there, and given up on when the text keeps changing.
func TestRefresh(t *testing.T) {
	const old = "one\ntwo\nthree\n"
	fixed := &loop.Problem{Kind: loop.KindInstruction, Path: "a.txt", Instruction: "number two", Status: "fixed", FixedBy: 1}
	res := &loop.Result{
		Problems: []*loop.Problem{fixed},
		Attempts: []*loop.Attempt{{Problem: 1, N: 1, Source: "model", Accepted: true}},
		Changes:  []loop.FileChange{{Path: "a.txt", Old: []byte(old), New: []byte("one\n2\nthree\n")}},
	}
	accept := func(context.Context, *analysis.Snapshot, verify.Edit, verify.Options) (*verify.Verdict, error) {
		return &verify.Verdict{Accepted: true, Gates: []*verify.Gate{{Name: "build", OK: true}}}, nil
	}
	reject := func(context.Context, *analysis.Snapshot, verify.Edit, verify.Options) (*verify.Verdict, error) {
		return &verify.Verdict{Gates: []*verify.Gate{{Name: "build", Detail: "undefined: x"}}}, nil
	}
	for _, tc := range []struct {
		name     string
		texts    []string
		stale    []bool
		verifier func(context.Context, *analysis.Snapshot, verify.Edit, verify.Options) (*verify.Verdict, error)
		calls    int    // verifications
		rounds   int    // re-verifications begun
		want     string // the fixed text of the view the result is for
		dropped  string
	}{
		{name: "fresh", texts: []string{old}, stale: []bool{false}, verifier: accept, want: "one\n2\nthree\n"},
		{name: "re-verified", texts: []string{old, "zero\n" + old}, stale: []bool{true, false}, verifier: accept, calls: 1, rounds: 1, want: "zero\none\n2\nthree\n"},
		{name: "rejected on the new text", texts: []string{old, "zero\n" + old}, stale: []bool{true, false}, verifier: reject, calls: 1, rounds: 1,
			dropped: "the document changed while gauntlet verified the fix, and rejected on the new text by build: undefined: x"},
		{name: "the fixed lines changed", texts: []string{old, "one\nTWO\nthree\n"}, stale: []bool{true, false}, verifier: accept, rounds: 1,
			dropped: "the document changed while gauntlet verified the fix, and "},
		{name: "kept changing", texts: []string{old, "zero\n" + old, "zero\nzero\n" + old}, stale: []bool{true, true, true}, verifier: accept, calls: MaxReverify, rounds: MaxReverify,
			dropped: "the document kept changing while gauntlet verified the fix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New()
			calls := 0
			e.verifier = func(ctx context.Context, base *analysis.Snapshot, edit verify.Edit, opts verify.Options) (*verify.Verdict, error) {
				calls++
				return tc.verifier(ctx, base, edit, opts)
			}
			var heard []string
			v := &fakeView{dir: t.TempDir(), texts: tc.texts, stale: tc.stale}
			fr, err := e.Refresh(context.Background(), res, v, func(msg string) { heard = append(heard, msg) })
			if err != nil {
				t.Fatal(err)
			}
			if calls != tc.calls || len(heard) != tc.rounds {
				t.Errorf("%d verifications, progress %q; want %d and %d re-verifications", calls, heard, tc.calls, tc.rounds)
			}
			if tc.dropped != "" {
				if fr.Result != nil || !strings.HasPrefix(fr.Dropped, tc.dropped) {
					t.Fatalf("got %+v; want dropped: %q", fr, tc.dropped)
				}
				return
			}
			if fr.Result == nil || fr.Dropped != "" {
				t.Fatalf("got %+v; want a fix", fr)
			}
			if got := string(fr.Result.Changes[0].New); got != tc.want {
				t.Errorf("the fix makes %q; want %q", got, tc.want)
			}
			if fv := fr.View.(*fakeView); fv.texts[fv.i] != string(fr.Result.Changes[0].Old) {
				t.Errorf("the view %q is not the text the fix was verified on %q", fv.texts[fv.i], fr.Result.Changes[0].Old)
			}
			if fr.Attempts != tc.calls {
				t.Errorf("attempts %d; want %d", fr.Attempts, tc.calls)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		e := New()
		ctx, cancel := context.WithCancel(context.Background())
		e.verifier = func(ctx context.Context, _ *analysis.Snapshot, _ verify.Edit, _ verify.Options) (*verify.Verdict, error) {
			cancel()
			return nil, ctx.Err()
		}
		v := &fakeView{dir: t.TempDir(), texts: []string{old, "zero\n" + old}, stale: []bool{true, false}}
		if fr, err := e.Refresh(ctx, res, v, nil); !errors.Is(err, context.Canceled) || fr.Result != nil {
			t.Fatalf("got %+v, %v; want context.Canceled", fr, err)
		}
	})
}

package verify

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// The build, tests and coverage gates and the blame rule, driven through
// Verify on a real Go module (the build gate runs the real go command) with
// a fake test runner (Options.Runners): the fake decides each test's
// outcome and coverage from the code it is run on, and counts its runs.

const (
	gateMod = "module example.com/calc\n\ngo 1.21\n"
	// gateSrc: lines 5-7 are Add's body, line 11 Unused's ("never": the
	// fake runner's tests never run it).
	gateSrc = "package calc\n\n// Add returns a+b.\nfunc Add(a, b int) int {\n\ts := a\n\ts += b\n\treturn s\n}\n\nfunc Unused() int {\n\treturn 0 // never\n}\n"
	gateTst = "package calc\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(1, 2) != 3 {\n\t\tt.Fatal(\"Add(1, 2) != 3\")\n\t}\n}\n\nfunc TestSub(t *testing.T) {}\n"
)

var (
	gateAdd = testrun.Test{ID: "example.com/calc.TestAdd", Name: "TestAdd", Package: "example.com/calc", File: "calc_test.go", Line: 5, Kind: testrun.KindTest, Language: "go"}
	gateSub = testrun.Test{ID: "example.com/calc.TestSub", Name: "TestSub", Package: "example.com/calc", File: "calc_test.go", Line: 11, Kind: testrun.KindTest, Language: "go"}
)

// fakeRunner is a testrun.Runner named "go" (so that the blame cache keys
// its runs by content, as it does the real Go runner's) with one project at
// the workspace root.
type fakeRunner struct {
	tests []testrun.Test
	// outcome says how a test fares on the code of calc.go (default: pass).
	outcome func(src string, t testrun.Test) (testrun.Status, string)
	runErr  error // Run fails with it
	// failAfter: Run fails with runErr from that many runs on (0: from
	// the first).
	failAfter int
	empty     bool // Run reports no result at all

	mu   sync.Mutex
	runs []fakeRun
}

// fakeRun is one call of Run: the calc.go it ran on and the tests.
type fakeRun struct {
	src   string
	tests []string
}

func (f *fakeRunner) Name() string { return "go" }

func (f *fakeRunner) Projects(env *testrun.Env, paths []string) ([]*testrun.Project, error) {
	return []*testrun.Project{{Runner: f, Dir: ".", Name: "example.com/calc"}}, nil
}

func (f *fakeRunner) Discover(ctx context.Context, env *testrun.Env, p *testrun.Project) ([]testrun.Test, error) {
	return f.tests, nil
}

func (f *fakeRunner) TestsInFile(ctx context.Context, env *testrun.Env, p *testrun.Project, file string) ([]testrun.Test, error) {
	var out []testrun.Test
	for _, t := range f.tests {
		if t.File == file {
			out = append(out, t)
		}
	}
	return out, nil
}

func (f *fakeRunner) Affected(ctx context.Context, env *testrun.Env, p *testrun.Project, file string) ([]testrun.Test, error) {
	return f.tests, nil
}

func (f *fakeRunner) Run(ctx context.Context, env *testrun.Env, p *testrun.Project, tests []testrun.Test, opt testrun.RunOptions) (*testrun.Report, error) {
	src := fakeSource(env.Snapshot)
	call := fakeRun{src: src}
	for _, t := range tests {
		call.tests = append(call.tests, t.ID)
	}
	f.mu.Lock()
	f.runs = append(f.runs, call)
	n := len(f.runs)
	f.mu.Unlock()
	if f.runErr != nil && n > f.failAfter {
		return nil, f.runErr
	}
	out := &testrun.Report{}
	if opt.Coverage {
		out.Coverage = fakeCoverage(src)
	}
	if f.empty {
		return out, nil
	}
	for _, t := range tests {
		st, output := testrun.Pass, ""
		if f.outcome != nil {
			st, output = f.outcome(src, t)
		}
		out.Results = append(out.Results, testrun.Result{ID: t.ID, Package: t.Package, File: t.File, Line: t.Line, Status: st, Output: output})
	}
	return out, nil
}

// Map is the per-test map of the code before the edit: every test runs
// every line fakeCoverage says runs, and fares as outcome says.
func (f *fakeRunner) Map(ctx context.Context, env *testrun.Env, p *testrun.Project) (*coverage.Map, error) {
	m := coverage.NewMap()
	src := fakeSource(env.Snapshot)
	prof := fakeCoverage(src)
	for _, t := range f.tests {
		st := testrun.Pass
		if f.outcome != nil {
			st, _ = f.outcome(src, t)
		}
		m.AddTest(t.ID, string(st), prof)
	}
	return m, nil
}

// runsOn returns how many runs were of calc.go with the content src.
func (f *fakeRunner) runsOn(src string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.runs {
		if r.src == src {
			n++
		}
	}
	return n
}

func fakeSource(snap *analysis.Snapshot) string {
	f, err := snap.File("calc.go")
	if err != nil {
		return ""
	}
	return string(f.Content)
}

// fakeCoverage is line coverage of calc.go: every indented line is a
// statement, run unless it says "never".
func fakeCoverage(src string) *coverage.Profile {
	p := coverage.NewProfile()
	for i, l := range strings.Split(src, "\n") {
		if !strings.HasPrefix(l, "\t") {
			continue
		}
		hits := 1
		if strings.Contains(l, "never") {
			hits = 0
		}
		p.Add("calc.go", coverage.Block{StartLine: i + 1, EndLine: i + 1, Stmts: 1}, hits)
	}
	return p
}

// testContext is bounded by the test's own deadline, with time left to
// report.
func testContext(t *testing.T) context.Context {
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-10*time.Second))
		t.Cleanup(cancel)
	}
	return ctx
}

// wantRejectedBy fails the test unless v was rejected by gate ("" for
// accepted).
func wantRejectedBy(t *testing.T, v *Verdict, gate string) {
	t.Helper()
	failed := ""
	if g := v.Failed(); g != nil {
		failed = g.Name
	}
	if failed != gate {
		t.Fatalf("rejected by %q, want %q: %s", failed, gate, v.Summary())
	}
}

func gateWorkspace(t *testing.T, src string) *analysis.Snapshot {
	return workspace(t, map[string]string{"go.mod": gateMod, "calc.go": src, "calc_test.go": gateTst})
}

func editCalc(src string) Edit {
	return Edit{Files: []FileChange{{Path: "calc.go", Content: []byte(src)}}}
}

// verdictOf runs Verify with the fake runner and no sandbox.
func verdictOf(t *testing.T, base *analysis.Snapshot, edit Edit, fake *fakeRunner, opts Options) *Verdict {
	t.Helper()
	opts.Sandbox = SandboxNone
	opts.Runners = []testrun.Runner{fake}
	if opts.CacheDir == "" {
		opts.CacheDir = t.TempDir()
	}
	v, err := Verify(testContext(t), base, edit, opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// failsWhen is an outcome: TestAdd fails with output out when calc.go
// contains text.
func failsWhen(text, out string) func(string, testrun.Test) (testrun.Status, string) {
	return func(src string, t testrun.Test) (testrun.Status, string) {
		if t.ID == gateAdd.ID && strings.Contains(src, text) {
			return testrun.Fail, out
		}
		return testrun.Pass, ""
	}
}

// diagnosticAt reports whether v has a diagnostic for editors on line
// (1-based) of path, whose content after the edit is content, with a
// message that starts with prefix.
func diagnosticAt(v *Verdict, path, content string, line int, prefix string) bool {
	for _, d := range v.Diagnostics {
		if d.Path == path && d.Start <= len(content) && strings.Count(content[:d.Start], "\n")+1 == line && strings.HasPrefix(d.Message, prefix) {
			return true
		}
	}
	return false
}

// TestGates: what a user sees for edits that the build, tests or
// coverage gate rejects, or that pass them.
func TestGates(t *testing.T) {
	const (
		sub      = "package calc\n\n// Add returns a+b.\nfunc Add(a, b int) int {\n\ts := a\n\ts -= b\n\treturn s\n}\n\nfunc Unused() int {\n\treturn 0 // never\n}\n"
		same     = "package calc\n\n// Add returns a+b.\nfunc Add(a, b int) int {\n\ts := a\n\ts += b\n\treturn s + 0\n}\n\nfunc Unused() int {\n\treturn 0 // never\n}\n"
		badType  = "package calc\n\n// Add returns a+b.\nfunc Add(a, b int) int {\n\ts := a\n\ts += \"b\"\n\treturn s\n}\n\nfunc Unused() int {\n\treturn 0 // never\n}\n"
		unrun    = "package calc\n\n// Add returns a+b.\nfunc Add(a, b int) int {\n\ts := a\n\ts += b\n\treturn s\n}\n\nfunc Unused() int {\n\tx := 1 // never\n\treturn x // never\n}\n"
		shrunk   = "package calc\n\n// Add returns a+b.\nfunc Add(a, b int) int {\n\treturn a + b\n}\n\nfunc Unused() int {\n\treturn 0 // never\n}\n"
		addOut   = "calc_test.go:7: Add(1, 2) != 3\n"
		brokenTo = "calc_test.go:7: Add(1, 2) != 3 (broken before)\n"
	)
	tests := []testrun.Test{gateAdd, gateSub}
	for _, c := range []struct {
		name   string
		edit   string
		fake   *fakeRunner
		opts   Options
		want   string // "accepted", "rejected" or "error"
		gate   string // the gate that rejected or errored
		detail string // in that gate's (or, accepted, the tests/coverage gate's) detail
		check  func(t *testing.T, v *Verdict)
	}{
		{
			name: "build error", edit: badType, fake: &fakeRunner{tests: tests},
			want: "rejected", gate: GateBuild, detail: "calc.go:6:",
			check: func(t *testing.T, v *Verdict) {
				g := v.Gate(GateBuild)
				if len(g.Errors) == 0 || g.Errors[0].Path != "calc.go" || g.Errors[0].Line != 6 || !strings.Contains(g.Errors[0].Message, "mismatched types") {
					t.Errorf("build errors = %+v, want the compiler's mismatched types at calc.go:6", g.Errors)
				}
				if !diagnosticAt(v, "calc.go", badType, 6, "") {
					t.Errorf("no diagnostic on calc.go for the editor: %+v", v.Diagnostics)
				}
				for _, n := range []string{GateTests, GateCoverage} {
					if g := v.Gate(n); !g.Skipped || g.Detail != "not run: build failed" {
						t.Errorf("%s gate after a build failure: %+v", n, g)
					}
				}
			},
		},
		{
			name: "passing tests, covered lines", edit: same, fake: &fakeRunner{tests: tests},
			want: "accepted", gate: GateTests, detail: "2 selected tests pass",
			check: func(t *testing.T, v *Verdict) {
				if g := v.Gate(GateCoverage); !g.OK || g.Detail != "1 changed line of code, all run by the selected tests" {
					t.Errorf("coverage gate = %+v", g)
				}
			},
		},
		{
			name: "fails after the edit, passes before: blamed", edit: sub,
			fake: &fakeRunner{tests: tests, outcome: failsWhen("s -= b", addOut)},
			want: "rejected", gate: GateTests, detail: "1 of 2 selected tests failed: example.com/calc.TestAdd",
			check: func(t *testing.T, v *Verdict) {
				g := v.Gate(GateTests)
				if len(g.Failed) != 1 || g.Failed[0].ID != gateAdd.ID || g.Failed[0].File != "calc_test.go" || g.Failed[0].Line != 5 || g.Failed[0].Output != addOut || len(g.Preexisting) != 0 {
					t.Errorf("failed = %+v, preexisting = %+v", g.Failed, g.Preexisting)
				}
				if !diagnosticAt(v, "calc_test.go", gateTst, 5, "example.com/calc.TestAdd fails after this edit: calc_test.go:7: Add(1, 2) != 3") {
					t.Errorf("no diagnostic at the failing test: %+v", v.Diagnostics)
				}
			},
		},
		{
			// Today a test that fails the same way before and after the
			// edit is reported as preexisting, and the edit is accepted.
			name: "fails before and after: not blamed", edit: sub,
			fake: &fakeRunner{tests: tests, outcome: failsWhen("s :=", brokenTo)},
			want: "accepted", gate: GateTests, detail: "1 selected test pass; 1 failed before the edit too",
			check: func(t *testing.T, v *Verdict) {
				g := v.Gate(GateTests)
				if len(g.Failed) != 0 || len(g.Preexisting) != 1 || g.Preexisting[0].ID != gateAdd.ID || g.Preexisting[0].Output != brokenTo {
					t.Errorf("failed = %+v, preexisting = %+v", g.Failed, g.Preexisting)
				}
			},
		},
		{
			// It failed before, but not this way: the edit changed what
			// it checks.
			name: "fails before and after, differently: blamed", edit: sub,
			fake: &fakeRunner{tests: tests, outcome: func(src string, t testrun.Test) (testrun.Status, string) {
				if t.ID != gateAdd.ID {
					return testrun.Pass, ""
				}
				if strings.Contains(src, "s -= b") {
					return testrun.Fail, "calc_test.go:7: got -1\n"
				}
				return testrun.Fail, "calc_test.go:7: got 4\n"
			}},
			want: "rejected", gate: GateTests, detail: "1 of 2 selected tests failed: example.com/calc.TestAdd",
			check: func(t *testing.T, v *Verdict) {
				if g := v.Gate(GateTests); len(g.Failed) != 1 || g.Failed[0].Output != "calc_test.go:7: got -1\n" {
					t.Errorf("failed = %+v, want the output after the edit", g.Failed)
				}
			},
		},
		{
			name: "runner error", edit: same, fake: &fakeRunner{tests: tests, runErr: errors.New("go: cannot find main module")},
			want: "error", gate: GateTests, detail: "cannot find main module",
		},
		{
			// The edit's run works and TestAdd fails; every run after it
			// (the base, then the whole package before and after the
			// edit) fails to start, the same way each time: the gate
			// cannot judge the failure, and must not call it preexisting.
			name: "runner fails on the base", edit: sub,
			// TestAdd failed before too (the map says so): the base runs.
			fake: &fakeRunner{tests: tests, outcome: failsWhen("s :=", addOut), runErr: errors.New("fork/exec go: resource temporarily unavailable"), failAfter: 1},
			want: "error", gate: GateTests, detail: "resource temporarily unavailable",
		},
		{
			// The runner ran the selection and reported nothing: found
			// nothing is not a pass.
			name: "no result for the selected tests", edit: same, fake: &fakeRunner{tests: tests, empty: true},
			want: "error", gate: GateTests, detail: "no result",
		},
		{
			// No test at all: the tests gate has nothing to run, and the
			// coverage gate finds the changed line that no test runs.
			name: "no tests collected", edit: same, fake: &fakeRunner{},
			want: "rejected", gate: GateCoverage, detail: "changed lines that no test runs: calc.go:7",
			check: func(t *testing.T, v *Verdict) {
				if g := v.Gate(GateTests); !g.OK || g.Detail != "no test is affected by the edit" {
					t.Errorf("tests gate = %+v", g)
				}
			},
		},
		{
			// Today: with no test at all, an edit outside function bodies
			// (a package-level declaration) has no line of code for the
			// coverage gate, and is accepted with no test run.
			name: "no tests collected, declaration changed", edit: gateSrc + "\nconst Limit = 0\n", fake: &fakeRunner{},
			want: "accepted", gate: GateCoverage, detail: "no changed line of code to cover",
			check: func(t *testing.T, v *Verdict) {
				if g := v.Gate(GateTests); !g.OK || g.Detail != "no test is affected by the edit" {
					t.Errorf("tests gate = %+v", g)
				}
			},
		},
		{
			name: "changed lines no test runs", edit: unrun, fake: &fakeRunner{tests: tests},
			want: "rejected", gate: GateCoverage, detail: "changed lines that no test runs: calc.go:11-12",
			check: func(t *testing.T, v *Verdict) {
				g := v.Gate(GateCoverage)
				if len(g.Uncovered) != 1 || g.Uncovered[0] != (testrun.Lines{Path: "calc.go", Start: 11, End: 12}) {
					t.Errorf("uncovered = %+v", g.Uncovered)
				}
				n := 0
				for _, d := range v.Diagnostics {
					if d.Code == "uncovered" && d.Path == "calc.go" {
						n++
					}
				}
				if n != 2 {
					t.Errorf("want an uncovered warning on each of the 2 lines: %+v", v.Diagnostics)
				}
			},
		},
		{
			name: "coverage drops beyond loop.coverage_drop", edit: shrunk, fake: &fakeRunner{tests: tests},
			opts: Options{CheckCoverageDrop: true, CoverageDrop: 5},
			want: "rejected", gate: GateCoverage, detail: "calc.go: coverage by the selected tests drops from 75.0% to 50.0% (loop.coverage_drop is 5)",
		},
		{
			name: "coverage drops within loop.coverage_drop", edit: shrunk, fake: &fakeRunner{tests: tests},
			opts: Options{CheckCoverageDrop: true, CoverageDrop: 30},
			want: "accepted", gate: GateCoverage, detail: "1 changed line of code, all run by the selected tests; coverage by the selected tests: calc.go 75.0% → 50.0%",
		},
		{
			name: "coverage drops, loop.coverage_drop unset", edit: shrunk, fake: &fakeRunner{tests: tests},
			want: "accepted", gate: GateCoverage, detail: "calc.go 75.0% → 50.0% (set loop.coverage_drop to limit drops)",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			base := gateWorkspace(t, gateSrc)
			v := verdictOf(t, base, editCalc(c.edit), c.fake, c.opts)
			g := v.Gate(c.gate)
			switch c.want {
			case "accepted":
				if !v.Accepted || v.Errored() {
					t.Fatalf("want accepted: %s", v.Summary())
				}
			case "rejected":
				if v.Accepted || v.Errored() {
					t.Fatalf("want rejected: %s", v.Summary())
				}
				if f := v.Failed(); f == nil || f.Name != c.gate {
					t.Fatalf("rejected by %+v, want the %s gate: %s", f, c.gate, v.Summary())
				}
			case "error":
				if v.Accepted || !v.Errored() || g.Error == "" {
					t.Fatalf("want an error of the %s gate: %s", c.gate, v.Summary())
				}
			}
			if !strings.Contains(g.Detail, c.detail) {
				t.Errorf("%s gate detail = %q, want it to contain %q", c.gate, g.Detail, c.detail)
			}
			if c.check != nil {
				c.check(t, v)
			}
		})
	}
}

// TestBlameCacheThroughVerify: a failing test that the base's per-test
// map saw pass is blamed without running the base; one the map saw fail
// runs on the unedited code, unless a run of the same tests on the same
// content is kept; a base with other content runs again.
func TestBlameCacheThroughVerify(t *testing.T) {
	const sub = "package calc\n\n// Add returns a+b.\nfunc Add(a, b int) int {\n\ts := a\n\ts -= b\n\treturn s\n}\n\nfunc Unused() int {\n\treturn 0 // never\n}\n"
	blamed := func(v *Verdict) {
		t.Helper()
		if g := v.Failed(); g == nil || g.Name != GateTests || len(g.Failed) != 1 || g.Failed[0].ID != gateAdd.ID {
			t.Fatalf("want TestAdd blamed: %s", v.Summary())
		}
	}
	base := gateWorkspace(t, gateSrc)

	known := &fakeRunner{tests: []testrun.Test{gateAdd, gateSub}, outcome: failsWhen("s -= b", "calc_test.go:7: got -1\n")}
	blamed(verdictOf(t, base, editCalc(sub), known, Options{CacheDir: t.TempDir()}))
	if n := known.runsOn(gateSrc); n != 0 {
		t.Errorf("a failure the map saw pass: %d runs on the base, want none", n)
	}

	// TestAdd fails before the edit too, differently: the base must run.
	cache := t.TempDir()
	fake := &fakeRunner{tests: []testrun.Test{gateAdd, gateSub}, outcome: func(src string, tt testrun.Test) (testrun.Status, string) {
		if tt.ID != gateAdd.ID {
			return testrun.Pass, ""
		}
		if strings.Contains(src, "s -= b") {
			return testrun.Fail, "calc_test.go:7: got -1\n"
		}
		return testrun.Fail, "calc_test.go:7: got 4\n"
	}}
	opts := Options{CacheDir: cache}

	blamed(verdictOf(t, base, editCalc(sub), fake, opts))
	if n := fake.runsOn(gateSrc); n != 1 {
		t.Fatalf("first verification: %d runs on the base, want 1", n)
	}
	// The same base again: the kept result, no run on the base.
	blamed(verdictOf(t, base, editCalc(sub), fake, opts))
	if n := fake.runsOn(gateSrc); n != 1 {
		t.Errorf("same content: %d runs on the base, want the kept result (1 run in all)", n)
	}
	// Per verification: the selection, then (failing both ways) its
	// package whole.
	if n := fake.runsOn(sub); n != 4 {
		t.Errorf("runs on the edit = %d, want two per verification", n)
	}
	// The same workspace whose package differs (an unsaved buffer with
	// one comment more): a run of its own, kept in turn.
	other := strings.Replace(gateSrc, "// Add returns a+b.", "// Add returns a+b.\n// It never overflows in tests.", 1)
	otherBase := base.With(analysis.NewFile("calc.go", []byte(other), 0))
	for i := 0; i < 2; i++ {
		blamed(verdictOf(t, otherBase, editCalc(sub), fake, opts))
		if n := fake.runsOn(other); n != 1 {
			t.Errorf("changed content, verification %d: %d runs on the base, want 1", i+1, n)
		}
	}
	// The first content's result is still kept.
	blamed(verdictOf(t, base, editCalc(sub), fake, opts))
	if n := fake.runsOn(gateSrc); n != 1 {
		t.Errorf("first content again: %d runs on the base, want 1 in all", n)
	}
}

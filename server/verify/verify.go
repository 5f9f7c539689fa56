// Package verify answers whether a proposed edit is safe to take, with the
// evidence, without touching the user's files: the edit is applied to a
// shadow of the workspace, and the gates of the closed loop run on it in
// order — apply, parse, analyzers, build, tests, coverage — stopping at the
// first that fails.
//
// Builds and tests run in a materialised shadow copy of the workspace,
// under bubblewrap when it is installed (no network, everything but the
// shadow, the temporary directory and the Go build cache read-only, a
// process limit), and always with time limits and a process-group kill.
//
// The command line (`gauntlet verify`), the LSP (gauntlet.verifyEdit and
// "Verify unsaved changes") and the closed loop call Verify:
//
//	v, err := verify.Verify(ctx, snap, verify.Edit{Patch: files}, verify.Options{Analyzers: engine})
//
// It imports only analysis packages: the engine hands itself in as an
// Analyzer.
package verify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/patch"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// Gate names, in the order they run.
const (
	GateApply     = "apply"
	GateParse     = "parse"
	GateAnalyzers = "analyzers"
	GateBuild     = "build"
	GateTests     = "tests"
	GateCoverage  = "coverage"
)

// Gates lists every gate in order.
var Gates = []string{GateApply, GateParse, GateAnalyzers, GateBuild, GateTests, GateCoverage}

// Analyzer runs the workspace's analyzers on one file, with the engine's
// suppressions and severity overrides. *server.Engine satisfies it.
type Analyzer interface {
	AnalyzeFile(ctx context.Context, f *analysis.File) ([]analysis.Diagnostic, []error)
}

// AnalyzerFunc adapts a function to Analyzer.
type AnalyzerFunc func(ctx context.Context, f *analysis.File) ([]analysis.Diagnostic, []error)

// AnalyzeFile calls f.
func (f AnalyzerFunc) AnalyzeFile(ctx context.Context, file *analysis.File) ([]analysis.Diagnostic, []error) {
	return f(ctx, file)
}

// Sandbox modes.
const (
	SandboxAuto  = ""      // bubblewrap when installed, else none
	SandboxBwrap = "bwrap" // bubblewrap, or an error when it is missing or does not work
	SandboxNone  = "none"  // time limits and process-group kills only
)

// Options configure one verification. The zero value runs every gate with
// the defaults of .gauntlet.yaml's loop: key; FromConfig fills them from a
// loaded configuration.
type Options struct {
	// Analyzers runs the workspace's analyzers (the engine); nil runs none
	// and the analyzers gate passes with nothing to check.
	Analyzers Analyzer
	// Gates to run, by name; nil means all. Gates not listed are reported
	// as skipped.
	Gates []string
	// FailOn: new findings at or above this severity reject the edit
	// (zero: warning).
	FailOn analysis.Severity
	// CoverageDrop is how many percentage points of statement coverage a
	// changed file may lose, when CheckCoverageDrop is set; otherwise a drop
	// is reported in the coverage gate's detail and never rejects an edit
	// (deleting covered code lowers the percentage and is no fault).
	CoverageDrop      float64
	CheckCoverageDrop bool
	// BuildTimeout and TestTimeout bound the build and tests gates (zero:
	// 5 and 10 minutes).
	BuildTimeout, TestTimeout time.Duration
	// Tests configure the test runners (the tests: key).
	Tests testrun.Settings
	// Sandbox is SandboxAuto, SandboxBwrap or SandboxNone.
	Sandbox string
	// MaxProcs bounds the processes and threads of one sandbox (zero: 2048).
	MaxProcs int
	// CacheDir holds the coverage maps (testrun's cache); "" is the
	// default user cache.
	CacheDir string
	// Runners are the test runners of the tests and coverage gates; nil
	// is testrun's own (Go, pytest, node). Tests hand in a fake one.
	Runners []testrun.Runner
	// Progress, if set, hears which gate starts.
	Progress func(gate string)
	// TestEdits is what an edit of a test that existed before it does:
	// TestEditsReport (list it, run its original version), TestEditsAllow,
	// or TestEditsRefuse (the tests gate rejects the edit). TestEditsAt
	// are places whose tests may change even so (a fix of a finding inside
	// a test).
	TestEdits   string
	TestEditsAt []testrun.Lines
}

// FromConfig returns the options that a workspace's configuration asks
// for: the loop: key's gates, fail_on, coverage_drop and time limits, and
// the tests: key's runner settings.
func FromConfig(c *config.Config) Options {
	return Options{
		Gates:             slices.Clone(c.Loop.Gates),
		TestEdits:         testEditsOf(c.Loop.AllowTestEdits),
		FailOn:            c.Loop.FailOn,
		CoverageDrop:      c.Loop.CoverageDrop,
		CheckCoverageDrop: c.Loop.CoverageDropSet,
		BuildTimeout:      c.Loop.BuildTimeout,
		TestTimeout:       c.Loop.TestTimeout,
		Tests: testrun.Settings{
			Timeout:   c.Tests.Timeout,
			Go:        testrun.GoSettings{Flags: c.Tests.Go.Flags, Timeout: c.Tests.Go.Timeout},
			Python:    testrun.PythonSettings{Command: c.Tests.Python.Command, Python: c.Tests.PythonPath},
			Node:      testrun.NodeSettings{Command: c.Tests.Node.Command, Runner: c.Tests.Runner},
			Env:       c.Tests.Env,
			MaxOutput: c.Tests.MaxOutput,
			HangAfter: max(c.Tests.HangAfter, 0),
		},
	}
}

// Verdict is the answer: whether the edit is accepted, and for each gate in
// order whether it passed, with its evidence. Its JSON form is part of
// `gauntlet verify --format json`.
type Verdict struct {
	Accepted bool     `json:"accepted"`
	Gates    []*Gate  `json:"gates"`
	Duration int64    `json:"duration_ms"`
	Files    []string `json:"files"`   // changed paths, after the edit (a deletion names the old path)
	Sandbox  string   `json:"sandbox"` // "bwrap" or "none"
	// TestsChanged are the tests that existed before the edit and that it
	// changes or deletes, with how their original versions fare against
	// the edited code.
	TestsChanged []TestChange `json:"tests_changed,omitempty"`

	// Diagnostics are the evidence placed on the files after the edit, for
	// an editor to show on the lines involved: new syntax errors and
	// findings, build errors, failing tests (at their declaration), and
	// changed lines no test runs. Byte offsets of the snapshot after the
	// edit (for "Verify unsaved changes", the editor's own buffers).
	Diagnostics []analysis.Diagnostic `json:"-"`
}

// Gate is one gate's outcome. Name, OK, Skipped, Duration and Detail are
// always present; the evidence fields appear when they have something.
type Gate struct {
	Name     string `json:"name"`
	OK       bool   `json:"ok"`
	Skipped  bool   `json:"skipped"`
	Duration int64  `json:"duration_ms"`
	Detail   string `json:"detail"`

	// Error says the gate could not run for a reason that is not the
	// edit's (a missing toolchain, a cancelled request): the verdict is
	// not accepted, and the command line exits 2.
	Error string `json:"error,omitempty"`

	// apply: the paths refused, and why.
	Refused []Refusal `json:"refused,omitempty"`
	// parse, analyzers: the new findings, on the files after the edit.
	Findings []Finding `json:"findings,omitempty"`
	// analyzers: analyzers that failed on a changed file (not the edit's fault).
	AnalyzerErrors []string `json:"analyzer_errors,omitempty"`
	// build: the commands run, the errors, and the output they printed.
	Commands          []string  `json:"commands,omitempty"`
	Errors            []Finding `json:"errors,omitempty"`
	PreexistingErrors []Finding `json:"preexisting_errors,omitempty"`
	Output            string    `json:"output,omitempty"`
	// tests: the selection, the failures the edit causes, and the failures
	// that were there before it.
	Selected    []string          `json:"selected,omitempty"`
	Passed      int               `json:"passed,omitempty"`
	Failed      []testrun.Failure `json:"failed,omitempty"`
	Preexisting []testrun.Failure `json:"preexisting,omitempty"`
	// coverage: changed lines that no test runs, and the changed files'
	// coverage before and after.
	Uncovered []testrun.Lines `json:"uncovered,omitempty"`
	Coverage  []FileCoverage  `json:"coverage,omitempty"`

	// Diagnostics are the new findings as diagnostics of the snapshot after
	// the edit, for editors to show on the lines involved.
	Diagnostics []analysis.Diagnostic `json:"-"`
}

// Refusal is a path the apply gate refused.
type Refusal struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Finding is a diagnostic or a compiler error: 1-based line and column
// (in bytes).
type Finding struct {
	Path     string `json:"path"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity,omitempty"`
	Code     string `json:"code,omitempty"`
	Message  string `json:"message"`
}

// FileCoverage is a changed file's statement coverage by the selected
// tests, in percent, before and after the edit.
type FileCoverage struct {
	Path   string  `json:"path"`
	Before float64 `json:"before"`
	After  float64 `json:"after"`
}

// Failed returns the first gate that did not pass, or nil.
func (v *Verdict) Failed() *Gate {
	for _, g := range v.Gates {
		if !g.OK && !g.Skipped {
			return g
		}
	}
	return nil
}

// Errored reports whether a gate could not run (as opposed to rejecting the
// edit).
func (v *Verdict) Errored() bool {
	for _, g := range v.Gates {
		if g.Error != "" {
			return true
		}
	}
	return false
}

// Gate returns the gate named name.
func (v *Verdict) Gate(name string) *Gate {
	for _, g := range v.Gates {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// run is one verification in progress.
type run struct {
	opts      Options
	base      *analysis.Snapshot
	after     *analysis.Snapshot
	changes   []*change     // what the edit does, file by file
	diff      []*patch.File // the same as a diff, for test selection
	sb        *sandbox      // nil until a gate needs processes
	plain     *sandbox      // sb before the shadow: the workspace as it is
	shadow    *shadow       // the materialised workspace after the edit
	tmp       string        // this run's temporary directory
	tests     *testOutcome  // the selected tests' run, for the tests and coverage gates
	testsGate *Gate         // how computing it went
	ahead     *ahead        // the run, when started beside the build gate
	// coverOwn: the build gate compiled nothing for the run to share, so
	// a Go run covers only the packages the edit changes
	// (testrun.RunOptions.CoverOwn).
	coverOwn bool
	cleanup  []func()
}

// newRun is a run on base with a temporary directory of its own (prefix)
// and its sandbox; close removes what it made.
func newRun(opts Options, base *analysis.Snapshot, prefix string) (*run, error) {
	r := &run{opts: opts, base: base}
	tmp, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	r.tmp = tmp
	r.cleanup = append(r.cleanup, func() { os.RemoveAll(tmp) })
	sb, err := newSandbox(opts, base.Root(), tmp)
	if err != nil {
		r.close()
		return nil, err
	}
	r.sb, r.plain = sb, sb
	return r, nil
}

// close undoes what the run made, last first.
func (r *run) close() {
	for i := len(r.cleanup) - 1; i >= 0; i-- {
		r.cleanup[i]()
	}
}

// Verify applies edit to base in a shadow snapshot and runs the gates. base
// is never modified, nor is any file of its workspace. A gate that fails
// rejects the edit; an error is returned only when no verdict can be given
// (the context ended, no temporary directory could be made).
func Verify(ctx context.Context, base *analysis.Snapshot, edit Edit, opts Options) (*Verdict, error) {
	start := time.Now()
	r, err := newRun(opts, base, "gauntlet-verify-")
	if err != nil {
		return nil, err
	}
	defer func() {
		r.stopTests()
		r.close()
	}()

	v := &Verdict{Sandbox: r.sb.mode(), Files: []string{}}
	gates := map[string]func(context.Context, *Gate){
		GateApply:     func(ctx context.Context, g *Gate) { r.apply(ctx, edit, g) },
		GateParse:     r.parse,
		GateAnalyzers: r.analyzers,
		GateBuild:     r.build,
		GateTests:     r.testsGateChecked(v),
		GateCoverage:  r.coverageGate,
	}
	failed := ""
	commentsOnly := false
	for _, name := range Gates {
		g := &Gate{Name: name}
		v.Gates = append(v.Gates, g)
		switch {
		case failed != "":
			g.Skipped, g.Detail = true, "not run: "+failed+" failed"
			continue
		case name != GateApply && !r.enabled(name):
			g.Skipped, g.OK, g.Detail = true, true, "not in loop.gates"
			continue
		case name == GateBuild && r.onlyComments(ctx):
			commentsOnly = true
		}
		if commentsOnly {
			g.Skipped, g.OK, g.Detail = true, true, "not needed: the edit changes only comments (the code's tokens are the same before and after)"
			continue
		}
		if opts.Progress != nil {
			opts.Progress(name)
		}
		if name == GateBuild && (r.enabled(GateTests) || r.enabled(GateCoverage)) && len(r.refusedTestEdits(v)) == 0 {
			r.startTests(ctx)
		}
		t := time.Now()
		gates[name](ctx, g)
		g.Duration = time.Since(t).Milliseconds()
		trace(t, "gate %s", name)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("verify: %s gate: %w", name, err)
		}
		if !g.OK && !g.Skipped {
			failed = name
		}
		if name == GateApply && g.OK {
			for _, c := range r.changes {
				v.Files = append(v.Files, c.path())
			}
			r.findTestEdits(ctx, v)
		}
	}
	v.Accepted = failed == ""
	r.runOriginals(ctx, v)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	if r.shadow != nil {
		v.workspacePaths(r.shadow.dir)
	}
	if r.after != nil {
		v.Diagnostics = evidence(r.after, v)
	}
	v.Duration = time.Since(start).Milliseconds()
	trace(start, "verify, in all")
	return v, nil
}

func (r *run) enabled(gate string) bool {
	return r.opts.Gates == nil || slices.Contains(r.opts.Gates, gate)
}

// fail marks g failed with a detail.
func fail(g *Gate, format string, args ...any) {
	g.OK = false
	g.Detail = fmt.Sprintf(format, args...)
}

// broken marks g as unable to run: not the edit's fault, but no acceptance.
func broken(g *Gate, err error) {
	g.OK = false
	g.Error = err.Error()
	if g.Detail == "" {
		g.Detail = "could not run: " + err.Error()
	}
}

// gateContext bounds a gate by its time limit.
func gateContext(ctx context.Context, d, def time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		d = def
	}
	return context.WithTimeout(ctx, d)
}

// timedOut reports whether err comes from a gate's time limit rather than
// the caller's cancellation.
func timedOut(parent, gate context.Context) bool {
	return parent.Err() == nil && errors.Is(gate.Err(), context.DeadlineExceeded)
}

// testShadowHook, in tests, hears which shadow a verification uses.
var testShadowHook func(*shadow)

// ensureShadow materialises the workspace after the edit, once.
func (r *run) ensureShadow() (*shadow, error) {
	if r.shadow != nil {
		return r.shadow, nil
	}
	if testShadowHook != nil {
		defer func() {
			if r.shadow != nil {
				testShadowHook(r.shadow)
			}
		}()
	}
	defer trace(time.Now(), "shadow: the edited view of the workspace")
	if r.sb.bwrap != "" && viewable(r.after) {
		s, err := materializeView(r.after, r.tmp)
		if err == nil {
			r.shadow = s
			r.cleanup = append(r.cleanup, s.remove)
			r.sb = r.sb.withView(s)
			return s, nil
		}
		// The copy below makes the same view another way.
	}
	s, err := materialize(r.after, r.tmp)
	if err != nil {
		return nil, fmt.Errorf("shadow copy: %w", err)
	}
	r.shadow = s
	r.cleanup = append(r.cleanup, s.remove)
	r.sb = r.sb.with(s.dir)
	return s, nil
}

// abs is the path of a workspace file inside the shadow.
func (s *shadow) abs(rel string) string { return filepath.Join(s.dir, filepath.FromSlash(rel)) }

// Source is the Source of the diagnostics Verify makes from its evidence.
const Source = "gauntlet verify"

// evidence turns the verdict's findings into diagnostics of after.
func evidence(after *analysis.Snapshot, v *Verdict) []analysis.Diagnostic {
	var out []analysis.Diagnostic
	at := func(p string, line, col int, sev analysis.Severity, code, msg string) {
		f, err := after.File(p)
		if err != nil || line < 1 {
			return
		}
		m := f.Mapper()
		if line > m.LineCount() {
			return
		}
		start, _ := m.LineRange(line - 1)
		end := start + len(m.LineText(line-1))
		off := start
		if col > 0 {
			off = min(start+col-1, end)
		} else {
			// The whole line, without its indentation.
			for off < end && (f.Content[off] == ' ' || f.Content[off] == '\t') {
				off++
			}
		}
		if col > 0 {
			end = off
		}
		out = append(out, analysis.Diagnostic{Path: p, Start: off, End: end, Severity: sev, Code: code, Source: Source, Message: msg})
	}
	for _, g := range v.Gates {
		out = append(out, g.Diagnostics...)
		for _, e := range g.Errors {
			at(e.Path, e.Line, e.Column, analysis.SeverityError, e.Code, e.Message)
		}
		for _, t := range g.Failed {
			msg := fmt.Sprintf("%s fails after this edit", t.ID)
			if l := firstLine(t.Output); l != "" {
				msg += ": " + l
			}
			at(t.File, t.Line, 0, analysis.SeverityError, "test-failed", msg)
		}
		for _, u := range g.Uncovered {
			for l := u.Start; l <= u.End; l++ {
				at(u.Path, l, 0, analysis.SeverityWarning, "uncovered", "no test runs this changed line")
			}
		}
	}
	analysis.SortDiagnostics(out)
	return out
}

// Package adapter gives the language server (package lsp) what it asks of
// the workspace layer, in its own terms: the tests and coverage of a
// workspace (lsp.TestRunner, lsp.CoverageView) through analysis/testrun,
// configuration and rule errors as problems on their lines, and the
// process's standard input and output as its connection.
package adapter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	"github.com/gauntlet-dev/gauntlet/analysis/rules"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
	"github.com/gauntlet-dev/gauntlet/lsp"
	"github.com/gauntlet-dev/gauntlet/server/workspace"
)

// ConfigProblems turns configuration and rule errors into problems the LSP
// shows on their lines; other errors pass through.
func ConfigProblems(err error) error {
	var ps []lsp.ConfigProblem
	var ce config.Errors
	var re rules.Errors
	switch {
	case errors.As(err, &ce):
		for _, e := range ce {
			ps = append(ps, lsp.ConfigProblem{Path: absPath(e.Pos.File), Line: e.Pos.Line, Message: e.Error()})
		}
	case errors.As(err, &re):
		for _, e := range re {
			ps = append(ps, lsp.ConfigProblem{Path: absPath(e.Pos.File), Line: e.Pos.Line, Message: e.Error()})
		}
	default:
		return err
	}
	return &lsp.ProblemsError{Problems: ps}
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// lspTests runs the workspace's tests for the server's code lenses and
// gauntlet.runTests, through analysis/testrun.
type lspTests struct {
	snap     *analysis.Snapshot
	settings testrun.Settings
	err      error
}

// NewTests is the test runner of the workspace at root, with the settings
// of its configuration's tests: key.
func NewTests(root string) lsp.TestRunner {
	return newLSPTests(root)
}

func newLSPTests(root string) *lspTests {
	settings, err := workspace.TestSettings(root)
	return &lspTests{snap: analysis.NewSnapshot(root), settings: settings, err: err}
}

func (t *lspTests) TestsInFile(ctx context.Context, f *analysis.File) ([]testrun.Test, error) {
	if t.err != nil {
		return nil, t.err
	}
	// The open buffer, not the file on disk: lenses sit on the lines shown.
	suite := testrun.New(t.snap.With(f), t.settings)
	tests, err := suite.TestsInFile(ctx, f.Path)
	if err != nil {
		return nil, err
	}
	out := make([]testrun.Test, 0, len(tests))
	for _, x := range tests {
		if x.Kind != testrun.KindTest && x.Kind != "" {
			continue
		}
		out = append(out, x)
	}
	return out, nil
}

func (t *lspTests) Run(ctx context.Context, ids []string, progress func(string, int)) (string, bool, error) {
	r, err := t.Report(ctx, ids, progress)
	return r.Summary, r.Passed, err
}

// Report runs the tests and says which failed, for the editor's
// failing-test diagnostics.
func (t *lspTests) Report(ctx context.Context, ids []string, progress func(string, int)) (lsp.TestReport, error) {
	if t.err != nil {
		return lsp.TestReport{}, t.err
	}
	suite := testrun.New(t.snap, t.settings, testrun.WithProgress(func(p analysis.Progress) {
		if p.Kind == analysis.ProgressReport {
			progress(p.Message, p.Percent)
		}
	}))
	out, err := suite.RunIDs(ctx, ids, testrun.RunOptions{})
	if err != nil {
		return lsp.TestReport{}, err
	}
	counts := map[testrun.Status]int{}
	for _, r := range out.Results {
		counts[r.Status]++
	}
	summary := fmt.Sprintf("%d passed, %d failed", counts[testrun.Pass], counts[testrun.Fail]+counts[testrun.Error])
	if n := counts[testrun.Skip]; n > 0 {
		summary += fmt.Sprintf(", %d skipped", n)
	}
	rep := lsp.TestReport{Passed: out.Passed()}
	for _, r := range out.Results {
		rep.Ran = append(rep.Ran, r.ID)
	}
	said := map[string]bool{} // a package's build failure fails each of its tests
	for _, r := range out.Failed() {
		summary += "; " + string(r.Status) + ": " + r.ID
		if msg := buildMessage(r); r.Status == testrun.Error && msg != "" && !said[msg] {
			said[msg] = true
			summary += ": " + msg
		}
		rep.Failures = append(rep.Failures, r.AsFailure())
	}
	rep.Summary = summary
	return rep, nil
}

// buildMessage is the first line of a test's output that is not a header
// ("# pkg", "FAIL pkg [build failed]"): for a test that could not run, the
// compiler's message, as `gauntlet test` shows it.
func buildMessage(r testrun.Result) string {
	for _, l := range strings.Split(r.Output, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "FAIL") || strings.HasPrefix(l, "---") {
			continue
		}
		return l
	}
	return ""
}

// Coverage builds (or loads from the cache: only packages whose inputs
// changed run again) the workspace's per-test coverage map, for
// gauntlet.coverage's lenses and uncovered-line hints.
func (t *lspTests) Coverage(ctx context.Context, progress func(string, int)) (lsp.CoverageView, error) {
	if t.err != nil {
		return nil, t.err
	}
	suite := testrun.New(t.snap, t.settings, testrun.WithProgress(func(p analysis.Progress) {
		if p.Kind == analysis.ProgressReport {
			progress(p.Message, p.Percent)
		}
	}))
	m, err := suite.Map(ctx)
	if err != nil {
		return nil, err
	}
	return &lspCoverage{t: t, m: m, profile: m.Profile()}, nil
}

type lspCoverage struct {
	t       *lspTests
	m       *coverage.Map
	profile *coverage.Profile
}

func (c *lspCoverage) Functions(ctx context.Context, f *analysis.File) ([]lsp.FunctionCoverage, error) {
	// The open buffer, not the file on disk: lenses sit on the lines shown.
	fns, err := testrun.New(c.t.snap.With(f), c.t.settings).Functions(ctx, c.m, f.Path)
	if err != nil {
		return nil, err
	}
	out := make([]lsp.FunctionCoverage, 0, len(fns))
	for _, fn := range fns {
		out = append(out, lsp.FunctionCoverage{Start: fn.Start, Tests: len(fn.Tests), Percent: fn.Percent})
	}
	return out, nil
}

func (c *lspCoverage) Uncovered(f *analysis.File) [][2]int {
	if pf := c.profile.Files[f.Path]; pf != nil {
		return pf.Uncovered()
	}
	return nil
}

func (c *lspCoverage) Summary() string {
	return fmt.Sprintf("%d tests · %.1f%% of statements covered", len(c.m.Tests), c.profile.Percent())
}

// Stdio joins the process's standard input and output into one
// connection.
func Stdio(in *os.File, out io.Writer) io.ReadWriteCloser {
	return stdio{in: in, out: out}
}

// stdio joins the process's standard input and output into one connection.
type stdio struct {
	in  *os.File
	out io.Writer
}

func (s stdio) Read(p []byte) (int, error)  { return s.in.Read(p) }
func (s stdio) Write(p []byte) (int, error) { return s.out.Write(p) }
func (s stdio) Close() error                { return s.in.Close() }

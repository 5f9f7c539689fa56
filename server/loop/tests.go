package loop

// This file knows the workspace's tests as the loop needs them: the failing
// tests (problems to fix), the tests that cover a problem (context for the
// model, with their code and failure output), and the code a failing test
// exercises (where its problem is). It runs only the user's own code, never
// an edit: edits run in verify's sandbox.

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
	"github.com/gauntlet-dev/gauntlet/server/prompt"
)

// maxCovering bounds the covering tests shown to the model.
const maxCovering = 5

// testContext is the tests of the snapshot the loop started from.
type testContext struct {
	suite   *testrun.Suite
	maps    map[string]*coverage.Map // by project-finding path
	all     []testrun.Test           // discovered once
	byID    map[string]testrun.Test
	outputs map[string]string // failure output by test id
	failed  error             // the map could not be built: no test context
}

func suiteOf(snap *analysis.Snapshot, opts *Options) *testrun.Suite {
	var so []testrun.Option
	if opts.Verify.CacheDir != "" {
		so = append(so, testrun.WithCacheDir(opts.Verify.CacheDir))
	}
	return testrun.New(snap, opts.Verify.Tests, so...)
}

func (r *runner) testCtx() *testContext {
	if r.tests == nil {
		r.tests = &testContext{suite: suiteOf(r.orig, &r.opts), maps: map[string]*coverage.Map{}, outputs: map[string]string{}}
		for _, p := range r.res.Problems {
			if p.Kind == KindTest && p.Output != "" {
				r.tests.outputs[p.Test] = p.Output
			}
		}
	}
	return r.tests
}

// mapFor is the per-test map of the project that holds file.
func (tc *testContext) mapFor(ctx context.Context, file string) *coverage.Map {
	dir := path.Dir(file)
	if m, ok := tc.maps[dir]; ok {
		return m
	}
	m, err := tc.suite.Map(ctx, dir)
	if err != nil {
		tc.failed = err
		m = nil
	}
	tc.maps[dir] = m
	return m
}

func (tc *testContext) test(ctx context.Context, id string) (testrun.Test, bool) {
	if tc.byID == nil {
		tc.byID = map[string]testrun.Test{}
		all, _ := tc.suite.Discover(ctx)
		tc.all = all
		for _, t := range all {
			tc.byID[t.ID] = t
		}
	}
	t, ok := tc.byID[id]
	return t, ok
}

// covering returns the tests that run the problem's lines, failing ones
// first, with their code and, for failing ones, their output.
func (r *runner) covering(ctx context.Context, p *Problem) []prompt.Test {
	tc := r.testCtx()
	var out []prompt.Test
	seen := map[string]bool{}
	add := func(id string, failed bool) {
		if seen[id] || len(out) >= maxCovering {
			return
		}
		seen[id] = true
		t := prompt.Test{Name: id, Failed: failed}
		if rt, ok := tc.test(ctx, id); ok {
			t.Path = rt.File
			if f, err := r.orig.File(rt.File); err == nil && rt.End > rt.Start && rt.End <= len(f.Content) {
				t.Source = string(f.Content[rt.Start:rt.End])
			}
		}
		if failed {
			t.Output = tc.outputs[id]
		}
		out = append(out, t)
	}
	if p.Kind == KindTest {
		add(p.Test, true)
	}
	m := tc.mapFor(ctx, p.Path)
	if m == nil {
		return out
	}
	f, err := r.orig.File(p.Path)
	if err != nil {
		return out
	}
	// The problem's lines in the snapshot the map describes.
	start, end := p.origStart, p.origEnd
	if !p.mapped {
		start, end = p.Start, p.End
	}
	mp := f.Mapper()
	first := mp.Line(min(start, len(f.Content))) + 1
	last := mp.Line(min(max(end-1, start), len(f.Content))) + 1
	ids := m.Touch(p.Path, first, last+1, f.Content).Tests
	var failing, passing []string
	for _, id := range ids {
		if tcv := m.Tests[id]; tcv != nil && (tcv.Status == string(testrun.Fail) || tcv.Status == string(testrun.Error)) {
			failing = append(failing, id)
		} else {
			passing = append(passing, id)
		}
	}
	// Failing covering tests need their output: run them once, on the
	// user's own code.
	var need []testrun.Test
	for _, id := range failing {
		if _, ok := tc.outputs[id]; !ok && !seen[id] {
			if t, ok := tc.test(ctx, id); ok && len(need) < maxCovering {
				need = append(need, t)
			}
		}
	}
	if len(need) > 0 {
		if o, err := tc.suite.Run(ctx, need, testrun.RunOptions{}); err == nil {
			for _, res := range o.Results {
				tc.outputs[res.ID] = res.Output
			}
		}
	}
	for _, id := range failing {
		add(id, true)
	}
	for _, id := range passing {
		add(id, false)
	}
	return out
}

// FailingTests runs the tests under paths (snapshot paths of files or
// directories; the whole workspace when empty) through their per-test map
// and returns each failing one as a problem, placed on the code it tests.
// Tests run on snap's own code, as gauntlet test runs them.
func FailingTests(ctx context.Context, snap *analysis.Snapshot, paths []string, opts Options) ([]Problem, error) {
	suite := suiteOf(snap, &opts)
	m, err := suite.Map(ctx, paths...)
	if err != nil {
		return nil, fmt.Errorf("tests: %w", err)
	}
	var ids []string
	for id, tc := range m.Tests {
		if tc.Status == string(testrun.Fail) || tc.Status == string(testrun.Error) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	sort.Strings(ids)
	all, err := suite.Discover(ctx, paths...)
	if err != nil {
		return nil, fmt.Errorf("tests: %w", err)
	}
	byID := map[string]testrun.Test{}
	for _, t := range all {
		byID[t.ID] = t
	}
	var run []testrun.Test
	for _, id := range ids {
		if t, ok := byID[id]; ok {
			run = append(run, t)
		}
	}
	if len(run) == 0 {
		return nil, nil
	}
	// Run them again for their output (and to leave out a flaky pass).
	o, err := suite.Run(ctx, run, testrun.RunOptions{})
	if err != nil && o == nil {
		return nil, fmt.Errorf("tests: %w", err)
	}
	var out []Problem
	for _, res := range o.Failed() {
		t, ok := byID[res.ID]
		if !ok {
			continue
		}
		p := Problem{Kind: KindTest, Test: res.ID, TestFile: t.File, TestLine: t.Line, Output: res.Output}
		locate(ctx, snap, m, t, res.Output, &p)
		out = append(out, p)
	}
	return out, nil
}

// NewTestProblem is the problem of making a failing test pass, placed on
// the code it tests when the per-test map of snap knows it (else on the
// test itself). output is the test's failure output.
func NewTestProblem(ctx context.Context, snap *analysis.Snapshot, test testrun.Test, output string, opts Options) Problem {
	p := Problem{Kind: KindTest, Test: test.ID, TestFile: test.File, TestLine: test.Line, Output: output}
	m, err := suiteOf(snap, &opts).Map(ctx, path.Dir(test.File))
	if err != nil {
		m = nil
	}
	locate(ctx, snap, m, test, output, &p)
	return p
}

// locate places a failing test's problem on the function it most likely
// tests: the function around the innermost frame of its failure's stack or
// trace that lies in code it ran outside the tests (see deepestFrame);
// without such a frame, among the functions of non-test files it ran, the
// one whose name its output or its own name mentions, else the first; else
// the test.
func locate(ctx context.Context, snap *analysis.Snapshot, m *coverage.Map, t testrun.Test, output string, p *Problem) {
	place := func(file string, start, end int) {
		f, err := snap.File(file)
		if err != nil {
			return
		}
		p.Path, p.Start, p.End = file, start, end
		p.place(f)
	}
	place(t.File, t.Start, t.End)
	if m == nil || m.Tests[t.ID] == nil {
		return
	}
	// Evidence first: the innermost frame of the failure's stack or trace
	// in code the test ran, outside the tests.
	if file, line, ok := deepestFrame(m, t.ID, output); ok {
		if f, err := snap.File(file); err == nil && line <= f.Mapper().LineCount() {
			off := f.Mapper().LineStart(line - 1)
			text := f.Content[off:]
			off += len(text) - len(strings.TrimLeft(string(text), " \t"))
			span := prompt.Enclosing(ctx, f, off, off)
			place(file, span.Start, span.End)
			return
		}
	}
	type cand struct {
		path       string
		span       prompt.Span
		score, pos int
	}
	var cands []cand
	covers := m.Tests[t.ID].Covers
	paths := make([]string, 0, len(covers))
	for p := range covers {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	seen := map[string]bool{}
	for _, file := range paths {
		if testrun.IsTestFile(file) {
			continue
		}
		f, err := snap.File(file)
		if err != nil {
			continue
		}
		mp := f.Mapper()
		for _, bi := range covers[file] {
			if bi >= len(m.Files[file]) {
				continue
			}
			b := m.Files[file][bi]
			if b.StartLine < 1 || b.StartLine > mp.LineCount() {
				continue
			}
			off := mp.LineStart(b.StartLine - 1)
			if b.StartCol > 1 {
				off = min(off+b.StartCol-1, len(f.Content))
			}
			span := prompt.Enclosing(ctx, f, off, off)
			key := fmt.Sprintf("%s:%d", file, span.Start)
			if seen[key] {
				continue
			}
			seen[key] = true
			cands = append(cands, cand{path: file, span: span, score: mentions(span.Name, t.Name, output), pos: len(cands)})
		}
	}
	if len(cands) == 0 {
		return
	}
	best := slices.MaxFunc(cands, func(a, b cand) int {
		if a.score != b.score {
			return a.score - b.score
		}
		return b.pos - a.pos // the first wins ties
	})
	place(best.path, best.span.Start, best.span.End)
}

// testifyLabels are the labels of testify's failure reports: "Error" there
// names no function.
var testifyLabels = regexp.MustCompile(`(?m)^\s*(Error Trace|Error|Test|Messages|Panic value|Panic stack):`)

// mentions scores how strongly a test points at a function: its name in
// the output counts twice, in the test's name once.
func mentions(fn, test, output string) int {
	if i := strings.LastIndexByte(fn, '.'); i >= 0 {
		fn = fn[i+1:]
	}
	if fn == "" {
		return 0
	}
	score := 0
	output = testifyLabels.ReplaceAllString(output, "")
	if regexp.MustCompile(`\b` + regexp.QuoteMeta(fn) + `\b`).MatchString(output) {
		score += 2
	}
	if strings.Contains(strings.ToLower(test), strings.ToLower(fn)) {
		score++
	}
	return score
}

// TestProblem is the problem of making the failing test id of snap's
// workspace pass (see NewTestProblem); output is its failure output, if
// known.
func TestProblem(ctx context.Context, snap *analysis.Snapshot, id, output string, opts Options) (Problem, error) {
	tests, err := suiteOf(snap, &opts).Discover(ctx)
	if err != nil {
		return Problem{}, fmt.Errorf("tests: %w", err)
	}
	for _, t := range tests {
		if t.ID == id {
			return NewTestProblem(ctx, snap, t, output, opts), nil
		}
	}
	return Problem{}, fmt.Errorf("no test %s in the workspace", id)
}

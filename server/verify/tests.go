package verify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// DefaultTestTimeout bounds the tests gate when Options.TestTimeout is zero.
const DefaultTestTimeout = 10 * time.Minute

// testGrace is the time the tests gate allows beyond the test time limit,
// for compiling and for the runners to report a test they stopped.
const testGrace = 30 * time.Second

// testOutcome is the selection and the run of the tests the edit affects,
// shared by the tests and coverage gates.
type testOutcome struct {
	sel      *testrun.Selection
	tests    []testrun.Test
	out      *testrun.Report // nil when nothing ran
	baseMap  *coverage.Map   // the per-test map before the edit
	selected map[string]bool
}

func (r *run) testLimit() time.Duration {
	if r.opts.TestTimeout > 0 {
		return r.opts.TestTimeout
	}
	if r.opts.Tests.Timeout > 0 {
		return r.opts.Tests.Timeout
	}
	return DefaultTestTimeout
}

func (r *run) suiteOptions() []testrun.Option {
	var opts []testrun.Option
	if !r.opts.CheckCoverageDrop {
		// A workspace never mapped on this machine (a fresh clone, a CI
		// runner) is not mapped first, which would run every test alone:
		// the tests of the packages the edit affects run instead. The
		// coverage-drop check needs the map's figures before the edit.
		opts = append(opts, testrun.WithoutMapBuild())
	}
	if r.opts.CacheDir != "" {
		opts = append(opts, testrun.WithCacheDir(r.opts.CacheDir))
	}
	if r.opts.Runners != nil {
		opts = append(opts, testrun.WithRunners(r.opts.Runners...))
	}
	return opts
}

// testGate is the fifth gate: the tests the edit affects pass. A test that
// failed before the edit too is reported, not blamed on it.
func (r *run) testGate(ctx context.Context, g *Gate) {
	to, err := r.runTests(ctx, g)
	if err != nil || to == nil {
		return // g says why
	}
	for _, t := range to.tests {
		g.Selected = append(g.Selected, t.ID)
	}
	if to.out == nil {
		g.OK, g.Detail = true, "no test is affected by the edit"
		return
	}
	if len(to.out.Results) == 0 {
		// Found nothing is not a pass: the runner ran none of them.
		n := len(to.tests)
		broken(g, fmt.Errorf("the test runner reported no result for the %d selected test%s (first %s)", n, plural(n), to.tests[0].ID))
		return
	}
	if h := to.out.Hung; h != nil {
		// The test passed alone before the edit, just now, in a fraction
		// of the time: no run of the base can say more.
		for _, res := range to.out.Results {
			if res.Status == testrun.Pass {
				g.Passed++
			}
			if res.ID == h.ID {
				g.Failed = append(g.Failed, res.AsFailure())
			}
		}
		fail(g, "%s", h)
		return
	}
	var failed []testrun.Result
	for _, res := range to.out.Results {
		switch res.Status {
		case testrun.Pass:
			g.Passed++
		case testrun.Fail, testrun.Error:
			failed = append(failed, res)
		}
	}
	blamed, before, err := r.preexisting(ctx, to, failed)
	if err != nil {
		broken(g, err)
		return
	}
	g.Failed, g.Preexisting = blamed, before
	n := len(to.tests)
	if len(blamed) > 0 {
		fail(g, "%d of %d selected test%s failed: %s", len(blamed), n, plural(n), blamed[0].ID)
		return
	}
	g.OK = true
	g.Detail = fmt.Sprintf("%d selected test%s pass", g.Passed, plural(g.Passed))
	if len(before) > 0 {
		g.Detail += fmt.Sprintf("; %d failed before the edit too", len(before))
	}
}

// runTests returns the selection and run of the tests the edit affects,
// computed once (possibly ahead, beside the build gate: see startTests).
// When they could not be run it marks g as failed or broken and returns
// nil.
func (r *run) runTests(ctx context.Context, g *Gate) (*testOutcome, error) {
	if r.ahead != nil {
		<-r.ahead.done
	} else if r.testsGate == nil {
		r.testsGate = &Gate{}
		r.tests, _ = r.computeTests(ctx, r.testsGate)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if sg := r.testsGate; sg.Error != "" || (!sg.OK && sg.Detail != "") {
		g.OK, g.Error, g.Detail = false, sg.Error, sg.Detail
		return nil, errors.New(sg.Detail)
	}
	return r.tests, nil
}

// ahead is a run of the tests started before the build gate ends.
type ahead struct {
	cancel context.CancelFunc
	done   chan struct{}
	// built is closed when the build gate is done: the run's go test waits
	// for it, since the build gate compiles the same packages with the
	// same flags into the same cache (two go commands compiling them at
	// once would each do the work).
	built     chan struct{}
	builtOnce sync.Once
	// selected is closed once the tests are selected (or the selection
	// failed), with picked holding them: the build gate reads them to
	// know whether the run compiles the edited packages (buildGoInTests).
	selected   chan struct{}
	picked     []testrun.Test
	pickedOnce sync.Once
}

// pick publishes the selection of a run started ahead.
func (a *ahead) pick(tests []testrun.Test) {
	a.pickedOnce.Do(func() {
		a.picked = tests
		close(a.selected)
	})
}

// built tells a run started ahead that the build gate is done.
func (r *run) built() {
	if a := r.ahead; a != nil {
		a.builtOnce.Do(func() { close(a.built) })
	}
}

// startTests selects and runs the tests in the background while the build
// gate compiles: the run does not depend on it, and the gates still report
// in order (a build failure cancels the run, whose result is then never
// shown). stopTests waits for it.
func (r *run) startTests(ctx context.Context) {
	if r.ahead != nil || r.testsGate != nil {
		return
	}
	if _, err := r.ensureShadow(); err != nil {
		return // the build gate reports it
	}
	ctx, cancel := context.WithCancel(ctx)
	a := &ahead{cancel: cancel, done: make(chan struct{}), built: make(chan struct{}), selected: make(chan struct{})}
	r.ahead, r.testsGate = a, &Gate{}
	go func() {
		defer close(a.done)
		defer a.pick(nil) // a selection that failed picked nothing
		r.tests, _ = r.computeTests(ctx, r.testsGate)
	}()
}

// stopTests cancels a run started ahead and waits until its processes are
// gone.
func (r *run) stopTests() {
	if r.ahead != nil {
		r.ahead.cancel()
		<-r.ahead.done
	}
}

// brokenUnlessCanceled returns ctx's error once ctx is done (the caller has
// gone; g is left as it is); else it marks g broken by what failed and
// returns err.
func brokenUnlessCanceled(ctx context.Context, g *Gate, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	broken(g, fmt.Errorf("%s: %w", what, err))
	return err
}

// computeTests selects the tests the edit affects and runs them in the
// shadow copy, with coverage. On failure it marks g and returns nil.
func (r *run) computeTests(ctx context.Context, g *Gate) (*testOutcome, error) {
	sh, err := r.ensureShadow()
	if err != nil {
		broken(g, err)
		return nil, err
	}
	// Selection reads the per-test map of the base (cached by content,
	// built with the workspace's own settings so that gauntlet coverage and
	// the editor share it); building it runs the base's tests, not the edit.
	selCtx, cancel := context.WithTimeout(ctx, max(r.opts.Tests.Timeout, testrun.DefaultTimeout))
	defer cancel()
	opts := r.suiteOptions()
	tsel := time.Now()
	sel, err := testrun.New(r.after, r.opts.Tests, opts...).Select(selCtx, r.base, r.diff)
	trace(tsel, "tests: selection (the base's per-test map)")
	if err != nil {
		return nil, brokenUnlessCanceled(ctx, g, "selecting the affected tests", err)
	}
	to := &testOutcome{sel: sel, selected: map[string]bool{}}
	for _, t := range sel.Tests {
		if t.Kind == testrun.KindBenchmark {
			continue // as with go test, benchmarks run only when asked for
		}
		to.tests = append(to.tests, t)
		to.selected[t.ID] = true
	}
	tmap := time.Now()
	to.baseMap, err = r.baseMap(selCtx)
	trace(tmap, "tests: the base's coverage map")
	if err != nil {
		return nil, brokenUnlessCanceled(ctx, g, "coverage map before the edit", err)
	}
	if a := r.ahead; a != nil {
		a.pick(to.tests)
	}
	if len(to.tests) == 0 {
		return to, nil
	}
	if a := r.ahead; a != nil {
		twait := time.Now()
		select {
		case <-a.built:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		trace(twait, "tests: waiting for the build gate")
	}
	limit := r.testLimit()
	tctx, cancel := context.WithTimeout(ctx, limit+testGrace)
	defer cancel()
	if err := sh.addWritable(testDirs(to.tests)); err != nil {
		broken(g, fmt.Errorf("shadow: %w", err))
		return nil, err
	}
	settings, sbOpts := r.sandboxedSettings(limit, sh.writableDir())
	suite := testrun.New(sh.runSnapshot(), settings, sbOpts...)
	trun := time.Now()
	// Coverage of the changed files only: the coverage gate reads no other.
	out, err := suite.Run(tctx, to.tests, testrun.RunOptions{Coverage: true, CoverFiles: append([]string{}, r.changedFiles(".go")...), CoverOwn: r.coverOwn,
		Before: r.beforeEdit})
	trace(trun, "tests: run of %d selected tests", len(to.tests))
	if err != nil {
		if ctx.Err() == nil && tctx.Err() != nil {
			fail(g, "the tests did not finish within %v (loop.test_timeout) and were killed", limit)
			return nil, err
		}
		return nil, brokenUnlessCanceled(ctx, g, "running the tests", err)
	}
	to.out = out
	return to, nil
}

// baseMap is the per-test coverage map of the projects the edit touches,
// before it (from the cache Select filled).
func (r *run) baseMap(ctx context.Context) (*coverage.Map, error) {
	var dirs []string
	seen := map[string]bool{}
	for _, p := range r.changedPaths() {
		if _, err := r.base.File(p); err != nil {
			p = path.Dir(p)
			for p != "." {
				if info, err := os.Stat(r.base.Abs(p)); err == nil && info.IsDir() {
					break
				}
				p = path.Dir(p)
			}
		}
		if !seen[p] {
			seen[p] = true
			dirs = append(dirs, p)
		}
	}
	return testrun.New(r.base, r.opts.Tests, r.suiteOptions()...).Map(ctx, dirs...)
}

// sandboxedSettings are the runner settings for unverified code: every
// runner process — go test with its compiler and test binaries, pytest,
// node — runs inside the sandbox (the options carry its launcher), and a
// Go test binary stops itself at the time limit.
func (r *run) sandboxedSettings(limit time.Duration, shadowDir string) (testrun.Settings, []testrun.Option) {
	return r.settingsIn(r.sb, limit, shadowDir)
}

// settingsIn is sandboxedSettings for the sandbox sb.
func (r *run) settingsIn(sb *sandbox, limit time.Duration, shadowDir string) (testrun.Settings, []testrun.Option) {
	s := r.opts.Tests
	s.Timeout = limit + testGrace
	if s.Go.Timeout <= 0 || s.Go.Timeout > limit {
		s.Go.Timeout = limit
	}
	opts := r.suiteOptions()
	if sb.bwrap == "" {
		return s, opts
	}
	// The runner picks the project's interpreter and runners outside; the
	// launcher runs the whole command inside the sandbox.
	return s, append(opts, testrun.WithLauncher(launcher{s: sb, shadow: shadowDir}))
}

// preexisting splits the failed tests into those the edit breaks and those
// that failed before it, by running the tests again on the workspace as it
// was, in the same sandbox. The per-test map's statuses cannot decide it:
// they come from each test run alone, and a test may fail alone and pass in
// its package's run, or the other way round.
//
// When a test failed (none failed: nothing runs), first the same selection
// runs on the base: a test that passes there is the edit's. A test that
// fails there too may do so only in this selection
// (it depends on tests that ran before it in the full run), so the whole of
// its package (Go) or file (pytest, node) runs, in order, before and after
// the edit: what fails after and not before is the edit's; what fails in
// both failed before it. A test that fails both ways in the sandbox though
// the map saw it pass outside is the sandbox's doing: the gate cannot judge
// it and says so (an error, never an acceptance).
func (r *run) preexisting(ctx context.Context, to *testOutcome, failed []testrun.Result) (blamed, before []testrun.Failure, err error) {
	// A failing test that the base's per-test map saw pass, at the same
	// content, is the edit's: no second run of the base. Its map ran outside
	// the sandbox, so a failure bearing the sandbox's marks still goes to
	// the run below, which tells the two apart.
	var unknown []testrun.Result
	for _, res := range failed {
		if passedAlone(to.baseMap, res.ID) && !sandboxish(res.Output) {
			blamed = append(blamed, res.AsFailure())
		} else {
			unknown = append(unknown, res)
		}
	}
	if failed = unknown; len(failed) == 0 {
		return blamed, nil, nil // nothing left to blame: no run of the base
	}
	var existing []testrun.Test
	for _, t := range to.tests {
		if r.existedBefore(t) {
			existing = append(existing, t)
		}
	}
	baseFails, err := r.runOnBase(ctx, existing)
	if err != nil {
		return nil, nil, err
	}
	var both []testrun.Result
	for _, res := range failed {
		if _, ok := baseFails[res.ID]; ok {
			both = append(both, res)
		} else {
			blamed = append(blamed, res.AsFailure())
		}
	}
	if len(both) == 0 {
		return blamed, nil, nil
	}
	// The whole packages (files) of the tests that failed both ways.
	// Of the edited snapshot, not of the shadow's files: discovery runs
	// outside the sandbox (pytest's collection imports the test files; jest
	// and vitest list by running the suite), so only the workspace's own
	// files on disk may run there, and the edited ones are read from their
	// syntax trees.
	all, err := testrun.New(r.after, r.opts.Tests, r.suiteOptions()...).Discover(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("discovering the tests: %w", err)
	}
	unit := func(t testrun.Test) string {
		if t.Language == "go" {
			return "go\x00" + t.Package
		}
		return t.Language + "\x00" + t.File
	}
	byID := map[string]testrun.Test{}
	for _, t := range to.tests {
		byID[t.ID] = t
	}
	units := map[string]bool{}
	for _, res := range both {
		units[unit(byID[res.ID])] = true
	}
	var whole []testrun.Test
	for _, t := range all {
		if units[unit(t)] && t.Kind != testrun.KindBenchmark {
			whole = append(whole, t)
		}
	}
	wholeBase, err := r.runOnBase(ctx, whole)
	if err != nil {
		return nil, nil, err
	}
	wholeAfter, complete, err := r.runOn(ctx, r.after, whole)
	if err != nil {
		return nil, nil, err
	}
	if !complete {
		// A run that reached no verdict (the runner failed to start, or
		// the time limit) cannot show that a failure was there before:
		// failing the same way both times may be the runner's failure.
		return nil, nil, fmt.Errorf("%s failed after the edit, and running the tests of its %s again on the edited code did not reach a verdict: %s",
			both[0].ID, unitName(byID[both[0].ID]), firstLine(strings.TrimSpace(wholeAfter[both[0].ID])))
	}
	var broke []string
	for _, res := range both {
		outAfter, failsAfter := wholeAfter[res.ID]
		outBase, failsBase := wholeBase[res.ID]
		switch {
		case failsAfter && !failsBase:
			blamed = append(blamed, res.AsFailure())
		case failsAfter && normalizeOutput(outAfter) != normalizeOutput(outBase):
			// It failed before, but not this way: the edit changed what
			// it checks.
			f := res.AsFailure()
			f.Output = outAfter
			blamed = append(blamed, f)
		case failsAfter && r.sb.mode() != SandboxNone && (passedAlone(to.baseMap, res.ID) || to.baseMap.Tests[res.ID] == nil) && sandboxish(res.Output):
			// It passed outside the sandbox, or no map says how it fares
			// there (WithoutMapBuild): not a failure the edit may keep.
			broke = append(broke, res.ID)
		default:
			// Fails before the edit as well, or only in a partial run.
			before = append(before, res.AsFailure())
		}
	}
	if len(broke) > 0 {
		sort.Strings(broke)
		var out string
		for _, res := range failed {
			if res.ID == broke[0] {
				out = firstLine(strings.TrimSpace(res.Output))
			}
		}
		outside := "pass outside the sandbox but fail in it without the edit too"
		if to.baseMap.Tests[broke[0]] == nil {
			outside = "fail in the sandbox without the edit too, with its marks (no per-test map says whether they pass outside it: gauntlet coverage builds one)"
		}
		return nil, nil, fmt.Errorf("%d test%s (%s) %s: %s (sandbox %s; run with --sandbox none, or make the test independent of the network and of files outside the workspace)",
			len(broke), plural(len(broke)), strings.Join(broke, ", "), outside, out, r.sb.mode())
	}
	return blamed, before, nil
}

// unitName says what preexisting runs whole around a test.
func unitName(t testrun.Test) string {
	if t.Language == "go" {
		return "package " + t.Package
	}
	return "file " + t.File
}

var (
	durations = regexp.MustCompile(`\(\d+(\.\d+)?m?s\)|\d+(\.\d+)?(ns|µs|ms|s)\b`)
	addresses = regexp.MustCompile(`0x[0-9a-fA-F]+`)
)

// normalizeOutput drops what differs between two runs of the same failing
// test for no reason of the code's: durations and addresses.
func normalizeOutput(s string) string {
	s = durations.ReplaceAllString(s, "")
	s = addresses.ReplaceAllString(s, "0x")
	return strings.TrimSpace(s)
}

func passedAlone(m *coverage.Map, id string) bool {
	tc := m.Tests[id]
	return tc != nil && tc.Status == string(testrun.Pass)
}

// sandboxMarks are what the sandbox's refusals look like in a test's output.
var sandboxMarks = []string{
	"connection refused", "network is unreachable", "no such host", "lookup ", "dial tcp", "dial udp",
	"read-only file system", "permission denied", "operation not permitted", "resource temporarily unavailable",
	"EROFS", "EACCES", "EPERM", "ECONNREFUSED", "ENETUNREACH", "EAI_AGAIN", "ENOTFOUND",
	// Files outside the workspace (the home directory, /etc) and programs
	// the sandbox does not show.
	"no such file or directory", "ENOENT", "executable file not found",
}

// sandboxish reports whether a failure's output bears a sandbox's marks.
func sandboxish(out string) bool {
	lower := strings.ToLower(out)
	for _, m := range sandboxMarks {
		if strings.Contains(lower, strings.ToLower(m)) {
			return true
		}
	}
	return false
}

// existedBefore reports whether a test's file is in the base unchanged
// enough to run there: it exists and the edit does not create it.
func (r *run) existedBefore(t testrun.Test) bool {
	_, err := r.base.File(t.File)
	return err == nil
}

// runOn runs tests on snap (the base or the edit) in the shadow directory,
// refilled with it — the same path, so that the build cache serves the
// packages that do not differ — in the same sandbox, and returns the ids of
// those that fail, with their output. The build gate is done with the directory: the tests
// gate judges failures only after it, and nothing uses the copy after.
// complete is false when the run did not reach a verdict for every test
// (it failed to start, or hit the time limit): not a result to keep.
func (r *run) runOn(ctx context.Context, snap *analysis.Snapshot, tests []testrun.Test) (failing map[string]string, complete bool, err error) {
	failing = map[string]string{}
	if len(tests) == 0 {
		return failing, true, nil
	}
	sh := r.shadow
	if err := sh.refill(snap); err != nil {
		return nil, false, fmt.Errorf("shadow copy: %w", err)
	}
	if err := sh.addWritable(testDirs(tests)); err != nil {
		return nil, false, fmt.Errorf("shadow: %w", err)
	}
	limit := r.testLimit()
	tctx, cancel := context.WithTimeout(ctx, limit+testGrace)
	defer cancel()
	settings, sbOpts := r.sandboxedSettings(limit, sh.writableDir())
	// With coverage, as the build and tests gates compile: the packages
	// the edit does not change come from the sandbox's build cache, and so
	// does the unedited version of the edited one once any verification
	// has built it (every build gate compiles the whole module). The
	// coverage is not read (CoverFiles empty, not nil): where the tests'
	// run was the compile (CoverOwn), nothing is instrumented, as that
	// run left the packages it did not cover.
	out, err := testrun.New(sh.runSnapshot(), settings, sbOpts...).Run(tctx, tests, testrun.RunOptions{Coverage: true, CoverFiles: []string{}, CoverOwn: r.coverOwn})
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		// Nothing ran to a verdict: every test counts as failing.
		for _, t := range tests {
			failing[t.ID] = err.Error()
		}
		return failing, false, nil
	}
	for _, res := range out.Failed() {
		failing[res.ID] = res.Output
	}
	return failing, tctx.Err() == nil, nil
}

// coverageGate is the last gate: every added or changed line of code runs
// in at least one selected test; removed lines never fail it. A file's
// coverage by the selected tests that drops is reported, and fails the gate
// only when loop.coverage_drop is set and the drop exceeds it.
func (r *run) coverageGate(ctx context.Context, g *Gate) {
	to, err := r.runTests(ctx, g)
	if err != nil || to == nil {
		return
	}
	prof := coverage.NewProfile()
	if to.out != nil && to.out.Coverage != nil {
		prof = to.out.Coverage
	}
	lines := 0
	var notes []string // why a declaration's line counts as not run
	for _, c := range r.changes {
		if c.newPath == "" || !isSource(c.newPath) || testrun.IsTestFile(c.newPath) {
			continue
		}
		f := prof.Files[c.newPath]
		var vals valueLines
		if d, ok := r.newDeclCoverage(c.newPath, prof, to.tests); ok {
			vals = d
		} else if p := r.newPyValues(ctx, c.newPath, prof); p != nil {
			vals = p
		} else if j := r.newJSValues(ctx, c.newPath, prof); j != nil {
			vals = j
		}
		unc, n, why := r.uncovered(ctx, c, f, vals)
		lines += n
		g.Uncovered = append(g.Uncovered, unc...)
		notes = append(notes, why...)
		if f == nil || c.oldPath == "" {
			continue
		}
		if before, ok := selectedPercent(to.baseMap, c.oldPath, to.selected); ok {
			g.Coverage = append(g.Coverage, FileCoverage{Path: c.newPath, Before: round1(before), After: round1(f.Percent())})
		}
	}
	if len(g.Uncovered) > 0 {
		var parts []string
		for i, u := range g.Uncovered {
			if i == 3 {
				parts = append(parts, "…")
				break
			}
			parts = append(parts, u.String())
		}
		msg := "changed lines that no test runs: " + strings.Join(parts, ", ")
		if len(notes) > 0 {
			msg += " (" + strings.Join(notes, "; ") + ")"
		}
		fail(g, "%s", msg)
		return
	}
	var drops []string
	for _, fc := range g.Coverage {
		if fc.After >= fc.Before-0.05 {
			continue
		}
		if r.opts.CheckCoverageDrop && fc.After < fc.Before-r.opts.CoverageDrop-0.05 {
			fail(g, "%s: coverage by the selected tests drops from %.1f%% to %.1f%% (loop.coverage_drop is %g)", fc.Path, fc.Before, fc.After, r.opts.CoverageDrop)
			return
		}
		drops = append(drops, fmt.Sprintf("%s %.1f%% → %.1f%%", fc.Path, fc.Before, fc.After))
	}
	g.OK = true
	if lines == 0 {
		g.Detail = "no changed line of code to cover"
	} else {
		g.Detail = fmt.Sprintf("%d changed line%s of code, all run by the selected tests", lines, plural(lines))
	}
	if len(drops) > 0 {
		// Information: removed or moved code lowers a percentage without
		// leaving any line of the edit unrun.
		g.Detail += "; coverage by the selected tests: " + strings.Join(drops, ", ")
		if !r.opts.CheckCoverageDrop {
			g.Detail += " (set loop.coverage_drop to limit drops)"
		}
	}
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func round1(x float64) float64 { return float64(int(x*10+0.5)) / 10 }

// uncovered returns the changed lines of c that are code and that no test
// ran, and how many changed lines are code. With coverage of the file, code
// is what its blocks span; without (no selected test reached the file), it
// is any line inside a function body. A line of a package- or module-level
// value is judged by its uses instead (vals, for Go, Python, JavaScript and
// TypeScript; nil otherwise): code when something uses it, run when a use
// of it ran.
func (r *run) uncovered(ctx context.Context, c *change, f *coverage.File, vals valueLines) ([]testrun.Lines, int, []string) {
	var ranges [][2]int // [start, end) in the new file; start == end: insertion point
	if c.diff != nil {
		for _, rg := range c.diff.NewRanges() {
			ranges = append(ranges, [2]int{rg.Start, rg.End})
		}
	}
	var bad []int
	n := 0
	mark := func(l int, covered bool) {
		n++
		if !covered {
			bad = append(bad, l)
		}
	}
	var code func(line int) bool
	if f == nil {
		code = r.codeLines(ctx, c.newPath)
	}
	text := func(l int) string { return "" }
	if af, err := r.after.File(c.newPath); err == nil {
		text = func(l int) string { return lineText(af, l) }
	}
	var values map[int]*declJudgement
	var notes []string
	noted := map[*declJudgement]bool{}
	if vals != nil {
		values = vals.lines(c.newPath)
	}
	for _, rg := range ranges {
		if rg[0] == rg[1] {
			continue // a deletion: removed lines are not code to run
		}
		for l := rg[0]; l < rg[1]; l++ {
			if j := values[l]; j != nil {
				if t := strings.TrimSpace(text(l)); t == "" || strings.HasPrefix(t, "//") {
					continue
				}
				vals.judge(j)
				if j.used {
					mark(l, j.run)
				}
				if j.used && !j.run && !noted[j] {
					noted[j] = true
					notes = append(notes, fmt.Sprintf("%s:%d sets %s, and no selected test runs a line that uses %s", c.newPath, l, strings.Join(j.names, ", "), pronoun(len(j.names))))
				}
				continue
			}
			if f == nil {
				if code(l) {
					mark(l, false)
				}
				continue
			}
			any, hit := false, false
			for i, b := range f.Blocks {
				if spans(b, l, text) {
					any, hit = true, hit || f.Hits[i] > 0
				}
			}
			if any {
				mark(l, hit)
			}
		}
	}
	var out []testrun.Lines
	for _, l := range bad {
		if k := len(out); k > 0 && out[k-1].End == l-1 {
			out[k-1].End = l
			continue
		}
		out = append(out, testrun.Lines{Path: c.newPath, Start: l, End: l})
	}
	return out, n, notes
}

// spans reports whether block b holds code of line l: a line where the
// block only opens ("func f() {") or closes ("}") holds none of it.
func spans(b coverage.Block, l int, text func(int) string) bool {
	if l < b.StartLine || l > b.EndLine {
		return false
	}
	if b.StartCol == 0 && b.EndCol == 0 {
		return true // line-based coverage
	}
	t := text(l)
	lo, hi := 0, len(t)
	if l == b.StartLine && b.StartCol > 0 {
		lo = min(b.StartCol-1, len(t))
	}
	if l == b.EndLine && b.EndCol > 0 {
		hi = min(b.EndCol-1, len(t))
	}
	if lo >= hi {
		return false
	}
	return strings.Trim(t[lo:hi], " \t{}") != ""
}

// selectedPercent is the share of a file's statements that the selected
// tests (and code run at load time) covered in the map.
func selectedPercent(m *coverage.Map, p string, selected map[string]bool) (float64, bool) {
	if m == nil || len(m.Files[p]) == 0 {
		return 0, false
	}
	hit := map[int]bool{}
	for id, tc := range m.Tests {
		if selected[id] {
			for _, i := range tc.Covers[p] {
				hit[i] = true
			}
		}
	}
	for _, i := range m.Base[p] {
		hit[i] = true
	}
	covered, total := 0, 0
	for i, b := range m.Files[p] {
		total += b.Stmts
		if hit[i] {
			covered += b.Stmts
		}
	}
	if total == 0 {
		return 0, false
	}
	return float64(covered) * 100 / float64(total), true
}

func isSource(p string) bool {
	l := analysis.LanguageForPath(p)
	return l != nil
}

// functionKinds are the syntax nodes whose bodies hold statements.
var functionKinds = map[string]bool{
	"function_declaration": true, "method_declaration": true, "func_literal": true, // Go (and JS function_declaration)
	"function_definition": true, // Python
	"function_expression": true, "function": true, "arrow_function": true, "method_definition": true,
	"generator_function_declaration": true, "generator_function": true, // JavaScript, TypeScript
}

// codeLines returns a test of whether a 1-based line of the file after the
// edit holds code inside a function body (not a comment, not a brace).
func (r *run) codeLines(ctx context.Context, p string) func(int) bool {
	f, err := r.after.File(p)
	if err != nil {
		return func(int) bool { return false }
	}
	tree, err := f.Tree(ctx)
	if err != nil {
		// Unparsable: every non-blank line counts.
		m := f.Mapper()
		return func(l int) bool { return l-1 < m.LineCount() && strings.TrimSpace(lineText(f, l)) != "" }
	}
	root := tree.RootNode()
	m := f.Mapper()
	return func(l int) bool {
		if l-1 >= m.LineCount() {
			return false
		}
		text := lineText(f, l)
		trimmed := strings.TrimSpace(text)
		if trimmed == "" || strings.Trim(trimmed, "{}()[];,") == "" {
			return false
		}
		col := len(text) - len(strings.TrimLeft(text, " \t"))
		off := m.LineStart(l-1) + col
		pt := sitter.Point{Row: uint32(l - 1), Column: uint32(col)}
		n := root.NamedDescendantForPointRange(pt, pt)
		if n == nil || strings.Contains(n.Type(), "comment") {
			return false
		}
		for a := n; a != nil; a = a.Parent() {
			if functionKinds[a.Type()] {
				return inBody(a, uint32(off))
			}
		}
		return false
	}
}

// inBody reports whether off lies in fn's body rather than its signature.
func inBody(fn *sitter.Node, off uint32) bool {
	body := fn.ChildByFieldName("body")
	if body == nil {
		return true
	}
	return body.StartByte() <= off && off < body.EndByte()
}

// lineText is the text of 1-based line l of f, without its line break.
func lineText(f *analysis.File, l int) string { return f.Mapper().LineText(l - 1) }

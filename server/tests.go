package server

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	"github.com/gauntlet-dev/gauntlet/analysis/patch"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// TestOptions say which tests RunTests runs and how.
type TestOptions struct {
	// Paths are the snapshot paths to look for tests in (and to report
	// coverage of); none means the whole workspace.
	Paths []string
	// Patch, if set, is a change (paths relative to the root) between Base
	// and the snapshot RunTests gets: only the tests it affects run.
	Patch []*patch.File
	Base  *analysis.Snapshot
	// Match keeps the tests whose name or id it matches.
	Match *regexp.Regexp
	// Coverage reports the coverage of the run.
	Coverage bool
	// SelectOnly lists the selected tests without running them.
	SelectOnly bool
	// Settings configure the runners (the tests: key).
	Settings testrun.Settings
	// Display turns a snapshot path into the path reported; nil keeps it.
	Display func(string) string
	// Progress, if set, hears the run's progress.
	Progress func(analysis.Progress)
	// Sandbox, if set, runs the tests of Patch as verify's tests gate
	// does (verify.RunEdited): the patch is a caller's or a model's.
	Sandbox *verify.Options
}

// TestReport is the outcome of RunTests. Its JSON form is `gauntlet test
// --format json`.
type TestReport struct {
	Passed     bool             `json:"passed"`
	TotalTests int              `json:"total_tests"`
	Selected   []string         `json:"selected"`
	Tests      []testrun.Result `json:"tests"`
	Coverage   *CoverageReport  `json:"coverage,omitempty"`
	// UncoveredChanges lists changed lines that no test covers (with a
	// patch): a coverage finding.
	UncoveredChanges []LineRange `json:"uncovered_changes,omitempty"`
	// CommentsOnly lists the patch's files whose change is only comments
	// (analysis.SameCode, as verify judges it): no test is affected by them.
	CommentsOnly []string `json:"comments_only,omitempty"`
}

// LineRange is a range of lines of a file, both ends included.
type LineRange struct {
	Path  string `json:"path"`
	Lines [2]int `json:"lines"`
}

// CoverageReport is per-file statement coverage. Its JSON form is `gauntlet
// coverage --format json`, and the coverage of `gauntlet test --coverage`.
type CoverageReport struct {
	Percent float64        `json:"percent"`
	Files   []FileCoverage `json:"files"`
	// Map says where the per-test map behind the report came from:
	// "cache" (nothing ran again) or "built" (some tests ran to build it);
	// empty when the coverage is a single run's.
	Map string `json:"map,omitempty"`
	// Granularity is the map's: "test", or "file" when some runner could
	// measure only whole test files.
	Granularity string `json:"granularity,omitempty"`

	// Profile is the coverage behind the report, limited to its paths (in
	// snapshot paths); Tests counts the tests of the map it came from.
	Profile *coverage.Profile `json:"-"`
	Tests   int               `json:"-"`
}

// FileCoverage is one file's coverage: percent of statements, and the
// uncovered line ranges.
type FileCoverage struct {
	Path      string   `json:"path"`
	Percent   float64  `json:"percent"`
	Uncovered [][2]int `json:"uncovered"`
}

// RunTests discovers the tests under opts.Paths in snap, keeps those
// opts.Match matches (benchmarks only when asked for by name, as go test),
// narrows them to the ones opts.Patch affects, and runs them. A change that
// no test covers is a failure, not a pass: its lines are in
// UncoveredChanges.
func (e *Engine) RunTests(ctx context.Context, snap *analysis.Snapshot, opts TestOptions) (*TestReport, error) {
	display := displayFunc(opts.Display)
	var sopts []testrun.Option
	if opts.Progress != nil {
		sopts = append(sopts, testrun.WithProgress(opts.Progress))
	}
	suite := testrun.New(snap, opts.Settings, sopts...)
	scope, err := suite.Discover(ctx, opts.Paths...)
	if err != nil {
		return nil, err
	}
	var kept []testrun.Test
	for _, t := range scope {
		if t.Kind != testrun.KindBenchmark && (opts.Match == nil || opts.Match.MatchString(t.Name) || opts.Match.MatchString(t.ID)) {
			kept = append(kept, t)
		}
	}
	scope = kept
	selected := scope
	var sel *testrun.Selection
	var commentsOnly []string
	if opts.Patch != nil {
		base := opts.Base
		if base == nil {
			base = snap
		}
		var files []*patch.File
		files, commentsOnly = codeChanges(ctx, base, snap, opts.Patch)
		if sel, err = suite.Select(ctx, base, files); err != nil {
			return nil, err
		}
		inScope := map[string]bool{}
		for _, t := range scope {
			inScope[t.ID] = true
		}
		selected = nil
		for _, t := range sel.Tests {
			if inScope[t.ID] {
				selected = append(selected, t)
			}
		}
	}
	var out *testrun.Report
	// Coverage of every test under the paths is the per-test map's union:
	// building it fills the map cache that `gauntlet coverage` and
	// `--affected-by` then read, and the totals are theirs. The tests still
	// run together for their verdicts (a test may pass alone and fail with
	// the others). A map that cannot be built (a package that does not
	// build) leaves the run's own coverage.
	var fromMap *coverage.Map
	if opts.Coverage && !opts.SelectOnly && opts.Patch == nil && opts.Match == nil && len(selected) > 0 {
		if m, err := suite.Map(ctx, opts.Paths...); err == nil {
			fromMap = m
		}
	}
	if len(selected) > 0 && !opts.SelectOnly {
		ropts := testrun.RunOptions{Coverage: opts.Coverage && fromMap == nil}
		switch {
		case opts.Patch != nil && opts.Base != nil && opts.Sandbox != nil:
			out, err = verify.RunEdited(ctx, opts.Base, snap, selected, ropts, *opts.Sandbox)
		case opts.Patch != nil && opts.Base != nil:
			ropts.Before = beforeOn(opts.Base, opts.Settings)
			out, err = suite.Run(ctx, selected, ropts)
		default:
			out, err = suite.Run(ctx, selected, ropts)
		}
		if err != nil {
			return nil, err
		}
		if fromMap != nil {
			out.Coverage = fromMap.Profile()
		}
	} else {
		out = &testrun.Report{}
		if opts.Coverage {
			out.Coverage = coverage.NewProfile()
		}
	}
	res := &TestReport{Passed: out.Passed(), TotalTests: len(scope), Selected: []string{}, Tests: out.Results}
	for _, t := range selected {
		res.Selected = append(res.Selected, t.ID)
	}
	if res.Tests == nil {
		res.Tests = []testrun.Result{}
	}
	for i := range res.Tests {
		res.Tests[i].File = display(res.Tests[i].File)
	}
	if opts.Coverage && !opts.SelectOnly {
		res.Coverage = coverageReport(out.Coverage, opts.Paths, display)
		if fromMap != nil {
			res.Coverage.Map = mapSource(fromMap)
			res.Coverage.Granularity = fromMap.Granularity
			res.Coverage.Tests = len(fromMap.Tests)
		}
	}
	for _, p := range commentsOnly {
		res.CommentsOnly = append(res.CommentsOnly, display(p))
	}
	if sel != nil {
		for _, u := range sel.Uncovered {
			res.UncoveredChanges = append(res.UncoveredChanges, LineRange{display(u.Path), [2]int{u.Start, u.End}})
		}
		if len(selected) == 0 && len(sel.Uncovered) > 0 {
			// No test covers the edit: that is a finding, not a pass.
			res.Passed = false
		}
	}
	return res, nil
}

// codeChanges splits a patch into the files whose code changes and the
// paths of those whose change is only comments.
func codeChanges(ctx context.Context, base, head *analysis.Snapshot, files []*patch.File) (code []*patch.File, comments []string) {
	code = []*patch.File{}
	for _, f := range files {
		if f.Status == patch.Modified && !f.Binary && f.OldPath == f.NewPath {
			before, err1 := base.File(f.OldPath)
			after, err2 := head.File(f.NewPath)
			if err1 == nil && err2 == nil && analysis.SameCode(ctx, before, after) {
				comments = append(comments, f.NewPath)
				continue
			}
		}
		code = append(code, f)
	}
	return code, comments
}

// CoverageOptions say what Coverage and TestsFor build the per-test map of.
type CoverageOptions struct {
	// Paths are the snapshot paths the map covers and the report lists;
	// none means the whole workspace.
	Paths    []string
	Settings testrun.Settings
	Display  func(string) string
	Progress func(analysis.Progress)
}

func (o CoverageOptions) coverageMap(ctx context.Context, snap *analysis.Snapshot) (*coverage.Map, error) {
	var sopts []testrun.Option
	if o.Progress != nil {
		sopts = append(sopts, testrun.WithProgress(o.Progress))
	}
	return testrun.New(snap, o.Settings, sopts...).Map(ctx, o.Paths...)
}

// Coverage builds the per-test coverage map of opts.Paths (cached by
// content: only changed packages run again) and reports per-file coverage.
func (e *Engine) Coverage(ctx context.Context, snap *analysis.Snapshot, opts CoverageOptions) (*CoverageReport, error) {
	m, err := opts.coverageMap(ctx, snap)
	if err != nil {
		return nil, err
	}
	r := coverageReport(m.Profile(), opts.Paths, displayFunc(opts.Display))
	r.Tests = len(m.Tests)
	r.Map = mapSource(m)
	r.Granularity = m.Granularity
	return r, nil
}

// mapSource says whether a map was read from the cache or built now.
func mapSource(m *coverage.Map) string {
	if m.Built {
		return "built"
	}
	return "cache"
}

// TestsFor lists the ids of the tests that cover a 1-based line of path (a
// snapshot path), from the per-test map of opts.Paths, and the map's
// granularity: coverage.PerFile when some tests' coverage is their test
// file's, not their own (the answer may then name tests that do not run the
// line).
func (e *Engine) TestsFor(ctx context.Context, snap *analysis.Snapshot, opts CoverageOptions, path string, line int) (tests []string, granularity string, err error) {
	m, err := opts.coverageMap(ctx, snap)
	if err != nil {
		return nil, "", err
	}
	tests = m.TestsAt(path, line)
	if tests == nil {
		tests = []string{}
	}
	granularity = m.Granularity
	if granularity == "" {
		granularity = coverage.PerTest
	}
	return tests, granularity, nil
}

func displayFunc(f func(string) string) func(string) string {
	if f == nil {
		return func(p string) string { return p }
	}
	return f
}

// Scoped keeps the files of p under the snapshot paths (all for none or ".").
func Scoped(p *coverage.Profile, paths []string) *coverage.Profile {
	if len(paths) == 0 {
		return p
	}
	return p.Filter(func(path string) bool {
		for _, r := range paths {
			if r == "." || path == r || strings.HasPrefix(path, r+"/") {
				return true
			}
		}
		return false
	})
}

// coverageReport is the report of a profile, limited to the paths.
func coverageReport(p *coverage.Profile, paths []string, display func(string) string) *CoverageReport {
	out := &CoverageReport{Files: []FileCoverage{}}
	if p == nil {
		out.Percent = 100
		out.Profile = coverage.NewProfile()
		return out
	}
	p = Scoped(p, paths)
	out.Profile = p
	out.Percent = round1(p.Percent())
	for _, path := range p.Paths() {
		f := p.Files[path]
		u := f.Uncovered()
		if u == nil {
			u = [][2]int{}
		}
		out.Files = append(out.Files, FileCoverage{Path: display(path), Percent: round1(f.Percent()), Uncovered: u})
	}
	return out
}

func round1(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 1, 64), 64)
	return v
}

// beforeOn runs a test alone on base, the code before a patch, and says
// how long it took there when it passed: what tells a test the patch
// makes hang from a slow one (testrun.RunOptions.Before).
func beforeOn(base *analysis.Snapshot, settings testrun.Settings) func(context.Context, testrun.Test) (time.Duration, error) {
	return func(ctx context.Context, t testrun.Test) (time.Duration, error) {
		if _, err := base.File(t.File); err != nil {
			return 0, fmt.Errorf("%s: not in the code before the patch", t.ID)
		}
		out, err := testrun.New(base, settings).Run(ctx, []testrun.Test{t}, testrun.RunOptions{})
		if err != nil {
			return 0, err
		}
		if d, ok := out.PassTime(t.ID); ok {
			return d, nil
		}
		return 0, fmt.Errorf("%s did not pass before the patch", t.ID)
	}
}

// Package testrun discovers, selects and runs tests in Go, Python (pytest)
// and JavaScript/TypeScript (node --test) projects, and builds the per-test
// coverage map (package analysis/coverage) that selection reads.
//
// A Suite is the tests of one workspace snapshot. The command line
// (gauntlet test, gauntlet coverage), the LSP (code lenses, run test,
// $/progress) and the closed loop's test gate all call it:
//
//	s := testrun.New(snap, settings)
//	tests, _ := s.Discover(ctx)            // or s.TestsInFile(ctx, "calc/calc_test.go")
//	out, _ := s.Run(ctx, tests, testrun.RunOptions{Coverage: true})
//	m, _ := s.Map(ctx)                     // cached per content; only changed packages rerun
//	sel, _ := s.Select(ctx, base, files)   // files from package analysis/patch
//
// Every process it starts runs in its own process group, bounded by the
// settings' timeout and by the context, and is killed as a group when either
// ends.
package testrun

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	sitter "github.com/smacker/go-tree-sitter"
)

// Kind is what sort of test function a Test is.
type Kind string

const (
	KindTest      Kind = "test"
	KindExample   Kind = "example"
	KindFuzz      Kind = "fuzz"
	KindBenchmark Kind = "benchmark"
)

// Test is one test that a runner can run by itself.
type Test struct {
	// ID names the test across gauntlet: Go "importpath.TestName", pytest
	// node ids ("test_calc.py::test_add", relative to the pytest root), node
	// test runner "file::name" (file relative to the package root, nested
	// names joined with " > ").
	ID       string `json:"id"`
	Name     string `json:"name"`     // the function or test name
	Package  string `json:"package"`  // Go import path; the project directory for pytest and node
	File     string `json:"file"`     // slash path relative to the workspace root
	Line     int    `json:"line"`     // 1-based line of the declaration
	Start    int    `json:"start"`    // byte range of the declaration in File
	End      int    `json:"end"`      //
	Kind     Kind   `json:"kind"`     //
	Language string `json:"language"` // runner name: "go", "python", "node"
}

// Status is a test's outcome.
type Status string

const (
	Pass  Status = "pass"
	Fail  Status = "fail"
	Skip  Status = "skip"
	Error Status = "error" // did not run to a verdict: build failure, timeout, crash
)

// Result is the outcome of one test. The JSON shape is part of
// `gauntlet test --format json`.
type Result struct {
	ID       string `json:"id"`
	Package  string `json:"package"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Status   Status `json:"status"`
	Duration int64  `json:"duration_ms"`
	Output   string `json:"output"` // trimmed output of a failing test; empty otherwise
	// Failure is where the test failed (the first file:line its output
	// names inside the workspace), for editor diagnostics.
	Failure *Location `json:"-"`
}

// Failure is a test that failed or errored, and its trimmed output: what
// verify's tests gate reports and the LSP shows on the test's declaration.
type Failure struct {
	ID     string `json:"id"`
	File   string `json:"file,omitempty"` // slash path relative to the workspace root
	Line   int    `json:"line,omitempty"` // 1-based line of the declaration
	Status Status `json:"status"`         // Fail or Error
	Output string `json:"output"`
}

// AsFailure is r as a Failure.
func (r Result) AsFailure() Failure {
	return Failure{ID: r.ID, File: r.File, Line: r.Line, Status: r.Status, Output: r.Output}
}

// Location is a line of a workspace file.
type Location struct {
	File string // slash path relative to the workspace root
	Line int    // 1-based
}

// Report is the result of running a set of tests (Outcome is the exit
// status's name, in server/api).
type Report struct {
	Results  []Result          // sorted by id
	Coverage *coverage.Profile // with RunOptions.Coverage
	Elapsed  time.Duration
	// Built lists the packages (import paths, sorted) whose test binaries
	// the runner compiled and that ran a test: the Go runner, whose go test
	// compiles what it runs. verify's build gate reads it (an edit's
	// packages that built and ran need no compile of their own); runners
	// that compile nothing leave it empty.
	Built []string
	// BuildFailed lists the packages that go test could not compile.
	BuildFailed []string
	// Hung is the test for which the run was stopped: it ran far longer
	// than before the edit (hang.go); nil when none did.
	Hung *Hang
}

// Passed reports whether no test failed or errored.
func (o *Report) Passed() bool {
	for _, r := range o.Results {
		if r.Status == Fail || r.Status == Error {
			return false
		}
	}
	return true
}

// Failed lists the results that failed or errored.
func (o *Report) Failed() []Result {
	var out []Result
	for _, r := range o.Results {
		if r.Status == Fail || r.Status == Error {
			out = append(out, r)
		}
	}
	return out
}

// RunOptions tune one run.
type RunOptions struct {
	Coverage bool // collect coverage of the project's code (test files excluded)
	// CoverFiles, when not nil, are the only files (workspace paths) whose
	// coverage the caller reads. Go names a package without tests to go
	// test, which reports its statements uncovered at the cost of a covdata
	// run, only when it holds one of them; nil: every such package, as
	// `go test -coverpkg=./... ./...` reports.
	CoverFiles []string
	// CoverOwn: a Go run covers only the packages holding a file of
	// CoverFiles (not nil) — with -cover where that is the one
	// package tested, which -coverpkg would compile a second time for its
	// coverage metadata (go-cmp's cmp: 0.4 s of a 3.9 s run), else with
	// -coverpkg of just those, so that the other packages' test variants
	// compile without counters; nothing at all when there is none. The
	// coverage of those files is the same; the compile differs from the
	// -coverpkg one that `go list -export -test` with GoCoverFlags fills
	// the cache with, so verify asks for it only when it does not compile
	// first.
	CoverOwn bool
	// Before runs a test on the code before the edit and returns how long
	// it took there, or an error when it did not pass; with
	// Settings.HangAfter it lets a run stop a test that the edit makes
	// hang (hang.go). The Go, pytest and mocha runners use it; the others
	// run to their time limit.
	Before func(context.Context, Test) (time.Duration, error)
}

// Settings configure the runners: the `tests:` key of .gauntlet.yaml.
type Settings struct {
	Timeout time.Duration  // bounds a whole run or map build; 0 means DefaultTimeout
	Go      GoSettings     //
	Python  PythonSettings //
	Node    NodeSettings   //
	// Env names the variables of gauntlet's environment that test
	// processes get beyond the allowlist (tests.env).
	Env []string
	// MaxOutput caps the output kept of one test, in bytes (a run keeps
	// at most eight times as much); 0 means DefaultMaxOutput
	// (tests.max_output).
	MaxOutput int64
	// HangAfter is how long a test runs before a run given
	// RunOptions.Before checks it against the code before the edit
	// (tests.hang_after); 0: never.
	HangAfter time.Duration
}

// DefaultTimeout bounds a run when Settings.Timeout is zero.
const DefaultTimeout = 10 * time.Minute

// GoSettings configure the Go runner.
type GoSettings struct {
	Flags   []string      // extra flags for go test and go test -c: "-tags=integration", "-race"
	Timeout time.Duration // per test binary (go test -timeout); 0 means the run's timeout
}

// PythonSettings configure the pytest runner.
type PythonSettings struct {
	// Command runs pytest; by default `PY -m pytest` with the project's
	// interpreter (see Python).
	Command []string
	// Python is the interpreter (tests.python): by default $VIRTUAL_ENV's,
	// then .venv/ or venv/ of the project, then the first python3 or python
	// on PATH that imports pytest, then /usr/bin/python3.
	Python string
	// Wrap is put before every command the runner starts (the sandbox's
	// launcher).
	Wrap []string
}

// NodeSettings configure the node test runner.
type NodeSettings struct {
	Command []string // ["node"] by default; e.g. ["node", "--import", "tsx"] for TypeScript
	// Runner is the framework (tests.runner): "jest", "vitest", "mocha" or
	// "node"; "" detects it from package.json and node_modules/.bin.
	Runner string
}

func (s Settings) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

// Option configures a Suite.
type Option func(*Suite)

// WithCacheDir puts coverage maps under dir instead of the user cache
// directory; "" disables the cache.
func WithCacheDir(dir string) Option { return func(s *Suite) { s.cache = &coverage.Cache{Dir: dir} } }

// WithProgress reports long jobs to f (called from one goroutine at a time).
func WithProgress(f func(analysis.Progress)) Option { return func(s *Suite) { s.progress = f } }

// WithoutMapBuild: Select and Map build no per-test map for a project that
// was never mapped here (nothing in the cache for it at any content: a
// fresh clone, a CI machine), where building it would run every test
// alone, several times the whole suite. Select then picks the tests of the
// packages (files) each change affects, as for a change outside any
// covered block, and Map leaves the project out. A project mapped before
// has its stale parts built as ever: an editor's edits keep making parts of
// it stale.
func WithoutMapBuild() Option { return func(s *Suite) { s.noColdMap = true } }

// WithLauncher starts every runner process (go test, pytest, node, the
// test binaries) through l: in a sandbox.
func WithLauncher(l Launcher) Option { return func(s *Suite) { s.launch = l } }

// A Launcher runs a runner's process in a sandbox.
type Launcher interface {
	// Wrap returns the command line that runs argv in the sandbox, where
	// the directories writable are writable too (the runner's scratch
	// directory), and the variables to set inside, over the allowlisted
	// environment.
	Wrap(argv []string, writable ...string) (wrapped []string, env []string)
}

// WithRunners replaces the language runners (tests use it).
func WithRunners(rs ...Runner) Option { return func(s *Suite) { s.runners = rs } }

// Suite is the tests of one workspace snapshot. It is safe for concurrent use.
type Suite struct {
	snap     *analysis.Snapshot
	settings Settings
	cache    *coverage.Cache
	runners  []Runner
	launch   Launcher
	// noColdMap: WithoutMapBuild.
	noColdMap bool

	mu       sync.Mutex
	progress func(analysis.Progress)
}

// New returns the suite of snap's workspace.
func New(snap *analysis.Snapshot, settings Settings, opts ...Option) *Suite {
	s := &Suite{snap: snap, settings: settings}
	s.cache = &coverage.Cache{Dir: filepath.Join(coverage.DefaultCacheDir(), "coverage")}
	s.runners = []Runner{&GoRunner{}, &PythonRunner{}, &NodeRunner{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

func (s *Suite) report(p analysis.Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.progress != nil {
		s.progress(p)
	}
}

// env is what a runner gets for one job.
func (s *Suite) env(snap *analysis.Snapshot) *Env {
	if snap == nil {
		snap = s.snap
	}
	return &Env{Snapshot: snap, Settings: s.settings, Cache: s.cache, Progress: s.report, Launch: s.launch, NoColdMap: s.noColdMap}
}

// Env is what a Runner works with: the snapshot (its overlays are the files
// that differ from the disk), the settings, the map cache and a progress sink.
type Env struct {
	Snapshot *analysis.Snapshot
	Settings Settings
	Cache    *coverage.Cache
	Progress func(analysis.Progress)
	Launch   Launcher // nil: processes run here
	// NoColdMap: Map returns errNoMap rather than build the map of a
	// project never mapped here (WithoutMapBuild).
	NoColdMap bool
}

// Project is one unit a runner works on: a Go module, a pytest root, a node
// package. Dir is relative to the workspace root ("." for the root).
type Project struct {
	Runner Runner
	Dir    string
	Name   string // Go module path; the directory otherwise
	// Framework is the JavaScript test framework of a node project: "jest",
	// "vitest", "mocha" or "node" (node --test).
	Framework string
}

// Runner is one language's test runner.
type Runner interface {
	Name() string // "go", "python", "node"
	// Projects finds the runner's projects that contain or lie under the
	// workspace paths (files or directories).
	Projects(env *Env, paths []string) ([]*Project, error)
	// Discover lists the tests of a project from their syntax trees.
	Discover(ctx context.Context, env *Env, p *Project) ([]Test, error)
	// TestsInFile lists the tests declared in one file of a project.
	TestsInFile(ctx context.Context, env *Env, p *Project, file string) ([]Test, error)
	// Run runs tests of p (all of them when tests is nil).
	Run(ctx context.Context, env *Env, p *Project, tests []Test, opt RunOptions) (*Report, error)
	// Map returns the per-test coverage map of p, from the cache where the
	// inputs did not change.
	Map(ctx context.Context, env *Env, p *Project) (*coverage.Map, error)
	// Affected lists the tests to run when the code at the workspace path
	// changed in a way the map cannot place (new code, package-level
	// declarations, imports): for Go, the tests of its package and of every
	// package that imports it.
	Affected(ctx context.Context, env *Env, p *Project, file string) ([]Test, error)
}

// Projects lists the projects of every runner under paths (the whole
// workspace when paths is empty).
func (s *Suite) Projects(paths ...string) ([]*Project, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var out []*Project
	env := s.env(nil)
	for _, r := range s.runners {
		ps, err := r.Projects(env, paths)
		if err != nil {
			return nil, fmt.Errorf("%s tests: %w", r.Name(), err)
		}
		out = append(out, ps...)
	}
	return out, nil
}

// Discover lists the tests under paths (files or directories relative to the
// workspace root; all when empty), sorted by id. A path names a file: only
// that file's tests (or, for a source file, its package's).
func (s *Suite) Discover(ctx context.Context, paths ...string) ([]Test, error) {
	projects, err := s.Projects(paths...)
	if err != nil {
		return nil, err
	}
	var out []Test
	env := s.env(nil)
	for _, p := range projects {
		ts, err := p.Runner.Discover(ctx, env, p)
		if err != nil {
			return nil, err
		}
		out = append(out, filterPaths(ts, paths)...)
	}
	sortTests(out)
	return out, nil
}

// filterPaths keeps the tests whose file lies under one of paths; a path
// that names a non-test file keeps the tests of its directory.
func filterPaths(ts []Test, paths []string) []Test {
	if len(paths) == 0 {
		return ts
	}
	var out []Test
	for _, t := range ts {
		for _, p := range paths {
			p = path.Clean(p)
			if p == "." || t.File == p || strings.HasPrefix(t.File, p+"/") || (path.Ext(p) != "" && path.Dir(t.File) == path.Dir(p) && !IsTestFile(p)) {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// testsIn keeps the tests of ts whose file is file; with declared, only
// those with a declaration range (the ones the syntax tree places).
func testsIn(ts []Test, file string, declared bool) []Test {
	var out []Test
	for _, t := range ts {
		if t.File == file && (!declared || t.End > t.Start) {
			out = append(out, t)
		}
	}
	return out
}

// orNotRun is a test's result res or, when the run gave it none, an Error
// result: with the output of cause, the failure that kept the test's file
// from running, when there is one, else with the run's output.
func orNotRun(res, cause *Result, runOutput string) *Result {
	switch {
	case res != nil:
		return res
	case cause != nil:
		return &Result{Status: Error, Output: cause.Output}
	}
	return &Result{Status: Error, Output: trimOutput("the test did not run:\n" + runOutput)}
}

// parseTree is the syntax tree of file in snap, to Close, and its content.
func parseTree(ctx context.Context, snap *analysis.Snapshot, file string) (*sitter.Tree, []byte, error) {
	f, err := snap.File(file)
	if err != nil {
		return nil, nil, err
	}
	tree, err := f.Tree(ctx)
	if err != nil {
		return nil, nil, err
	}
	return tree, f.Content, nil
}

// TestsInFile lists the tests declared in file (relative to the workspace
// root) with their byte ranges: what the editor puts "▶ run test" lenses on.
func (s *Suite) TestsInFile(ctx context.Context, file string) ([]Test, error) {
	projects, err := s.Projects(file)
	if err != nil {
		return nil, err
	}
	var out []Test
	env := s.env(nil)
	for _, p := range projects {
		ts, err := p.Runner.TestsInFile(ctx, env, p, file)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out, nil
}

// Run runs tests (each runner's share in its projects), bounded by the
// settings' timeout. A nil tests runs every test under paths.
func (s *Suite) Run(ctx context.Context, tests []Test, opt RunOptions) (*Report, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.settings.timeout())
	defer cancel()
	groups, order, err := s.group(tests)
	if err != nil {
		return nil, err
	}
	s.report(analysis.Progress{Kind: analysis.ProgressBegin, Title: fmt.Sprintf("Running %d tests", len(tests))})
	out := &Report{}
	if opt.Coverage {
		out.Coverage = coverage.NewProfile()
	}
	env := s.env(nil)
	var firstErr error
	for _, p := range order {
		o, err := p.Runner.Run(ctx, env, p, groups[p], opt)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("%s tests in %s: %w", p.Runner.Name(), p.Dir, err)
			}
			continue
		}
		out.Results = append(out.Results, o.Results...)
		out.Built = append(out.Built, o.Built...)
		out.BuildFailed = append(out.BuildFailed, o.BuildFailed...)
		if out.Hung == nil {
			out.Hung = o.Hung
		}
		if opt.Coverage {
			out.Coverage.Merge(o.Coverage)
		}
	}
	sortResults(out.Results)
	sort.Strings(out.Built)
	sort.Strings(out.BuildFailed)
	out.Elapsed = time.Since(start)
	s.report(analysis.Progress{Kind: analysis.ProgressEnd, Message: summary(out)})
	return out, firstErr
}

// RunIDs runs the tests with these ids (as the editor's gauntlet.runTests
// command names them). Unknown ids are an error naming them.
func (s *Suite) RunIDs(ctx context.Context, ids []string, opt RunOptions) (*Report, error) {
	all, err := s.Discover(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]Test{}
	for _, t := range all {
		byID[t.ID] = t
	}
	var tests []Test
	var unknown []string
	for _, id := range ids {
		t, ok := byID[id]
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		tests = append(tests, t)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown test ids: %s", strings.Join(unknown, ", "))
	}
	return s.Run(ctx, tests, opt)
}

func summary(o *Report) string {
	n := map[Status]int{}
	for _, r := range o.Results {
		n[r.Status]++
	}
	s := fmt.Sprintf("%d passed, %d failed", n[Pass], n[Fail]+n[Error])
	if n[Skip] > 0 {
		s += fmt.Sprintf(", %d skipped", n[Skip])
	}
	return s
}

// group splits tests by project, keeping the projects' order.
func (s *Suite) group(tests []Test) (map[*Project][]Test, []*Project, error) {
	projects, err := s.Projects()
	if err != nil {
		return nil, nil, err
	}
	groups := map[*Project][]Test{}
	var order []*Project
	for _, t := range tests {
		p := owner(projects, t)
		if p == nil {
			return nil, nil, fmt.Errorf("test %s: no %s project contains %s", t.ID, t.Language, t.File)
		}
		if _, ok := groups[p]; !ok {
			order = append(order, p)
		}
		groups[p] = append(groups[p], t)
	}
	return groups, order, nil
}

// owner is the innermost project of t's runner that contains t's file.
func owner(projects []*Project, t Test) *Project {
	var best *Project
	for _, p := range projects {
		if p.Runner.Name() != t.Language || !within(p.Dir, t.File) {
			continue
		}
		if best == nil || len(p.Dir) > len(best.Dir) {
			best = p
		}
	}
	return best
}

func within(dir, file string) bool {
	return dir == "." || file == dir || strings.HasPrefix(file, dir+"/")
}

// Map returns the per-test coverage map of the projects under paths (all
// when empty), merged. Projects whose inputs did not change since the last
// build come from the cache.
func (s *Suite) Map(ctx context.Context, paths ...string) (*coverage.Map, error) {
	m, _, err := s.mapOf(ctx, s.snap, paths...)
	return m, err
}

// mapOf is Map of snap. With WithoutMapBuild, a project never mapped here
// is left out, and listed in cold (by projectKey).
func (s *Suite) mapOf(ctx context.Context, snap *analysis.Snapshot, paths ...string) (m *coverage.Map, cold map[string]bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.settings.timeout())
	defer cancel()
	env := s.env(snap)
	if len(paths) == 0 {
		paths = []string{"."}
	}
	m, cold = coverage.NewMap(), map[string]bool{}
	for _, r := range s.runners {
		ps, err := r.Projects(env, paths)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range ps {
			pm, err := r.Map(ctx, env, p)
			if errors.Is(err, errNoMap) {
				cold[projectKey(p)] = true
				continue
			}
			if err != nil {
				return nil, nil, fmt.Errorf("%s coverage map of %s: %w", r.Name(), p.Dir, err)
			}
			m.Merge(pm)
		}
	}
	return m, cold, nil
}

// errNoMap is what a runner's Map returns, under Env.NoColdMap, for a
// project never mapped here.
var errNoMap = errors.New("no per-test map of the project is cached")

// projectKey names a project across calls of Projects.
func projectKey(p *Project) string { return p.Runner.Name() + "\x00" + p.Dir }

func sortTests(ts []Test) {
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].ID != ts[j].ID {
			return ts[i].ID < ts[j].ID
		}
		return ts[i].File < ts[j].File
	})
}

func sortResults(rs []Result) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
}

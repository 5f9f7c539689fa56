package testrun

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
)

//go:embed scripts
var scripts embed.FS

// scriptDir writes the embedded helper scripts (the pytest plugin, the node
// reporter) into dir and returns it. The runs of a map build call it at
// once for the same dir while their processes load the scripts: a script
// already there as it should be is left alone, and one that is not is
// replaced whole (a temporary file renamed over it), so that no process
// ever reads a truncated script (mocha took an empty reporter for one that
// "is not a constructor").
func scriptDir(dir string) (string, error) {
	d := filepath.Join(dir, "scripts")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", err
	}
	ents, _ := fs.ReadDir(scripts, "scripts")
	for _, e := range ents {
		data, _ := scripts.ReadFile("scripts/" + e.Name())
		name := filepath.Join(d, e.Name())
		if have, err := os.ReadFile(name); err == nil && bytes.Equal(have, data) {
			continue
		}
		f, err := os.CreateTemp(d, ".tmp-"+e.Name()+"-")
		if err != nil {
			return "", err
		}
		_, werr := f.Write(data)
		cerr := f.Close()
		if err := errors.Join(werr, cerr, os.Chmod(f.Name(), 0o644), os.Rename(f.Name(), name)); err != nil {
			os.Remove(f.Name())
			return "", err
		}
	}
	return d, nil
}

// PythonRunner runs pytest, with a small plugin that reports each test's
// outcome and switches coverage.py's dynamic context to the test's node id,
// so that one run yields the per-test map.
type PythonRunner struct{}

func (*PythonRunner) Name() string { return "python" }

var pyMarkers = []string{"pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg", "setup.py"}

var pySkipDirs = map[string]bool{"venv": true, "site-packages": true, "dist-packages": true, "__pycache__": true, "build": true, "dist": true}

func isPyTestFile(p string) bool {
	b := path.Base(p)
	return strings.HasSuffix(b, ".py") && (strings.HasPrefix(b, "test_") || strings.HasSuffix(b, "_test.py"))
}

// pyRoot is the pytest root of a workspace file: the nearest directory above
// it with a pytest or packaging configuration file, else the workspace root.
func pyRoot(snap *analysis.Snapshot, file string) string {
	d, _ := pyRootFound(snap, file)
	return d
}

// pyRootFound is pyRoot, and whether a configuration file marks it.
func pyRootFound(snap *analysis.Snapshot, file string) (string, bool) {
	for d := path.Dir(file); ; d = path.Dir(d) {
		for _, m := range pyMarkers {
			if _, err := os.Stat(snap.Abs(path.Join(d, m))); err == nil {
				return d, true
			}
		}
		if d == "." || d == "/" {
			return ".", false
		}
	}
}

// walkFiles lists the workspace files under the paths (and the path itself
// when it is a file) for which keep is true, skipping tool directories.
func walkFiles(snap *analysis.Snapshot, paths []string, keep func(string) bool) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		rel, err := snap.Rel(p)
		if err != nil {
			return nil, err
		}
		abs := snap.Abs(rel)
		info, err := os.Stat(abs)
		if err != nil {
			if _, ferr := snap.File(rel); ferr == nil && keep(rel) && !seen[rel] {
				seen[rel] = true
				out = append(out, rel)
			}
			continue
		}
		if !info.IsDir() {
			if keep(rel) && !seen[rel] {
				seen[rel] = true
				out = append(out, rel)
			}
			continue
		}
		filepath.WalkDir(abs, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if fp != abs && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "vendor" || pySkipDirs[d.Name()] || d.Name() == "testdata") {
					return filepath.SkipDir
				}
				return nil
			}
			r, err := snap.Rel(fp)
			if err == nil && keep(r) && !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
			return nil
		})
		for _, o := range snap.Overlays() {
			if within(rel, o) && keep(o) && !seen[o] {
				seen[o] = true
				out = append(out, o)
			}
		}
	}
	deleted := map[string]bool{}
	for _, d := range snap.Deleted() {
		deleted[d] = true
	}
	var kept []string
	for _, f := range out {
		if !deleted[f] {
			kept = append(kept, f)
		}
	}
	sort.Strings(kept)
	return kept, nil
}

// ownFiles are the files under dir that keep keeps and whose project root
// (by root) is dir itself, not a project nested in it.
func ownFiles(snap *analysis.Snapshot, dir string, keep func(string) bool, root func(*analysis.Snapshot, string) string) ([]string, error) {
	files, err := walkFiles(snap, []string{dir}, keep)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		if root(snap, f) == dir {
			out = append(out, f)
		}
	}
	return out, nil
}

// projectRoots are the project roots (found by rootFound) of the test files
// (those isTest keeps) under paths, and the root that contains each path
// when a marker file makes it one and it has test files.
func projectRoots(snap *analysis.Snapshot, paths []string, isTest func(string) bool, rootFound func(*analysis.Snapshot, string) (string, bool)) (map[string]bool, error) {
	files, err := walkFiles(snap, paths, isTest)
	if err != nil {
		return nil, err
	}
	roots := map[string]bool{}
	for _, f := range files {
		root, _ := rootFound(snap, f)
		roots[root] = true
	}
	for _, p := range paths {
		rel, err := snap.Rel(p)
		if err != nil {
			return nil, err
		}
		if root, found := rootFound(snap, path.Join(rel, "x")); found {
			if ts, _ := walkFiles(snap, []string{root}, isTest); len(ts) > 0 {
				roots[root] = true
			}
		}
	}
	return roots, nil
}

func (r *PythonRunner) Projects(env *Env, paths []string) ([]*Project, error) {
	// The projects of the test files under the paths, and the project that
	// contains each path.
	roots, err := projectRoots(env.Snapshot, paths, isPyTestFile, pyRootFound)
	if err != nil {
		return nil, err
	}
	var out []*Project
	for root := range roots {
		out = append(out, &Project{Runner: r, Dir: root, Name: root})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dir < out[j].Dir })
	return out, nil
}

func (r *PythonRunner) testFiles(env *Env, p *Project) ([]string, error) {
	return ownFiles(env.Snapshot, p.Dir, isPyTestFile, pyRoot)
}

func (r *PythonRunner) Discover(ctx context.Context, env *Env, p *Project) ([]Test, error) {
	return r.pyCollect(ctx, env, p)
}

func (r *PythonRunner) TestsInFile(ctx context.Context, env *Env, p *Project, file string) ([]Test, error) {
	if !isPyTestFile(file) || pyRoot(env.Snapshot, file) != p.Dir {
		return nil, nil
	}
	ts, err := r.Discover(ctx, env, p)
	if err != nil {
		return nil, err
	}
	return testsIn(ts, file, true), nil
}

// pyTestsInFile finds pytest's tests in a file's syntax tree: module-level
// test* functions and test* methods of Test* classes and of classes whose
// bases name a TestCase. It stands in for pytest's collection only for
// files that a snapshot changes (whose code is not run to list them).
func pyTestsInFile(ctx context.Context, snap *analysis.Snapshot, p *Project, file string) ([]Test, error) {
	tree, src, err := parseTree(ctx, snap, file)
	if err != nil {
		return nil, err
	}
	defer tree.Close()
	relFile := relTo(p.Dir, file)
	var out []Test
	add := func(decl, def *sitter.Node, name, id string) {
		out = append(out, Test{
			ID: id, Name: name, Package: p.Dir, File: file,
			Line: int(def.StartPoint().Row) + 1, Start: int(decl.StartByte()), End: int(decl.EndByte()),
			Kind: KindTest, Language: "python",
		})
	}
	// unwrap returns the definition inside a decorated one.
	unwrap := func(n *sitter.Node) *sitter.Node {
		if n.Type() == "decorated_definition" {
			if d := n.ChildByFieldName("definition"); d != nil {
				return d
			}
		}
		return n
	}
	root := tree.RootNode()
	for i := 0; i < int(root.NamedChildCount()); i++ {
		decl := root.NamedChild(i)
		def := unwrap(decl)
		nameNode := def.ChildByFieldName("name")
		if nameNode == nil {
			continue
		}
		name := nameNode.Content(src)
		switch def.Type() {
		case "function_definition":
			if strings.HasPrefix(name, "test") {
				add(decl, def, name, relFile+"::"+name)
			}
		case "class_definition":
			if !strings.HasPrefix(name, "Test") {
				sup := def.ChildByFieldName("superclasses")
				if sup == nil || !strings.Contains(sup.Content(src), "TestCase") {
					continue
				}
			}
			body := def.ChildByFieldName("body")
			if body == nil {
				continue
			}
			for j := 0; j < int(body.NamedChildCount()); j++ {
				mdecl := body.NamedChild(j)
				m := unwrap(mdecl)
				mn := m.ChildByFieldName("name")
				if m.Type() == "function_definition" && mn != nil && strings.HasPrefix(mn.Content(src), "test") {
					add(mdecl, m, mn.Content(src), relFile+"::"+name+"::"+mn.Content(src))
				}
			}
		}
	}
	return out, nil
}

var pythonFound sync.Map // bool (withCoverage) -> string

func findPython(withCoverage bool) (string, error) {
	if p, ok := pythonFound.Load(withCoverage); ok {
		return p.(string), nil
	}
	check := "import pytest"
	if withCoverage {
		check += ", coverage"
	}
	var tried []string
	for _, c := range []string{"python3", "python", "/usr/bin/python3"} {
		p, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		tried = append(tried, p)
		if _, err := command(context.Background(), "", nil, p, "-c", check).run(); err == nil {
			pythonFound.Store(withCoverage, p)
			return p, nil
		}
	}
	what := "pytest"
	if withCoverage {
		what = "pytest and coverage"
	}
	return "", fmt.Errorf("no python3 can import %s (tried %s): install python3-pytest and python3-coverage, or set tests.python to the project's interpreter", what, strings.Join(tried, ", "))
}

// pyRecord is one line the plugin writes.
type pyRecord struct {
	Event    string  `json:"event"`
	NodeID   string  `json:"nodeid"`
	When     string  `json:"when"`
	Outcome  string  `json:"outcome"`
	Duration float64 `json:"duration"`
	Longrepr string  `json:"longrepr"`
	Crash    []any   `json:"crash"`
	Location []any   `json:"location"`
}

// pyRun is one pytest process's results and coverage.
type pyRun struct {
	results  map[string]*Result
	output   string
	coverage *pyCoverageJSON
	exit     int
	hung     *Hang // the test for which pytest was stopped
}

type pyCoverageJSON struct {
	Files map[string]pyFileCoverage `json:"files"`
}

type pyFileCoverage struct {
	Executed []int               `json:"executed_lines"`
	Missing  []int               `json:"missing_lines"`
	Contexts map[string][]string `json:"contexts"`
}

func (r *PythonRunner) pytest(ctx context.Context, env *Env, p *Project, ids []string, withCoverage bool, hang *runHang) (*pyRun, error) {
	cmdline, err := pytestCommandFor(env, p, withCoverage)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "gauntlet-pytest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	sdir, err := scriptDir(tmp)
	if err != nil {
		return nil, err
	}
	dir := env.Snapshot.Abs(p.Dir)
	if needsCopy(env.Snapshot, p.Dir) {
		if dir, err = materialize(env.Snapshot, p.Dir, filepath.Join(tmp, "src")); err != nil {
			return nil, err
		}
	}
	results := filepath.Join(tmp, "results.jsonl")
	pyenv := []string{
		"PYTHONPATH=" + strings.Trim(sdir+string(os.PathListSeparator)+os.Getenv("PYTHONPATH"), string(os.PathListSeparator)),
		"GAUNTLET_RESULTS=" + results,
		"PYTHONDONTWRITEBYTECODE=1",
	}
	covJSON := filepath.Join(tmp, "coverage.json")
	if withCoverage {
		pyenv = append(pyenv, "GAUNTLET_COVERAGE="+filepath.Join(tmp, ".coverage"), "GAUNTLET_COVERAGE_JSON="+covJSON, "GAUNTLET_COVERAGE_SOURCE="+dir)
	}
	args := append(append([]string(nil), cmdline[1:]...), "-p", "gauntlet_pytest", "-p", "no:cacheprovider", "-q", "--rootdir="+dir)
	args = append(args, ids...)
	// runCtx ends pytest early when a test hangs.
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	c := command(runCtx, dir, pyenv, cmdline[0], args...).in(env, tmp)
	var hw *hangWatch
	if hang != nil {
		hw = watchHangs(ctx, env.Settings, hang.opt, hang.tests, stopRun)
	}
	tailed := tailRecords(hw, results, pytestEvent)
	out, runErr := c.run()
	tailed()
	hung := hw.close()
	if ctx.Err() != nil {
		return nil, timeoutError(ctx, "pytest", env.Settings.timeout())
	}
	run := &pyRun{results: map[string]*Result{}, output: string(out), exit: exitCode(runErr), hung: hung}
	if run.exit < 0 && hung == nil {
		return nil, fmt.Errorf("pytest: %v", runErr)
	}
	f, err := os.Open(results)
	if err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var rec pyRecord
			if json.Unmarshal(sc.Bytes(), &rec) != nil {
				continue
			}
			run.add(env.Snapshot, p, dir, rec)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("pytest's results %s: %w", results, err)
		}
	}
	if withCoverage && hung == nil {
		data, err := os.ReadFile(covJSON)
		if err != nil {
			if run.exit >= 2 && run.exit != 5 {
				return nil, fmt.Errorf("pytest exited with status %d:\n%s", run.exit, trimOutput(run.output))
			}
			return nil, fmt.Errorf("coverage.py wrote no report: %v\n%s", err, trimOutput(run.output))
		}
		run.coverage = &pyCoverageJSON{}
		if err := json.Unmarshal(data, run.coverage); err != nil {
			return nil, fmt.Errorf("coverage.py report: %w", err)
		}
		run.coverage = relCoverage(run.coverage, dir)
	}
	return run, nil
}

// relCoverage makes the report's paths relative to the run directory.
func relCoverage(c *pyCoverageJSON, dir string) *pyCoverageJSON {
	out := &pyCoverageJSON{Files: map[string]pyFileCoverage{}}
	for name, f := range c.Files {
		if filepath.IsAbs(name) {
			r, err := filepath.Rel(dir, name)
			if err != nil || strings.HasPrefix(r, "..") {
				continue
			}
			name = r
		}
		out.Files[filepath.ToSlash(name)] = f
	}
	return out
}

func (run *pyRun) add(snap *analysis.Snapshot, p *Project, dir string, rec pyRecord) {
	switch rec.Event {
	case "collect_error":
		id := rec.NodeID
		run.results[id] = &Result{ID: id, Package: p.Dir, File: path.Join(p.Dir, id), Line: 1, Status: Error, Output: trimOutput(rec.Longrepr)}
		return
	case "report":
	default:
		return
	}
	id := rec.NodeID
	res := run.results[id]
	if res == nil {
		res = &Result{ID: id, Package: p.Dir, Status: Pass}
		if len(rec.Location) >= 2 {
			if f, ok := rec.Location[0].(string); ok {
				res.File = path.Join(p.Dir, filepath.ToSlash(f))
			}
			if l, ok := rec.Location[1].(float64); ok {
				res.Line = int(l) + 1
			}
		}
		run.results[id] = res
	}
	res.Duration += int64(rec.Duration * 1000)
	var st Status
	switch {
	case rec.Outcome == "failed" && rec.When == "call":
		st = Fail
	case rec.Outcome == "failed":
		st = Error
	case rec.Outcome == "skipped":
		st = Skip
	default:
		return
	}
	// The worst outcome of the phases (and of the parameter cases) wins.
	rank := map[Status]int{Pass: 0, Skip: 1, Fail: 2, Error: 3}
	if rank[st] > rank[res.Status] || res.Status == Pass {
		if !(st == Skip && res.Status != Pass) {
			res.Status = st
		}
	}
	if st == Fail || st == Error {
		if res.Output != "" {
			res.Output += "\n"
		}
		res.Output = trimOutput(res.Output + rec.Longrepr)
		if len(rec.Crash) == 2 && res.Failure == nil {
			file, _ := rec.Crash[0].(string)
			line, _ := rec.Crash[1].(float64)
			if !filepath.IsAbs(file) {
				file = filepath.Join(dir, file)
			}
			if r, err := filepath.Rel(dir, file); err == nil && !strings.HasPrefix(r, "..") {
				res.Failure = &Location{File: path.Join(p.Dir, filepath.ToSlash(r)), Line: int(line)}
			}
		}
	}
}

func (r *PythonRunner) Run(ctx context.Context, env *Env, p *Project, tests []Test, opt RunOptions) (*Report, error) {
	start := time.Now()
	all := tests == nil
	if all {
		var err error
		if tests, err = r.Discover(ctx, env, p); err != nil {
			return nil, err
		}
	}
	out := &Report{}
	if len(tests) == 0 {
		return out, nil
	}
	var ids []string
	if !all {
		for _, t := range tests {
			ids = append(ids, t.ID)
		}
	}
	env.Progress(analysis.Progress{Kind: analysis.ProgressReport, Message: fmt.Sprintf("pytest %s (%d tests)", p.Dir, len(tests))})
	run, err := r.pytest(ctx, env, p, ids, opt.Coverage, &runHang{tests: tests, opt: opt})
	if err != nil {
		return nil, err
	}
	out.Hung = run.hung
	for _, t := range tests {
		// Collection errors are reported by file.
		res := orNotRun(run.results[t.ID], run.results[relTo(p.Dir, t.File)], run.output)
		if h := run.hung; h != nil {
			res = hungResult(h, t, run.results[t.ID], res.Output)
		}
		res.ID, res.Package, res.File, res.Line = t.ID, t.Package, t.File, t.Line
		out.Results = append(out.Results, *res)
	}
	if opt.Coverage {
		out.Coverage = pyProfile(run.coverage, p, nil)
	}
	out.Elapsed = time.Since(start)
	return out, nil
}

// pyProfile turns coverage.py's report into a profile of the project's
// non-test files; with contexts, only the lines of those contexts count.
func pyProfile(c *pyCoverageJSON, p *Project, contexts func(string) bool) *coverage.Profile {
	prof := coverage.NewProfile()
	if c == nil {
		return prof
	}
	for name, f := range c.Files {
		if isPyTestFile(name) || path.Base(name) == "conftest.py" {
			continue
		}
		ws := path.Join(p.Dir, name)
		for _, l := range f.Missing {
			prof.Add(ws, coverage.Block{StartLine: l, EndLine: l, Stmts: 1}, 0)
		}
		for _, l := range f.Executed {
			hit := 1
			if contexts != nil {
				hit = 0
				for _, ctx := range f.Contexts[fmt.Sprint(l)] {
					if contexts(ctx) {
						hit = 1
					}
				}
			}
			prof.Add(ws, coverage.Block{StartLine: l, EndLine: l, Stmts: 1}, hit)
		}
	}
	return prof
}

// Affected: every test of the project. Python has no package graph to
// narrow it, and a module-level change runs at import.
func (r *PythonRunner) Affected(ctx context.Context, env *Env, p *Project, file string) ([]Test, error) {
	if isPyTestFile(file) {
		// A test file's module-level code concerns its own tests.
		ts, err := r.Discover(ctx, env, p)
		return testsIn(ts, file, false), err
	}
	return r.Discover(ctx, env, p)
}

func (r *PythonRunner) Map(ctx context.Context, env *Env, p *Project) (*coverage.Map, error) {
	cmdline, err := pytestCommandFor(env, p, true)
	if err != nil {
		return nil, err
	}
	key, err := listKey(env.Snapshot, p.Dir, isPyProjectFile, "pytest-map-v2", strings.Join(cmdline, " "))
	if err != nil {
		return nil, err
	}
	group := "python-" + coverage.Key(env.Snapshot.Abs(p.Dir))[:16]
	var cached coverage.Map
	if env.Cache.Get(group, key, &cached) && cached.Tests != nil {
		return &cached, nil
	}
	if env.NoColdMap && !env.Cache.Has(group) {
		return nil, errNoMap // never mapped here
	}
	tests, err := r.Discover(ctx, env, p)
	if err != nil {
		return nil, err
	}
	env.Progress(analysis.Progress{Kind: analysis.ProgressBegin, Title: fmt.Sprintf("Building the coverage map: %d pytest tests", len(tests))})
	run, err := r.pytest(ctx, env, p, nil, true, nil)
	env.Progress(analysis.Progress{Kind: analysis.ProgressEnd})
	if err != nil {
		return nil, err
	}
	m := coverage.NewMap()
	m.Granularity = coverage.PerTest
	m.Built = true
	// coverage.py's dynamic contexts are pytest node ids: each test's own lines.
	status := map[string]string{}
	for id, res := range run.results {
		status[id] = string(res.Status)
	}
	m.AddTest("", "", pyProfile(run.coverage, p, func(c string) bool { return c == "" }))
	for _, t := range tests {
		m.AddTest(t.ID, status[t.ID], pyProfile(run.coverage, p, func(c string) bool { return c == t.ID }))
	}
	if err := env.Cache.Put(group, key, m, 4); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return m, nil
}

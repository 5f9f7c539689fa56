package testrun

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
)

// NodeRunner runs JavaScript and TypeScript tests with node's built-in test
// runner (node --test), one process per test file, with its coverage. The
// per-test map is per test file: every test of a file shares the file's
// coverage.
type NodeRunner struct{}

func (*NodeRunner) Name() string { return "node" }

var nodeTestName = regexp.MustCompile(`(^|/)(test|.*[._-]test|test-.*)\.(c|m)?(j|t)sx?$`)

// isNodeTestName applies node --test's default file patterns (**/*.test.js,
// **/*-test.js, **/*_test.js, **/test-*.js, **/test.js, **/test/**/*.js),
// with TypeScript extensions too.
func isNodeTestName(p string) bool {
	if nodeTestName.MatchString(p) {
		return true
	}
	ext := path.Ext(p)
	return (strings.HasPrefix(p, "test/") || strings.Contains(p, "/test/")) && (ext == ".js" || ext == ".mjs" || ext == ".cjs" || ext == ".ts" || ext == ".mts" || ext == ".cts")
}

var usesNodeTest = regexp.MustCompile(`(from\s+|require\s*\(\s*)['"]node:test['"]`)

// isNodeTestFile: a test file name that imports node:test (a jest or mocha
// suite with the same names is not ours to run).
func isNodeTestFile(snap *analysis.Snapshot, p string) bool {
	if !isNodeTestName(p) || strings.Contains(p, "node_modules/") {
		return false
	}
	f, err := snap.File(p)
	return err == nil && usesNodeTest.Match(f.Content)
}

// nodeRoot is the nearest directory above file with a package.json, else
// the workspace root.
func nodeRoot(snap *analysis.Snapshot, file string) string {
	d, _ := nodeRootFound(snap, file)
	return d
}

func nodeRootFound(snap *analysis.Snapshot, file string) (string, bool) {
	for d := path.Dir(file); ; d = path.Dir(d) {
		if _, err := os.Stat(snap.Abs(path.Join(d, "package.json"))); err == nil {
			return d, true
		}
		if d == "." || d == "/" {
			return ".", false
		}
	}
}

func (r *NodeRunner) Projects(env *Env, paths []string) ([]*Project, error) {
	// Test files: node --test's (importing node:test) anywhere, and the
	// default test file names of jest, vitest and mocha in a package.
	candidate := func(f string) bool {
		if isNodeTestFile(env.Snapshot, f) {
			return true
		}
		if !isJSTestName(f) {
			return false
		}
		_, pkg := nodeRootFound(env.Snapshot, f)
		return pkg
	}
	roots, err := projectRoots(env.Snapshot, paths, candidate, nodeRootFound)
	if err != nil {
		return nil, err
	}
	var out []*Project
	for root := range roots {
		nodeTests, _ := walkFiles(env.Snapshot, []string{root}, func(f string) bool { return isNodeTestFile(env.Snapshot, f) })
		fw, err := jsFramework(env, root, len(nodeTests) > 0)
		if err != nil {
			return nil, err
		}
		out = append(out, &Project{Runner: r, Dir: root, Name: root, Framework: fw})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Dir < out[j].Dir })
	return out, nil
}

func (r *NodeRunner) testFiles(env *Env, p *Project) ([]string, error) {
	return ownFiles(env.Snapshot, p.Dir, func(f string) bool { return isNodeTestFile(env.Snapshot, f) }, nodeRoot)
}

func (r *NodeRunner) Discover(ctx context.Context, env *Env, p *Project) ([]Test, error) {
	if p.Framework != fwNode && p.Framework != "" {
		return r.jsDiscover(ctx, env, p)
	}
	files, err := r.testFiles(env, p)
	if err != nil {
		return nil, err
	}
	var out []Test
	for _, f := range files {
		ts, err := nodeTestsInFile(ctx, env.Snapshot, p, f)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	return out, nil
}

func (r *NodeRunner) TestsInFile(ctx context.Context, env *Env, p *Project, file string) ([]Test, error) {
	if p.Framework != fwNode && p.Framework != "" {
		if !isJSTestName(file) || nodeRoot(env.Snapshot, file) != p.Dir {
			return nil, nil
		}
		ts, err := r.Discover(ctx, env, p)
		if err != nil {
			return nil, err
		}
		return testsIn(ts, file, true), nil
	}
	if !isNodeTestFile(env.Snapshot, file) || nodeRoot(env.Snapshot, file) != p.Dir {
		return nil, nil
	}
	return nodeTestsInFile(ctx, env.Snapshot, p, file)
}

var nodeTestFuncs = map[string]bool{"test": true, "it": true}
var nodeSuiteFuncs = map[string]bool{"describe": true, "suite": true}

// nodeTestsInFile finds test('name', ...) and it('name', ...) calls at the
// top level and inside describe/suite callbacks, in the file's syntax tree.
func nodeTestsInFile(ctx context.Context, snap *analysis.Snapshot, p *Project, file string) ([]Test, error) {
	tree, src, err := parseTree(ctx, snap, file)
	if err != nil {
		return nil, err
	}
	defer tree.Close()
	relFile := relTo(p.Dir, file)
	var out []Test
	var visit func(n *sitter.Node, names []string)
	visit = func(n *sitter.Node, names []string) {
		if n.Type() == "call_expression" {
			fn, name, ok := nodeCall(n, src)
			if ok && (nodeTestFuncs[fn] || nodeSuiteFuncs[fn]) {
				path := append(append([]string(nil), names...), name)
				if nodeTestFuncs[fn] {
					out = append(out, Test{
						ID: relFile + "::" + strings.Join(path, " > "), Name: name, Package: p.Dir, File: file,
						Line: int(n.StartPoint().Row) + 1, Start: int(n.StartByte()), End: int(n.EndByte()),
						Kind: KindTest, Language: "node",
					})
					return // subtests (t.test) run with their parent
				}
				names = path
			}
		}
		for i := 0; i < int(n.NamedChildCount()); i++ {
			visit(n.NamedChild(i), names)
		}
	}
	visit(tree.RootNode(), nil)
	return out, nil
}

// nodeCall reads test('name', ...), test.skip('name', ...) and the like:
// the function's base name and the literal name.
func nodeCall(n *sitter.Node, src []byte) (fn, name string, ok bool) {
	callee := n.ChildByFieldName("function")
	args := n.ChildByFieldName("arguments")
	if callee == nil || args == nil || args.NamedChildCount() == 0 {
		return "", "", false
	}
	switch callee.Type() {
	case "identifier":
		fn = callee.Content(src)
	case "member_expression":
		obj := callee.ChildByFieldName("object")
		prop := callee.ChildByFieldName("property")
		if obj == nil || obj.Type() != "identifier" || prop == nil {
			return "", "", false
		}
		switch prop.Content(src) {
		case "skip", "only", "todo":
			fn = obj.Content(src)
		default:
			return "", "", false
		}
	default:
		return "", "", false
	}
	first := args.NamedChild(0)
	switch first.Type() {
	case "string":
		s := first.Content(src)
		if len(s) >= 2 {
			if u, err := strconv.Unquote(`"` + strings.ReplaceAll(s[1:len(s)-1], `"`, `\"`) + `"`); err == nil {
				return fn, u, true
			}
			return fn, s[1 : len(s)-1], true
		}
	case "template_string":
		s := first.Content(src)
		if !strings.Contains(s, "${") && len(s) >= 2 {
			return fn, s[1 : len(s)-1], true
		}
	}
	return "", "", false
}

func nodeCommand(s NodeSettings) []string {
	if len(s.Command) > 0 {
		return s.Command
	}
	return []string{"node"}
}

// nodeEvent is one line of gauntlet_reporter.mjs.
type nodeEvent struct {
	Type string `json:"type"`
	Data struct {
		Name    string `json:"name"`
		Nesting int    `json:"nesting"`
		File    string `json:"file"`
		Line    int    `json:"line"`
		Message string `json:"message"`
		Skip    any    `json:"skip"`
		Todo    any    `json:"todo"`
		Details struct {
			Duration float64 `json:"duration_ms"`
			Type     string  `json:"type"`
			Error    *struct {
				Message string `json:"message"`
				Stack   string `json:"stack"`
				Cause   *struct {
					Message string `json:"message"`
					Stack   string `json:"stack"`
				} `json:"cause"`
			} `json:"error"`
		} `json:"details"`
		Summary *struct {
			Files []struct {
				Path  string `json:"path"`
				Lines []struct {
					Line  int `json:"line"`
					Count int `json:"count"`
				} `json:"lines"`
			} `json:"files"`
		} `json:"summary"`
	} `json:"data"`
}

// nodeFileRun is the outcome of one test file's process.
type nodeFileRun struct {
	results  map[string]*Result // by id
	coverage *coverage.Profile
	output   string
}

// runFile runs one test file, optionally only the tests with these names.
func (r *NodeRunner) runFile(ctx context.Context, env *Env, p *Project, dir, tmp, file string, names []string, withCoverage bool) (*nodeFileRun, error) {
	sdir, err := scriptDir(tmp)
	if err != nil {
		return nil, err
	}
	dest, err := os.CreateTemp(tmp, "events-*.jsonl")
	if err != nil {
		return nil, err
	}
	dest.Close()
	cmdline := nodeCommand(env.Settings.Node)
	args := append([]string(nil), cmdline[1:]...)
	args = append(args, "--test", "--test-reporter="+filepath.Join(sdir, "gauntlet_reporter.mjs"), "--test-reporter-destination="+dest.Name())
	if withCoverage {
		args = append(args, "--experimental-test-coverage")
	}
	for _, n := range names {
		args = append(args, "--test-name-pattern=^"+regexp.QuoteMeta(n)+"$")
	}
	relFile := relTo(p.Dir, file)
	args = append(args, filepath.FromSlash(relFile))
	out, runErr := command(ctx, dir, []string{"NODE_NO_WARNINGS=1"}, cmdline[0], args...).in(env, tmp).run()
	if ctx.Err() != nil {
		return nil, timeoutError(ctx, "node --test "+relFile, env.Settings.timeout())
	}
	if exitCode(runErr) < 0 {
		return nil, fmt.Errorf("node --test: %v", runErr)
	}
	run := &nodeFileRun{results: map[string]*Result{}, coverage: coverage.NewProfile(), output: string(out)}
	f, err := os.Open(dest.Name())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var stack []string
	var stderr strings.Builder
	absFile := filepath.Join(dir, filepath.FromSlash(relFile))
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var ev nodeEvent
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		d := ev.Data
		switch ev.Type {
		case "test:stderr", "test:stdout":
			stderr.WriteString(d.Message)
		case "test:start":
			if d.Nesting < len(stack) {
				stack = stack[:d.Nesting]
			}
			for len(stack) < d.Nesting {
				stack = append(stack, "")
			}
			stack = append(stack, d.Name)
		case "test:pass", "test:fail":
			if d.Details.Type == "suite" {
				continue
			}
			if d.Name == absFile || d.Name == file || d.Name == relFile {
				// The file itself failed (it did not load, or a hook threw).
				if ev.Type == "test:fail" {
					run.results[""] = &Result{Status: Error, Output: trimOutput(stderr.String() + nodeErrorText(&ev))}
				}
				continue
			}
			names := append(append([]string(nil), stack[:min(d.Nesting, len(stack))]...), d.Name)
			id := relFile + "::" + strings.Join(names, " > ")
			res := &Result{ID: id, Package: p.Dir, File: file, Line: d.Line, Status: Pass, Duration: int64(d.Details.Duration)}
			switch {
			case d.Skip != nil || d.Todo != nil:
				res.Status = Skip
			case ev.Type == "test:fail":
				res.Status = Fail
				res.Output = trimOutput(nodeErrorText(&ev))
				res.Failure = nodeFailure(&ev, absFile, file)
			}
			if d.Skip != nil && fmt.Sprint(d.Skip) == "test name does not match pattern" {
				continue
			}
			run.results[id] = res
		case "test:coverage":
			if d.Summary == nil {
				continue
			}
			for _, cf := range d.Summary.Files {
				rel, err := filepath.Rel(dir, cf.Path)
				if err != nil || strings.HasPrefix(rel, "..") {
					continue
				}
				rel = filepath.ToSlash(rel)
				if strings.Contains(rel, "node_modules/") || isNodeTestName(rel) {
					continue
				}
				ws := path.Join(p.Dir, rel)
				for _, l := range cf.Lines {
					run.coverage.Add(ws, coverage.Block{StartLine: l.Line, EndLine: l.Line, Stmts: 1}, l.Count)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("node --test's results %s: %w", dest.Name(), err)
	}
	if r := run.results[""]; r != nil && stderr.Len() > 0 && !strings.Contains(r.Output, stderr.String()) {
		r.Output = trimOutput(stderr.String() + r.Output)
	}
	if len(run.results) == 0 && stderr.Len() > 0 {
		run.output += stderr.String()
	}
	return run, nil
}

func nodeErrorText(ev *nodeEvent) string {
	e := ev.Data.Details.Error
	if e == nil {
		return "failed"
	}
	if e.Cause != nil && e.Cause.Stack != "" {
		return e.Cause.Stack
	}
	if e.Cause != nil && e.Cause.Message != "" {
		return e.Cause.Message
	}
	return e.Message
}

// nodeFailure finds the test file's line in the failure's stack.
func nodeFailure(ev *nodeEvent, absFile, file string) *Location {
	text := nodeErrorText(ev)
	re := regexp.MustCompile(regexp.QuoteMeta(absFile) + `:(\d+):\d+`)
	if m := re.FindStringSubmatch(text); m != nil {
		l, _ := strconv.Atoi(m[1])
		return &Location{File: file, Line: l}
	}
	return &Location{File: file, Line: ev.Data.Line}
}

// forFiles runs f for each test file in parallel across the cores.
func forFiles(files []string, f func(file string)) {
	sem := make(chan struct{}, runtime.NumCPU())
	var wg sync.WaitGroup
	for _, file := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func(file string) {
			defer wg.Done()
			defer func() { <-sem }()
			f(file)
		}(file)
	}
	wg.Wait()
}

// nodeWorkdir is the directory to run in: the project, or a materialised
// copy when the snapshot changes files in it.
func nodeWorkdir(env *Env, p *Project) (dir, tmp string, err error) {
	tmp, err = os.MkdirTemp("", "gauntlet-node-")
	if err != nil {
		return "", "", err
	}
	dir = env.Snapshot.Abs(p.Dir)
	if needsCopy(env.Snapshot, p.Dir) {
		if dir, err = materialize(env.Snapshot, p.Dir, filepath.Join(tmp, "src")); err != nil {
			os.RemoveAll(tmp)
			return "", "", err
		}
	}
	return dir, tmp, nil
}

func (r *NodeRunner) Run(ctx context.Context, env *Env, p *Project, tests []Test, opt RunOptions) (*Report, error) {
	start := time.Now()
	if p.Framework != fwNode && p.Framework != "" {
		out, err := r.jsRunTests(ctx, env, p, tests, opt)
		if out != nil {
			out.Elapsed = time.Since(start)
		}
		return out, err
	}
	all := tests == nil
	if all {
		var err error
		if tests, err = r.Discover(ctx, env, p); err != nil {
			return nil, err
		}
	}
	out := &Report{}
	if opt.Coverage {
		out.Coverage = coverage.NewProfile()
	}
	if len(tests) == 0 {
		return out, nil
	}
	dir, tmp, err := nodeWorkdir(env, p)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	byFile := map[string][]Test{}
	var files []string
	for _, t := range tests {
		if _, ok := byFile[t.File]; !ok {
			files = append(files, t.File)
		}
		byFile[t.File] = append(byFile[t.File], t)
	}
	allInFile := map[string]int{}
	if !all {
		every, err := r.Discover(ctx, env, p)
		if err != nil {
			return nil, err
		}
		for _, t := range every {
			allInFile[t.File]++
		}
	}
	var mu sync.Mutex
	var firstErr error
	done := 0
	forFiles(files, func(file string) {
		var names []string
		if !all && len(byFile[file]) < allInFile[file] {
			for _, t := range byFile[file] {
				names = append(names, t.Name)
			}
		}
		run, err := r.runFile(ctx, env, p, dir, tmp, file, names, opt.Coverage)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		for _, t := range byFile[file] {
			res := orNotRun(run.results[t.ID], run.results[""], run.output)
			res.ID, res.Package, res.File, res.Line = t.ID, t.Package, t.File, t.Line
			out.Results = append(out.Results, *res)
		}
		if opt.Coverage {
			out.Coverage.Merge(run.coverage)
		}
		done++
		env.Progress(analysis.Progress{Kind: analysis.ProgressReport, Message: "node --test " + relTo(p.Dir, file), Percent: done * 100 / len(files)})
	})
	if firstErr != nil {
		return nil, firstErr
	}
	out.Elapsed = time.Since(start)
	return out, nil
}

// Affected: the tests of every test file of the project (a file that no
// test file loads has no coverage to place the change by).
func (r *NodeRunner) Affected(ctx context.Context, env *Env, p *Project, file string) ([]Test, error) {
	ts, err := r.Discover(ctx, env, p)
	if err != nil || !isJSTestName(file) {
		return ts, err
	}
	return testsIn(ts, file, false), nil
}

func (r *NodeRunner) Map(ctx context.Context, env *Env, p *Project) (*coverage.Map, error) {
	tests, err := r.Discover(ctx, env, p)
	if err != nil {
		return nil, err
	}
	key, err := listKey(env.Snapshot, p.Dir, func(f string) bool {
		return (analysis.LanguageForPath(f) != nil || path.Base(f) == "package.json") && !strings.Contains(f, "node_modules/")
	}, "node-map-v2", p.Framework, strings.Join(nodeCommand(env.Settings.Node), " "))
	if err != nil {
		return nil, err
	}
	group := "node-" + coverage.Key(env.Snapshot.Abs(p.Dir))[:16]
	var cached coverage.Map
	if env.Cache.Get(group, key, &cached) && cached.Tests != nil {
		return &cached, nil
	}
	if env.NoColdMap && !env.Cache.Has(group) {
		return nil, errNoMap // never mapped here
	}
	m, err := r.jsMap(ctx, env, p, tests)
	if err != nil {
		return nil, err
	}
	m.Built = true
	if err := env.Cache.Put(group, key, m, 4); err != nil {
		return nil, err
	}
	return m, nil
}

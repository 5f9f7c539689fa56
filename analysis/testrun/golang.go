package testrun

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
)

// GoRunner runs Go tests with the go command: discovery from the syntax
// trees of _test.go files, runs through go test -json, and a per-test map
// from one coverage-instrumented test binary per package, each test run
// alone.
type GoRunner struct {
	mu      sync.Mutex
	modules map[*analysis.Snapshot]map[string]*goModule
}

func (*GoRunner) Name() string { return "go" }

// module loads (once per snapshot) the module of a project.
func (r *GoRunner) module(env *Env, p *Project) (*goModule, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.modules == nil {
		r.modules = map[*analysis.Snapshot]map[string]*goModule{}
	}
	if m := r.modules[env.Snapshot][p.Dir]; m != nil {
		return m, nil
	}
	m, err := loadModule(env.Snapshot, p.Dir, env.Settings.Go.Flags)
	if err != nil {
		return nil, err
	}
	if len(r.modules) > 8 {
		r.modules = map[*analysis.Snapshot]map[string]*goModule{}
	}
	if r.modules[env.Snapshot] == nil {
		r.modules[env.Snapshot] = map[string]*goModule{}
	}
	r.modules[env.Snapshot][p.Dir] = m
	return m, nil
}

func (r *GoRunner) Projects(env *Env, paths []string) ([]*Project, error) {
	mods, err := findGoModules(env.Snapshot, paths)
	if err != nil {
		return nil, err
	}
	var out []*Project
	for _, rel := range mods {
		content, err := snapFS{env.Snapshot}.read(path.Join(rel, "go.mod"))
		if err != nil {
			return nil, err
		}
		out = append(out, &Project{Runner: r, Dir: rel, Name: readModulePath(content)})
	}
	return out, nil
}

func (r *GoRunner) Discover(ctx context.Context, env *Env, p *Project) ([]Test, error) {
	m, err := r.module(env, p)
	if err != nil {
		return nil, err
	}
	var out []Test
	for _, pkg := range m.Packages {
		for _, f := range pkg.TestFiles {
			ts, err := goTestsInFile(ctx, env.Snapshot, pkg, path.Join(pkg.Rel, f))
			if err != nil {
				return nil, err
			}
			out = append(out, ts...)
		}
	}
	return out, nil
}

func (r *GoRunner) TestsInFile(ctx context.Context, env *Env, p *Project, file string) ([]Test, error) {
	if !strings.HasSuffix(file, "_test.go") {
		return nil, nil
	}
	m, err := r.module(env, p)
	if err != nil {
		return nil, err
	}
	pkg := m.packageOf(file)
	if pkg == nil || path.Dir(file) != pkg.Rel {
		return nil, nil
	}
	return goTestsInFile(ctx, env.Snapshot, pkg, file)
}

var goTestPrefixes = []struct {
	prefix string
	kind   Kind
	param  string
}{
	{"Test", KindTest, "*testing.T"},
	{"Benchmark", KindBenchmark, "*testing.B"},
	{"Fuzz", KindFuzz, "*testing.F"},
	{"Example", KindExample, ""},
}

var outputComment = regexp.MustCompile(`^//\s*(?i:unordered output|output):`)

// goTestsInFile finds the test functions of a _test.go file in its syntax
// tree: TestXxx(*testing.T), BenchmarkXxx(*testing.B), FuzzXxx(*testing.F)
// and examples with an output comment (the ones go test runs).
func goTestsInFile(ctx context.Context, snap *analysis.Snapshot, pkg *goPackage, file string) ([]Test, error) {
	tree, src, err := parseTree(ctx, snap, file)
	if err != nil {
		return nil, err
	}
	defer tree.Close()
	root := tree.RootNode()
	var out []Test
	for i := 0; i < int(root.NamedChildCount()); i++ {
		n := root.NamedChild(i)
		if n.Type() != "function_declaration" {
			continue
		}
		nameNode := n.ChildByFieldName("name")
		params := n.ChildByFieldName("parameters")
		if nameNode == nil || params == nil {
			continue
		}
		name := nameNode.Content(src)
		for _, tp := range goTestPrefixes {
			if !isGoTestName(name, tp.prefix) {
				continue
			}
			if !goParamsMatch(params, src, tp.param) {
				break
			}
			if tp.kind == KindExample && !hasOutputComment(n.ChildByFieldName("body"), src) {
				break
			}
			out = append(out, Test{
				ID:       pkg.ImportPath + "." + name,
				Name:     name,
				Package:  pkg.ImportPath,
				File:     file,
				Line:     int(n.StartPoint().Row) + 1,
				Start:    int(n.StartByte()),
				End:      int(n.EndByte()),
				Kind:     tp.kind,
				Language: "go",
			})
			break
		}
	}
	return out, nil
}

// isGoTestName applies go test's rule: the prefix, then nothing or a
// character that is not a lower-case letter.
func isGoTestName(name, prefix string) bool {
	if !strings.HasPrefix(name, prefix) {
		return false
	}
	if len(name) == len(prefix) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(name[len(prefix):])
	return !unicode.IsLower(r)
}

func goParamsMatch(params *sitter.Node, src []byte, want string) bool {
	var decls []*sitter.Node
	for i := 0; i < int(params.NamedChildCount()); i++ {
		if c := params.NamedChild(i); c.Type() == "parameter_declaration" {
			decls = append(decls, c)
		}
	}
	if want == "" {
		return len(decls) == 0
	}
	if len(decls) != 1 {
		return false
	}
	t := decls[0].ChildByFieldName("type")
	return t != nil && strings.ReplaceAll(t.Content(src), " ", "") == want
}

func hasOutputComment(body *sitter.Node, src []byte) bool {
	if body == nil {
		return false
	}
	var found bool
	var visit func(n *sitter.Node)
	visit = func(n *sitter.Node) {
		if found {
			return
		}
		if n.Type() == "comment" && outputComment.MatchString(n.Content(src)) {
			found = true
			return
		}
		for i := 0; i < int(n.NamedChildCount()); i++ {
			visit(n.NamedChild(i))
		}
	}
	visit(body)
	return found
}

// testEvent is one line of go test -json (cmd/test2json).
type testEvent struct {
	Action      string
	Package     string
	ImportPath  string // build-output, build-fail
	Test        string
	Elapsed     float64
	Output      string
	FailedBuild string
}

// goWorkdir is where a module's commands run: the module itself, or a
// materialised copy when the snapshot overlays files the go command's
// -overlay cannot carry (test data). It also holds the overlay file.
type goWorkdir struct {
	dir     string   // absolute module directory to run in
	flags   []string // -overlay=... when needed
	tmp     string
	cleanup func()
}

func newGoWorkdir(env *Env, p *Project) (*goWorkdir, error) {
	tmp, err := os.MkdirTemp("", "gauntlet-go-")
	if err != nil {
		return nil, err
	}
	w := &goWorkdir{dir: env.Snapshot.Abs(p.Dir), tmp: tmp, cleanup: func() { os.RemoveAll(tmp) }}
	overlay, needCopy, err := goOverlay(env.Snapshot, p.Dir, tmp)
	if err != nil {
		w.cleanup()
		return nil, err
	}
	if needCopy {
		dir, err := materialize(env.Snapshot, p.Dir, filepath.Join(tmp, "src"))
		if err != nil {
			w.cleanup()
			return nil, err
		}
		w.dir = dir
		return w, nil
	}
	if overlay != "" {
		w.flags = []string{"-overlay=" + overlay}
	}
	return w, nil
}

func (r *GoRunner) Run(ctx context.Context, env *Env, p *Project, tests []Test, opt RunOptions) (*Report, error) {
	start := time.Now()
	m, err := r.module(env, p)
	if err != nil {
		return nil, err
	}
	if tests == nil {
		if tests, err = r.Discover(ctx, env, p); err != nil {
			return nil, err
		}
	}
	out := &Report{}
	if len(tests) == 0 {
		return out, nil
	}
	w, err := newGoWorkdir(env, p)
	if err != nil {
		return nil, err
	}
	defer w.cleanup()

	// One go test for all packages: the go command builds and runs them in
	// parallel. -run takes the union of the names; results are kept only for
	// the tests asked for.
	byPkg := map[string][]Test{}
	var pkgs []string
	var names, benches []string
	seenName := map[string]bool{}
	for _, t := range tests {
		if _, ok := byPkg[t.Package]; !ok {
			pkgs = append(pkgs, t.Package)
		}
		byPkg[t.Package] = append(byPkg[t.Package], t)
		if seenName[t.Name] {
			continue
		}
		seenName[t.Name] = true
		if t.Kind == KindBenchmark {
			benches = append(benches, regexp.QuoteMeta(t.Name))
		} else {
			names = append(names, regexp.QuoteMeta(t.Name))
		}
	}
	sort.Strings(pkgs)
	args := []string{"test", "-json", "-count=1"}
	args = append(args, w.flags...)
	args = append(args, env.Settings.Go.Flags...)
	if env.Settings.Go.Timeout > 0 {
		args = append(args, "-timeout="+env.Settings.Go.Timeout.String())
	} else {
		args = append(args, "-timeout=0")
	}
	if len(names) > 0 {
		args = append(args, "-run=^("+strings.Join(names, "|")+")$")
	} else {
		args = append(args, "-run=^$")
	}
	if len(benches) > 0 {
		args = append(args, "-bench=^("+strings.Join(benches, "|")+")$", "-benchtime=1x")
	}
	profile := filepath.Join(w.tmp, "cover.out")
	own := opt.CoverOwn && opt.CoverFiles != nil // nil CoverFiles: every file is read
	switch covered := opt.ownCovered(m); {
	case !opt.Coverage:
	case own && len(covered) == 0:
		// Nothing whose coverage is read: no instrumentation at all.
	case own && len(covered) == 1 && len(pkgs) == 1 && covered[0] == pkgs[0]:
		// The one tested package: -coverpkg would compile it twice.
		args = append(args, "-cover", "-covermode=set", "-coverprofile="+profile)
	case own:
		args = append(args, "-covermode=set", "-coverpkg="+strings.Join(covered, ","), "-coverprofile="+profile)
	default:
		args = append(args, goCoverFlags(m)...)
		args = append(args, "-coverprofile="+profile)
		// Packages without tests are listed too, so that their statements
		// count (uncovered unless a test runs them), as in `go test
		// -coverpkg=./... ./...`: the go command reports them without
		// building a test binary.
		for _, pkg := range untestedPkgs(m) {
			if _, ok := byPkg[pkg.ImportPath]; !ok && opt.coversDir(pkg.Rel) {
				args = append(args, pkg.ImportPath)
			}
		}
	}
	args = append(args, pkgs...)

	total := len(tests)
	done := 0
	results := map[string]*Result{} // by id
	capture := newBudget(env.Settings)
	outputs := map[string]*capped{} // by id: the test's output, subtests included
	pkgOutput := map[string]*capped{}
	started := map[string]bool{}
	built, failedBuild := map[string]bool{}, map[string]bool{} // what out.Built, out.BuildFailed hold
	want := map[string]Test{}
	for _, t := range tests {
		want[t.ID] = t
	}
	env.Progress(analysis.Progress{Kind: analysis.ProgressReport, Message: fmt.Sprintf("go test %s", strings.Join(shortPkgs(pkgs, p.Name), " ")), Percent: 0})

	// runCtx ends the go command early when a test hangs.
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	c := command(runCtx, w.dir, []string{"GOFLAGS=" + os.Getenv("GOFLAGS")}, "go", args...).in(env, w.tmp)
	stdout, err := c.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr := newCapped(env.Settings, capture)
	c.Stderr = stderr
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("go test: %w", err)
	}
	hw := watchHangs(ctx, env.Settings, opt, tests, stopRun)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev testEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			continue // a line of the go command's own output
		}
		pkg := ev.Package
		if pkg == "" {
			pkg = strings.Fields(ev.ImportPath + " ")[0]
		}
		if ev.Action == "build-fail" && !failedBuild[ev.ImportPath] {
			failedBuild[ev.ImportPath] = true
			out.BuildFailed = append(out.BuildFailed, ev.ImportPath)
		}
		if ev.Test != "" && ev.Action == "run" && !built[pkg] {
			// A test ran: its binary, and every package in it, compiled.
			built[pkg] = true
			out.Built = append(out.Built, pkg)
		}
		if ev.Test == "" {
			b := pkgOutput[pkg]
			if b == nil {
				b = newCapped(env.Settings, capture)
				pkgOutput[pkg] = b
			}
			io.WriteString(b, ev.Output)
			continue
		}
		top, _, _ := strings.Cut(ev.Test, "/")
		id := pkg + "." + top
		t, ok := want[id]
		if !ok {
			continue
		}
		b := outputs[id]
		if b == nil {
			b = newCapped(env.Settings, capture)
			outputs[id] = b
		}
		io.WriteString(b, ev.Output)
		if ev.Test != top {
			continue
		}
		hw.event(id, ev.Action, time.Now())
		switch ev.Action {
		case "run":
			started[id] = true
		case "pass", "fail", "skip":
			st := Status(ev.Action)
			res := &Result{ID: id, Package: t.Package, File: t.File, Line: t.Line, Status: st, Duration: int64(ev.Elapsed * 1000)}
			results[id] = res
			done++
			env.Progress(analysis.Progress{Kind: analysis.ProgressReport, Message: fmt.Sprintf("%s %s", t.Name, verb(st)), Percent: done * 100 / total})
		}
	}
	scanErr := sc.Err()
	if scanErr != nil {
		io.Copy(io.Discard, stdout) // let go test finish writing
	}
	waitErr := c.Wait()
	c.reap()
	out.Hung = hw.close()
	if scanErr != nil {
		return nil, fmt.Errorf("go test -json output: %w", scanErr)
	}
	runErr := ctx.Err()
	for _, t := range tests {
		if h := out.Hung; h != nil {
			var so string
			if b := outputs[t.ID]; b != nil {
				so = cleanGoOutput(b.String())
			}
			res := hungResult(h, t, results[t.ID], so)
			res.ID, res.Package, res.File, res.Line = t.ID, t.Package, t.File, t.Line
			results[t.ID] = res
		}
		res := results[t.ID]
		if res == nil && t.Kind == KindBenchmark && pkgOutput[t.Package] != nil {
			// Benchmarks report in the package's output, not as test events.
			if st, ok := benchStatus(pkgOutput[t.Package].String(), t.Name); ok {
				res = &Result{ID: t.ID, Package: t.Package, File: t.File, Line: t.Line, Status: st}
				if st == Fail {
					res.Output = trimOutput(pkgOutput[t.Package].String())
				}
			}
		}
		if res == nil {
			res = &Result{ID: t.ID, Package: t.Package, File: t.File, Line: t.Line, Status: Error}
			var why string
			switch {
			case runErr != nil:
				why = timeoutError(ctx, "the run", env.Settings.timeout()).Error()
				if started[t.ID] {
					why = "the test was running when " + why
				}
			case pkgOutput[t.Package] != nil && pkgOutput[t.Package].Len() > 0:
				why = pkgOutput[t.Package].String()
			case stderr.Len() > 0:
				why = stderr.String()
			default:
				why = fmt.Sprintf("the test did not run (go test: %v)", waitErr)
			}
			if b := outputs[t.ID]; b != nil {
				why = b.String() + why
			}
			res.Output = trimOutput(why)
		} else if res.Status == Fail && outputs[t.ID] != nil && (out.Hung == nil || out.Hung.ID != t.ID) {
			res.Output = trimOutput(cleanGoOutput(outputs[t.ID].String()))
		}
		if res.Status == Fail || res.Status == Error {
			if pkg := m.byPath[t.Package]; pkg != nil {
				res.Failure = goFailure(res.Output, pkg.Rel)
			}
		}
		out.Results = append(out.Results, *res)
	}
	if opt.Coverage {
		if f, err := os.Open(profile); err == nil {
			prof, err := coverage.ParseGo(f, goProfilePath(m))
			f.Close()
			if err != nil {
				return nil, err
			}
			out.Coverage = prof
		} else {
			out.Coverage = coverage.NewProfile()
		}
	}
	out.Elapsed = time.Since(start)
	return out, nil
}

// benchStatus reads a benchmark's outcome from its package's output.
func benchStatus(out, name string) (Status, bool) {
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "--- FAIL: "+name+" "), strings.HasPrefix(l, "--- FAIL: "+name+"\n"):
			return Fail, true
		case strings.HasPrefix(l, "--- SKIP: "+name+" "):
			return Skip, true
		case strings.HasPrefix(l, name+"-") || strings.HasPrefix(l, name+"\t") || strings.HasPrefix(l, name+" "):
			if strings.Contains(l, "ns/op") {
				return Pass, true
			}
		}
	}
	return "", false
}

func verb(s Status) string {
	switch s {
	case Pass:
		return "passed"
	case Fail:
		return "failed"
	case Skip:
		return "skipped"
	}
	return "errored"
}

func shortPkgs(pkgs []string, mod string) []string {
	out := make([]string, len(pkgs))
	for i, p := range pkgs {
		if p == mod {
			out[i] = "."
		} else {
			out[i] = "./" + strings.TrimPrefix(p, mod+"/")
		}
	}
	return out
}

// cleanGoOutput drops go test's bookkeeping lines from a test's output.
func cleanGoOutput(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "=== RUN") || strings.HasPrefix(t, "=== PAUSE") || strings.HasPrefix(t, "=== CONT") || strings.HasPrefix(t, "=== NAME") {
			continue
		}
		b.WriteString(l)
	}
	return b.String()
}

var goFailLine = regexp.MustCompile(`(?m)^\s+([\w./-]+\.go):(\d+):`)

// goFailure finds the first file:line of a test's output (t.Errorf's
// prefix) and places it in the package directory.
func goFailure(output, pkgRel string) *Location {
	m := goFailLine.FindStringSubmatch(output)
	if m == nil {
		return nil
	}
	line, _ := strconv.Atoi(m[2])
	return &Location{File: path.Join(pkgRel, path.Base(m[1])), Line: line}
}

// coverPkgs lists the module's packages with code to cover.
func coverPkgs(m *goModule) []string {
	var out []string
	for _, p := range m.Packages {
		if len(p.GoFiles) > 0 {
			out = append(out, p.ImportPath)
		}
	}
	return out
}

// coversDir reports whether the caller of Run reads the coverage of a file
// in the directory dir (workspace path).
func (o RunOptions) coversDir(dir string) bool {
	if o.CoverFiles == nil {
		return true
	}
	for _, f := range o.CoverFiles {
		if path.Dir(f) == dir {
			return true
		}
	}
	return false
}

// ownCovered lists the import paths of the module's packages with code
// whose directory holds a file of CoverFiles: with CoverOwn, the only ones
// a run must cover.
func (o RunOptions) ownCovered(m *goModule) []string {
	if !o.CoverOwn || o.CoverFiles == nil {
		return nil
	}
	var out []string
	for _, p := range m.Packages {
		if len(p.GoFiles) > 0 && o.coversDir(p.Rel) && !slices.Contains(out, p.ImportPath) {
			out = append(out, p.ImportPath)
		}
	}
	sort.Strings(out)
	return out
}

// untestedPkgs lists the module's packages with code and no test files:
// no test binary links them unless a tested package imports them, so a
// cover profile leaves them out unless they are named to go test.
func untestedPkgs(m *goModule) []*goPackage {
	var out []*goPackage
	for _, p := range m.Packages {
		if len(p.GoFiles) > 0 && len(p.TestFiles) == 0 {
			out = append(out, p)
		}
	}
	return out
}

// goProfilePath maps a cover profile's "importpath/file.go" to a workspace path.
func goProfilePath(m *goModule) func(string) (string, bool) {
	return func(name string) (string, bool) {
		dir, base := path.Split(name)
		pkg := m.byPath[strings.TrimSuffix(dir, "/")]
		if pkg == nil {
			return "", false
		}
		return path.Join(pkg.Rel, base), true
	}
}

// Affected: the tests of the file's package and of every package whose
// tests import it, directly or not; all the module's tests for go.mod and
// go.sum.
func (r *GoRunner) Affected(ctx context.Context, env *Env, p *Project, file string) ([]Test, error) {
	m, err := r.module(env, p)
	if err != nil {
		return nil, err
	}
	all, err := r.Discover(ctx, env, p)
	if err != nil {
		return nil, err
	}
	if base := path.Base(file); (base == "go.mod" || base == "go.sum") && path.Dir(file) == p.Dir {
		return all, nil
	}
	pkg := m.packageOf(file)
	if pkg == nil {
		return nil, nil
	}
	pkgs := map[string]bool{}
	if strings.HasSuffix(file, "_test.go") {
		pkgs[pkg.ImportPath] = true // test files are seen by their own package only
	} else {
		for _, q := range m.importers(pkg) {
			pkgs[q.ImportPath] = true
		}
	}
	var out []Test
	for _, t := range all {
		if pkgs[t.Package] {
			out = append(out, t)
		}
	}
	return out, nil
}

// goEntry is the cached per-test map of one package.
type goEntry struct {
	Package string        `json:"package"`
	Map     *coverage.Map `json:"map"`
}

func (r *GoRunner) Map(ctx context.Context, env *Env, p *Project) (*coverage.Map, error) {
	m, err := r.module(env, p)
	if err != nil {
		return nil, err
	}
	gv, err := goVersion()
	if err != nil {
		return nil, err
	}
	all, err := r.Discover(ctx, env, p)
	if err != nil {
		return nil, err
	}
	testsOf := map[string][]Test{}
	for _, t := range all {
		if t.Kind != KindBenchmark {
			testsOf[t.Package] = append(testsOf[t.Package], t)
		}
	}
	group := func(pkg *goPackage) string {
		return "go-" + coverage.Key(env.Snapshot.Abs(p.Dir))[:12] + "-" + pkg.ImportPath
	}
	out := coverage.NewMap()
	out.Granularity = coverage.PerTest // every test runs alone
	var stale, staleUntested []*goPackage
	built := false // some package's map was built here, at some content
	keys := map[*goPackage]string{}
	for _, pkg := range m.Packages {
		// A package no test of its own runs: its statements still count
		// in the totals (uncovered unless another package's tests run
		// them).
		untested := len(testsOf[pkg.ImportPath]) == 0
		if untested && len(pkg.GoFiles) == 0 {
			continue
		}
		key, err := m.key(env.Snapshot, pkg, gv, env.Settings.Go.Flags)
		if err != nil {
			return nil, err
		}
		keys[pkg] = key
		var e goEntry
		switch {
		case env.Cache.Get(group(pkg), key, &e) && e.Map != nil:
			out.Merge(e.Map)
			built = true
		case untested:
			staleUntested = append(staleUntested, pkg)
		default:
			stale = append(stale, pkg)
		}
	}
	if env.NoColdMap && !built && len(stale)+len(staleUntested) > 0 {
		for _, pkg := range append(append([]*goPackage{}, stale...), staleUntested...) {
			if built = env.Cache.Has(group(pkg)); built {
				break
			}
		}
		if !built {
			return nil, errNoMap // never mapped here: a fresh clone, a CI machine
		}
	}
	if len(staleUntested) > 0 {
		maps, err := r.untestedBlocks(ctx, env, m, p, staleUntested)
		if err != nil {
			return nil, err
		}
		for _, pkg := range staleUntested {
			if err := env.Cache.Put(group(pkg), keys[pkg], goEntry{Package: pkg.ImportPath, Map: maps[pkg]}, 4); err != nil {
				return nil, err
			}
			out.Merge(maps[pkg])
		}
		out.Built = true
	}
	if len(stale) == 0 {
		return out, nil
	}
	out.Built = true
	ntests := 0
	for _, pkg := range stale {
		ntests += len(testsOf[pkg.ImportPath])
	}
	env.Progress(analysis.Progress{Kind: analysis.ProgressBegin, Title: fmt.Sprintf("Building the coverage map: %d tests in %d packages", ntests, len(stale))})
	w, err := newGoWorkdir(env, p)
	if err != nil {
		return nil, err
	}
	defer w.cleanup()
	maps, err := r.buildMaps(ctx, env, m, w, stale, testsOf, ntests)
	env.Progress(analysis.Progress{Kind: analysis.ProgressEnd, Message: fmt.Sprintf("coverage map of %d tests", ntests)})
	if err != nil {
		return nil, err
	}
	for _, pkg := range stale {
		pm := maps[pkg]
		if pm == nil {
			continue
		}
		if err := env.Cache.Put(group(pkg), keys[pkg], goEntry{Package: pkg.ImportPath, Map: pm}, 4); err != nil {
			return nil, err
		}
		out.Merge(pm)
	}
	return out, nil
}

// untestedBlocks reads the blocks of packages that have code and no tests
// (go test names them "no test files" and, with -coverpkg, still writes
// their statements to the profile, uncovered): one map of known blocks per
// package, with no test.
func (r *GoRunner) untestedBlocks(ctx context.Context, env *Env, m *goModule, p *Project, pkgs []*goPackage) (map[*goPackage]*coverage.Map, error) {
	w, err := newGoWorkdir(env, p)
	if err != nil {
		return nil, err
	}
	defer w.cleanup()
	profile := filepath.Join(w.tmp, "untested.out")
	var names []string
	for _, pkg := range pkgs {
		names = append(names, pkg.ImportPath)
	}
	args := []string{"test", "-count=1", "-run=^$", "-covermode=set", "-coverpkg=" + strings.Join(names, ","), "-coverprofile=" + profile}
	args = append(args, w.flags...)
	args = append(args, env.Settings.Go.Flags...)
	args = append(args, names...)
	out, err := command(ctx, w.dir, nil, "go", args...).in(env, w.tmp).run()
	if ctx.Err() != nil {
		return nil, timeoutError(ctx, "building the coverage map", env.Settings.timeout())
	}
	maps := map[*goPackage]*coverage.Map{}
	for _, pkg := range pkgs {
		maps[pkg] = coverage.NewMap()
	}
	f, ferr := os.Open(profile)
	if ferr != nil {
		if err != nil {
			return nil, fmt.Errorf("go test %s: %v\n%s", strings.Join(names, " "), err, trimOutput(string(out)))
		}
		return maps, nil // a toolchain that reports no coverage of untested packages
	}
	defer f.Close()
	prof, err := coverage.ParseGo(f, goProfilePath(m))
	if err != nil {
		return nil, err
	}
	for _, pkg := range pkgs {
		own := prof.Filter(func(file string) bool { return path.Dir(file) == pkg.Rel })
		maps[pkg].AddTest("", "", own) // known blocks; none ran
	}
	return maps, nil
}

// buildMaps compiles one coverage-instrumented test binary per stale package
// and runs every test alone through it, in parallel across the cores.
func (r *GoRunner) buildMaps(ctx context.Context, env *Env, m *goModule, w *goWorkdir, stale []*goPackage, testsOf map[string][]Test, ntests int) (map[*goPackage]*coverage.Map, error) {
	workers := runtime.NumCPU()
	coverpkg := strings.Join(coverPkgs(m), ",")
	type job struct {
		pkg  *goPackage
		test Test
		bin  string
		i    int
	}
	jobs := make(chan job)
	var mu sync.Mutex
	maps := map[*goPackage]*coverage.Map{}
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	done := 0
	pathOf := goProfilePath(m)
	var runWG sync.WaitGroup
	for i := 0; i < workers; i++ {
		runWG.Add(1)
		go func() {
			defer runWG.Done()
			for j := range jobs {
				prof, status, err := runOneGoTest(ctx, env, m, w, j.pkg, j.test, j.bin, j.i, pathOf)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil {
					maps[j.pkg].AddTest(j.test.ID, string(status), prof)
				}
				done++
				n := done
				mu.Unlock()
				env.Progress(analysis.Progress{Kind: analysis.ProgressReport, Message: fmt.Sprintf("%s %s", j.test.Name, verb(status)), Percent: n * 100 / max(ntests, 1)})
			}
		}()
	}
	// Compile binaries (the go command parallelises each build itself; two
	// at a time keep the cores busy during links), feeding tests to the
	// runners as soon as their binary exists.
	sem := make(chan struct{}, max(2, workers/2))
	var buildWG sync.WaitGroup
	for _, pkg := range stale {
		maps[pkg] = coverage.NewMap()
		buildWG.Add(1)
		go func(pkg *goPackage) {
			defer buildWG.Done()
			sem <- struct{}{}
			bin := filepath.Join(w.tmp, "bin", strings.ReplaceAll(pkg.ImportPath, "/", "_")+".test")
			args := []string{"test", "-c", "-o", bin, "-cover", "-covermode=set", "-coverpkg=" + coverpkg}
			args = append(args, w.flags...)
			args = append(args, env.Settings.Go.Flags...)
			args = append(args, pkg.ImportPath)
			out, err := command(ctx, w.dir, nil, "go", args...).in(env, w.tmp).run()
			<-sem
			if err != nil {
				if ctx.Err() != nil {
					fail(timeoutError(ctx, "building the coverage map", env.Settings.timeout()))
					return
				}
				// A package that does not build has no map; its tests error when run.
				fail(fmt.Errorf("go test -c %s: %v\n%s", pkg.ImportPath, err, trimOutput(string(out))))
				return
			}
			for i, t := range testsOf[pkg.ImportPath] {
				select {
				case jobs <- job{pkg, t, bin, i}:
				case <-ctx.Done():
					return
				}
			}
		}(pkg)
	}
	buildWG.Wait()
	close(jobs)
	runWG.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return maps, nil
}

// runOneGoTest runs one test of a coverage binary and reads its profile.
func runOneGoTest(ctx context.Context, env *Env, m *goModule, w *goWorkdir, pkg *goPackage, t Test, bin string, i int, pathOf func(string) (string, bool)) (*coverage.Profile, Status, error) {
	prof := filepath.Join(filepath.Dir(bin), fmt.Sprintf("%s-%d.cover", filepath.Base(bin), i))
	covdir, err := os.MkdirTemp(w.tmp, "covdata-")
	if err != nil {
		return nil, Error, err
	}
	defer os.RemoveAll(covdir)
	args := []string{"-test.run=^" + regexp.QuoteMeta(t.Name) + "$", "-test.count=1", "-test.coverprofile=" + prof}
	if env.Settings.Go.Timeout > 0 {
		args = append(args, "-test.timeout="+env.Settings.Go.Timeout.String())
	}
	dir := filepath.Join(w.dir, filepath.FromSlash(relTo(m.Rel, pkg.Rel)))
	out, runErr := command(ctx, dir, []string{"GOCOVERDIR=" + covdir}, bin, args...).in(env, w.tmp).run()
	if ctx.Err() != nil {
		return nil, Error, timeoutError(ctx, "building the coverage map", env.Settings.timeout())
	}
	status := Pass
	switch {
	case runErr != nil:
		status = Fail
	case bytes.Contains(out, []byte("--- SKIP: "+t.Name+" ")):
		status = Skip
	}
	f, err := os.Open(prof)
	if err != nil {
		// A test that crashed before writing its profile covers nothing we know of.
		return coverage.NewProfile(), Error, nil
	}
	defer f.Close()
	defer os.Remove(prof)
	p, err := coverage.ParseGo(f, pathOf)
	if err != nil {
		return nil, Error, fmt.Errorf("%s: %w", t.ID, err)
	}
	return p, status, nil
}

// GoCoverFlags are the coverage flags Run gives go test for the Go module
// in dir (workspace-relative) of snap. Another go command of the same
// module given them (go list -export -test: the build gate) compiles each
// package and test variant exactly as the tests' run will, so that the
// build cache serves the run's compile.
func GoCoverFlags(snap *analysis.Snapshot, dir string, settings Settings) ([]string, error) {
	m, err := loadModule(snap, dir, settings.Go.Flags)
	if err != nil {
		return nil, err
	}
	if len(coverPkgs(m)) == 0 {
		return nil, nil // nothing to cover: no flag changes a compile
	}
	return goCoverFlags(m), nil
}

func goCoverFlags(m *goModule) []string {
	return []string{"-covermode=set", "-coverpkg=" + strings.Join(coverPkgs(m), ",")}
}

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
	"sort"
	"strings"
	"sync"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
)

// The JavaScript/TypeScript test frameworks gauntlet runs.
const (
	fwNode   = "node" // node --test
	fwJest   = "jest"
	fwVitest = "vitest"
	fwMocha  = "mocha"
)

// JSRunners names the frameworks tests.runner may name.
var JSRunners = []string{fwJest, fwVitest, fwMocha, fwNode}

// otherJSRunners are test commands gauntlet recognises but does not run: a
// project on one of them is an error, never a silent pass.
var otherJSRunners = []string{"karma", "ava", "tap", "jasmine", "playwright", "cypress", "uvu", "tape", "qunit", "web-test-runner", "wtr", "bun"}

// isJSTestName: the default test file patterns of node --test, jest
// (__tests__/, *.test.*, *.spec.*), vitest and mocha (test/).
func isJSTestName(p string) bool {
	if isNodeTestName(p) {
		return true
	}
	switch path.Ext(p) {
	case ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx":
	default:
		return false
	}
	b := path.Base(p)
	return strings.Contains(b, ".spec.") || strings.Contains(b, ".test.") || strings.HasPrefix(p, "__tests__/") || strings.Contains(p, "/__tests__/")
}

type packageJSON struct {
	Scripts         map[string]string `json:"scripts"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
}

// jsFramework decides which framework runs the tests of the package in
// dir: tests.runner, else package.json's scripts.test, else its
// (dev)dependencies, else the package's node_modules/.bin, else node --test
// when its test files import node:test. A package whose tests no known
// runner runs is an error that says what was found.
func jsFramework(env *Env, dir string, nodeTestFiles bool) (string, error) {
	if r := env.Settings.Node.Runner; r != "" {
		return r, nil
	}
	var pkg packageJSON
	pj := path.Join(dir, "package.json")
	if f, err := env.Snapshot.File(pj); err == nil {
		if err := json.Unmarshal(f.Content, &pkg); err != nil {
			return "", fmt.Errorf("%s: %v", pj, err)
		}
	}
	script := pkg.Scripts["test"]
	words := regexp.MustCompile(`[A-Za-z0-9_:@/.-]+`).FindAllString(script, -1)
	has := func(w string) bool {
		for _, x := range words {
			if x == w || strings.HasSuffix(x, "/"+w) || strings.HasPrefix(x, w+"@") {
				return true
			}
		}
		return false
	}
	for _, fw := range []string{fwVitest, fwJest, fwMocha} {
		if has(fw) {
			return fw, nil
		}
	}
	if has("node") && (has("--test") || strings.Contains(script, "--test")) {
		return fwNode, nil
	}
	for _, other := range otherJSRunners {
		if has(other) {
			return "", unknownRunner(fmt.Sprintf("%s runs %s (scripts.test: %q)", pj, other, script))
		}
	}
	for _, fw := range []string{fwVitest, fwJest, fwMocha} {
		if pkg.DevDependencies[fw] != "" || pkg.Dependencies[fw] != "" {
			return fw, nil
		}
	}
	for _, fw := range []string{fwVitest, fwJest, fwMocha} {
		if _, err := os.Stat(env.Snapshot.Abs(path.Join(dir, "node_modules", ".bin", fw))); err == nil {
			return fw, nil
		}
	}
	if nodeTestFiles {
		return fwNode, nil
	}
	for dep := range mergeMaps(pkg.Dependencies, pkg.DevDependencies) {
		for _, other := range otherJSRunners {
			if dep == other || strings.HasPrefix(dep, other+"-") || strings.HasPrefix(dep, "@"+other+"/") {
				return "", unknownRunner(fmt.Sprintf("%s depends on %s", pj, dep))
			}
		}
	}
	what := fmt.Sprintf("%s names no test runner", pj)
	if script != "" {
		what = fmt.Sprintf("%s runs %q", pj, script)
	}
	return "", unknownRunner(what)
}

func unknownRunner(what string) error {
	return fmt.Errorf("%s; gauntlet runs jest, vitest, mocha and node --test; set tests.runner in .gauntlet.yaml", what)
}

func mergeMaps(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// jsBin is the framework's JavaScript entry point in the package's (or an
// enclosing directory's) node_modules/.bin, run with the node command so
// that the sandbox's wrapper applies.
func jsBin(env *Env, dir, fw string) (string, error) {
	for d := dir; ; d = path.Dir(d) {
		bin := env.Snapshot.Abs(path.Join(d, "node_modules", ".bin", fw))
		if real, err := filepath.EvalSymlinks(bin); err == nil {
			return real, nil
		}
		if d == "." || d == "/" {
			break
		}
	}
	return "", fmt.Errorf("%s runs its tests with %s, but %s is not installed (no node_modules/.bin/%s): run npm install", path.Join(dir, "package.json"), fw, fw, fw)
}

// jsRun is one run of a framework over some test files.
type jsRun struct {
	results   map[string]*Result // by test id
	fileError map[string]string  // test file (workspace path) -> why it did not run
	coverage  *coverage.Profile  // with coverage
	output    string
	exit      int
	hung      *Hang // the test for which the run was stopped
}

// mochaEvent reads a record of gauntlet's mocha reporter for the hang
// watch: a start record as a test begins, then its outcome.
func mochaEvent(p *Project, dir string, line []byte) (id, action string, ok bool) {
	var rec struct {
		Event, Status, File string
		Titles              []string
	}
	if json.Unmarshal(line, &rec) != nil || (rec.Event != "start" && rec.Status == "") {
		return "", "", false
	}
	id = relTo(p.Dir, jsWorkspacePath(p, dir, rec.File)) + "::" + strings.Join(rec.Titles, " > ")
	if rec.Event == "start" {
		return id, "run", true
	}
	return id, "pass", true
}

// jsFullName is the name the frameworks' name filters match: the titles
// joined by spaces.
func jsFullName(titles []string) string { return strings.Join(titles, " ") }

// jsPattern is a regular expression (as JavaScript reads it) matching
// exactly these full names.
func jsPattern(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = regexp.QuoteMeta(n)
	}
	return "^(" + strings.Join(q, "|") + ")$"
}

// runFramework runs the framework in dir on files (all the framework's own
// tests when empty), only the tests whose full names match pattern (all when
// ""), with per-run coverage into covDir when it is not "".
func (r *NodeRunner) runFramework(ctx context.Context, env *Env, p *Project, fw, dir, tmp string, files []string, pattern string, withCoverage bool, dryRun bool, hang *runHang) (*jsRun, error) {
	bin, err := jsBin(env, p.Dir, fw)
	if err != nil {
		return nil, err
	}
	sdir, err := scriptDir(tmp)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(tmp, "run-")
	if err != nil {
		return nil, err
	}
	results := filepath.Join(work, "results.json")
	covDir := filepath.Join(work, "coverage")
	node := nodeCommand(env.Settings.Node)
	args := append(append([]string(nil), node[1:]...), bin)
	extraEnv := []string{"NODE_NO_WARNINGS=1", "CI=true", "GAUNTLET_RESULTS=" + results, "FORCE_COLOR=0", "NO_COLOR=1"}
	rel := make([]string, len(files))
	for i, f := range files {
		rel[i] = filepath.FromSlash(relTo(p.Dir, f))
	}
	switch fw {
	case fwJest:
		args = append(args, "--json", "--outputFile="+results, "--testLocationInResults", "--ci", "--watchman=false", "--colors=false")
		if withCoverage {
			args = append(args, "--coverage", "--coverageProvider=v8", "--coverageReporters=json", "--coverageDirectory="+covDir)
		} else {
			args = append(args, "--coverage=false")
		}
		if pattern != "" {
			args = append(args, "--testNamePattern="+pattern)
		}
		if len(rel) > 0 {
			args = append(append(args, "--runTestsByPath"), rel...)
		}
	case fwVitest:
		args = append(args, "run", "--reporter=json", "--outputFile="+results, "--color=false", "--passWithNoTests=false")
		if withCoverage {
			args = append(args, "--coverage.enabled=true", "--coverage.provider=v8", "--coverage.reporter=json", "--coverage.reportsDirectory="+covDir, "--coverage.all=false", "--coverage.reportOnFailure=true")
		} else {
			args = append(args, "--coverage.enabled=false")
		}
		if pattern != "" {
			args = append(args, "--testNamePattern="+pattern)
		}
		args = append(args, rel...)
	case fwMocha:
		args = append(args, "--reporter="+filepath.Join(sdir, "gauntlet_mocha.cjs"), "--no-color")
		if dryRun {
			args = append(args, "--dry-run")
		}
		if pattern != "" {
			args = append(args, "--grep="+pattern)
		}
		if withCoverage {
			extraEnv = append(extraEnv, "NODE_V8_COVERAGE="+covDir)
		}
		args = append(args, rel...)
	default:
		return nil, fmt.Errorf("unknown test runner %q", fw)
	}
	// runCtx ends the run early when a test hangs: mocha's reporter says
	// when each test starts (jest and vitest report at the end).
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	var hw *hangWatch
	if hang != nil && fw == fwMocha {
		hw = watchHangs(ctx, env.Settings, hang.opt, hang.tests, stopRun)
	}
	tailed := tailRecords(hw, results, func(line []byte) (string, string, bool) {
		return mochaEvent(p, dir, line)
	})
	// In the suite's launcher (verify's sandbox), as every runner's command.
	out, runErr := command(runCtx, dir, extraEnv, node[0], args...).in(env, tmp).run()
	tailed()
	hung := hw.close()
	if ctx.Err() != nil {
		return nil, timeoutError(ctx, fw, env.Settings.timeout())
	}
	run := &jsRun{results: map[string]*Result{}, fileError: map[string]string{}, output: string(out), exit: exitCode(runErr), hung: hung}
	if run.exit < 0 && hung == nil {
		return nil, fmt.Errorf("%s (%s) did not start: %v", fw, strings.Join(append(node, bin), " "), runErr)
	}
	add := func(absFile string, titles []string, status, msg string, line int, dur float64) {
		file := jsWorkspacePath(p, dir, absFile)
		id := relTo(p.Dir, file) + "::" + strings.Join(titles, " > ")
		res := &Result{ID: id, Package: p.Dir, File: file, Line: line, Duration: int64(dur)}
		switch status {
		case "passed":
			res.Status = Pass
		case "failed":
			res.Status = Fail
			res.Output = trimOutput(msg)
			res.Failure = jsFailure(msg, dir, p, file, line)
		default: // pending, skipped, todo, disabled
			res.Status = Skip
		}
		if prev := run.results[id]; prev != nil && prev.Status == Fail {
			return
		}
		run.results[id] = res
	}
	switch fw {
	case fwJest, fwVitest:
		var rep struct {
			TestResults []struct {
				Name             string `json:"name"`
				Status           string `json:"status"`
				Message          string `json:"message"`
				AssertionResults []struct {
					AncestorTitles  []string `json:"ancestorTitles"`
					Title           string   `json:"title"`
					Status          string   `json:"status"`
					Duration        float64  `json:"duration"`
					FailureMessages []string `json:"failureMessages"`
					Location        *struct {
						Line int `json:"line"`
					} `json:"location"`
				} `json:"assertionResults"`
			} `json:"testResults"`
		}
		data, err := os.ReadFile(results)
		if err != nil {
			return nil, fmt.Errorf("%s wrote no report (exit status %d):\n%s", fw, run.exit, trimOutput(run.output))
		}
		if err := json.Unmarshal(data, &rep); err != nil {
			return nil, fmt.Errorf("%s report: %v", fw, err)
		}
		for _, tr := range rep.TestResults {
			if len(tr.AssertionResults) == 0 && (tr.Status == "failed" || tr.Message != "") {
				run.fileError[jsWorkspacePath(p, dir, tr.Name)] = trimOutput(tr.Message)
			}
			for _, a := range tr.AssertionResults {
				line := 0
				if a.Location != nil {
					line = a.Location.Line
				}
				titles := append(append([]string(nil), a.AncestorTitles...), a.Title)
				add(tr.Name, titles, a.Status, strings.Join(a.FailureMessages, "\n"), line, a.Duration)
			}
		}
		if withCoverage {
			run.coverage, err = istanbulProfile(filepath.Join(covDir, "coverage-final.json"), p, dir)
			if os.IsNotExist(err) && run.exit != 0 {
				// Some tests failed and no report was written: the verdict
				// is the failures'.
				run.coverage, err = coverage.NewProfile(), nil
			}
			if err != nil {
				return nil, fmt.Errorf("%s coverage: %v", fw, err)
			}
		}
	case fwMocha:
		f, err := os.Open(results)
		if err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 1<<20), 64<<20)
			for sc.Scan() {
				var rec struct {
					Event    string   `json:"event"`
					Status   string   `json:"status"`
					Type     string   `json:"type"`
					File     string   `json:"file"`
					Titles   []string `json:"titles"`
					Message  string   `json:"message"`
					Duration float64  `json:"duration"`
				}
				if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.Event == "start" {
					continue
				}
				if rec.Type == "hook" {
					// A hook failed: its suite's tests did not run.
					run.fileError[jsWorkspacePath(p, dir, rec.File)] = trimOutput(strings.Join(rec.Titles, " > ") + ": " + rec.Message)
					continue
				}
				add(rec.File, rec.Titles, rec.Status, rec.Message, 0, rec.Duration)
			}
			f.Close()
			if err := sc.Err(); err != nil {
				return nil, fmt.Errorf("%s's results %s: %w", fw, results, err)
			}
		}
		if len(run.results) == 0 && len(run.fileError) == 0 && run.exit != 0 && hung == nil {
			return nil, fmt.Errorf("mocha exited with status %d and reported no test:\n%s", run.exit, trimOutput(run.output))
		}
		if withCoverage && hung != nil {
			run.coverage = coverage.NewProfile() // the stopped run wrote none
		} else if withCoverage {
			run.coverage, err = v8Profile(covDir, p, dir)
			if err != nil {
				return nil, fmt.Errorf("mocha coverage: %v", err)
			}
		}
	}
	if len(run.results) == 0 && len(run.fileError) == 0 && run.exit != 0 && pattern == "" {
		return nil, fmt.Errorf("%s exited with status %d and reported no test:\n%s", fw, run.exit, trimOutput(run.output))
	}
	return run, nil
}

// jsWorkspacePath turns a path a framework reported (absolute, in the run
// directory) into a workspace path.
func jsWorkspacePath(p *Project, dir, file string) string {
	if file == "" {
		return p.Dir
	}
	if filepath.IsAbs(file) {
		if r, err := filepath.Rel(dir, file); err == nil && !strings.HasPrefix(r, "..") {
			file = r
		} else if real, err := filepath.EvalSymlinks(dir); err == nil {
			if r, err := filepath.Rel(real, file); err == nil && !strings.HasPrefix(r, "..") {
				file = r
			}
		}
	}
	return path.Join(p.Dir, filepath.ToSlash(file))
}

var jsStackFrame = regexp.MustCompile(`\(?((?:file://)?/[^\s():]+):(\d+):\d+\)?`)

// jsFailure is the first frame of the failure's stack inside the test file,
// else the test's line.
func jsFailure(msg, dir string, p *Project, file string, line int) *Location {
	for _, m := range jsStackFrame.FindAllStringSubmatch(msg, -1) {
		f := strings.TrimPrefix(m[1], "file://")
		if jsWorkspacePath(p, dir, f) == file {
			var l int
			fmt.Sscan(m[2], &l)
			return &Location{File: file, Line: l}
		}
	}
	if line > 0 {
		return &Location{File: file, Line: line}
	}
	return nil
}

// istanbulProfile reads an istanbul coverage-final.json (jest's and
// vitest's v8 providers write it, mapped back to the sources): each
// statement's first line, with its count.
func istanbulProfile(file string, p *Project, dir string) (*coverage.Profile, error) {
	prof := coverage.NewProfile()
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var rep map[string]struct {
		Path         string `json:"path"`
		StatementMap map[string]struct {
			Start struct {
				Line int `json:"line"`
			} `json:"start"`
		} `json:"statementMap"`
		S map[string]int `json:"s"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, err
	}
	for name, f := range rep {
		if f.Path != "" {
			name = f.Path
		}
		ws := jsWorkspacePath(p, dir, name)
		if !within(p.Dir, ws) || strings.Contains(ws, "node_modules/") || isJSTestName(relTo(p.Dir, ws)) {
			continue
		}
		lines := map[int]int{}
		for id, st := range f.StatementMap {
			l := st.Start.Line
			if c := f.S[id]; c > lines[l] {
				lines[l] = c
			} else if _, ok := lines[l]; !ok {
				lines[l] = 0
			}
		}
		for l, c := range lines {
			prof.Add(ws, coverage.Block{StartLine: l, EndLine: l, Stmts: 1}, c)
		}
	}
	return prof, nil
}

// v8Profile reads the V8 coverage files that NODE_V8_COVERAGE left in dir:
// for each project file, the lines that ran. V8 reports byte ranges with
// counts, nested ranges overriding their parents (as in c8 and
// v8-to-istanbul, which are JavaScript: a few lines here rather than a
// node dependency): a line's count is that of the innermost range holding
// its first non-blank character; blank lines and comment-only lines are not
// counted.
func v8Profile(covDir string, p *Project, dir string) (*coverage.Profile, error) {
	prof := coverage.NewProfile()
	ents, err := os.ReadDir(covDir)
	if err != nil {
		return nil, err
	}
	type rng struct{ start, end, count int }
	byFile := map[string][]rng{}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(covDir, e.Name()))
		if err != nil {
			return nil, err
		}
		var rep struct {
			Result []struct {
				URL       string `json:"url"`
				Functions []struct {
					Ranges []struct {
						Start int `json:"startOffset"`
						End   int `json:"endOffset"`
						Count int `json:"count"`
					} `json:"ranges"`
				} `json:"functions"`
			} `json:"result"`
		}
		if json.Unmarshal(data, &rep) != nil {
			continue
		}
		for _, sc := range rep.Result {
			if !strings.HasPrefix(sc.URL, "file://") {
				continue
			}
			ws := jsWorkspacePath(p, dir, strings.TrimPrefix(sc.URL, "file://"))
			if !within(p.Dir, ws) || strings.Contains(ws, "node_modules/") || isJSTestName(relTo(p.Dir, ws)) {
				continue
			}
			for _, fn := range sc.Functions {
				for _, r := range fn.Ranges {
					byFile[ws] = append(byFile[ws], rng{r.Start, r.End, r.Count})
				}
			}
		}
	}
	for ws, rs := range byFile {
		src, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(relTo(p.Dir, ws))))
		if err != nil {
			continue
		}
		// V8 offsets count UTF-16 units; for ASCII sources they are bytes.
		sort.SliceStable(rs, func(i, j int) bool {
			if rs[i].start != rs[j].start {
				return rs[i].start < rs[j].start
			}
			return rs[i].end > rs[j].end
		})
		off := 0
		inBlock := false
		for i, line := range strings.Split(string(src), "\n") {
			lineStart := off
			off += len(line) + 1
			t := strings.TrimSpace(line)
			if inBlock {
				if k := strings.Index(t, "*/"); k >= 0 {
					inBlock = false
					t = strings.TrimSpace(t[k+2:])
				} else {
					continue
				}
			}
			if strings.HasPrefix(t, "/*") && !strings.Contains(t, "*/") {
				inBlock = true
				continue
			}
			if t == "" || strings.HasPrefix(t, "//") || t == "}" || t == "});" || t == "})" || t == "};" || strings.HasPrefix(t, "import ") {
				continue
			}
			at := lineStart + strings.Index(line, t)
			count, size := -1, int(^uint(0)>>1)
			for _, r := range rs {
				if r.start <= at && at < r.end && r.end-r.start <= size {
					count, size = r.count, r.end-r.start
				}
			}
			if count < 0 {
				continue
			}
			prof.Add(ws, coverage.Block{StartLine: i + 1, EndLine: i + 1, Stmts: 1}, count)
		}
	}
	return prof, nil
}

// jsListed caches each framework's list of tests by the content of the
// package's files.
var jsListed sync.Map // key -> []Test

// jsDiscover lists a package's tests as its framework reports them: mocha's
// --dry-run, and for jest and vitest (which have no listing that names
// every test) a run of the suite, cached by the content of the package.
// As with pytest, only files as they are on disk are run; the tests of
// files a snapshot changes come from their syntax trees.
func (r *NodeRunner) jsDiscover(ctx context.Context, env *Env, p *Project) ([]Test, error) {
	return diskTests(env, func(disk *Env) ([]Test, error) {
		return r.listDisk(ctx, disk, p)
	}, func() ([]string, error) {
		return walkFiles(env.Snapshot, []string{p.Dir}, isJSTestName)
	}, func(f string) ([]Test, error) {
		if nodeRoot(env.Snapshot, f) != p.Dir {
			return nil, nil
		}
		ts, err := nodeTestsInFile(ctx, env.Snapshot, p, f)
		for i := range ts {
			ts[i].Language = "node"
		}
		return ts, err
	})
}

func (r *NodeRunner) listDisk(ctx context.Context, env *Env, p *Project) ([]Test, error) {
	key, err := listKey(env.Snapshot, p.Dir, func(f string) bool {
		return analysis.LanguageForPath(f) != nil || path.Base(f) == "package.json" || strings.Contains(path.Base(f), "config")
	}, "js-list-v1", p.Framework, jsVersion(env, p), env.Snapshot.Abs(p.Dir), strings.Join(nodeCommand(env.Settings.Node), " "))
	if err != nil {
		return nil, err
	}
	// Kept on disk as well: for jest and vitest the listing is a run of the
	// whole suite, which every command line's selection would pay again.
	return listOnce(env.Cache, &jsListed, key, "gauntlet-js-", func(tmp string) ([]Test, error) {
		return r.listIn(ctx, env, p, tmp)
	})
}

// jsVersion is the installed version of p's framework (its package.json's
// "version"), a part of its listings' cache key; "" when not found.
func jsVersion(env *Env, p *Project) string {
	bin, err := jsBin(env, p.Dir, p.Framework)
	if err != nil {
		return ""
	}
	for d := filepath.Dir(bin); d != filepath.Dir(d); d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "package.json"))
		if err != nil {
			continue
		}
		var pkg struct{ Name, Version string }
		if json.Unmarshal(data, &pkg) == nil && pkg.Name == p.Framework {
			return pkg.Version
		}
		return ""
	}
	return ""
}

// listIn lists the tests of p with a dry run of its framework (a run of
// the suite where the framework has none), with tmp for its output files.
func (r *NodeRunner) listIn(ctx context.Context, env *Env, p *Project, tmp string) ([]Test, error) {
	run, err := r.runFramework(ctx, env, p, p.Framework, env.Snapshot.Abs(p.Dir), tmp, nil, "", false, p.Framework == fwMocha, nil)
	if err != nil {
		return nil, err
	}
	if len(run.fileError) > 0 {
		var errs []string
		for f, msg := range run.fileError {
			errs = append(errs, f+": "+msg)
		}
		sort.Strings(errs)
		return nil, fmt.Errorf("%s could not load the tests of %s:\n%s", p.Framework, p.Dir, strings.Join(errs, "\n"))
	}
	if len(run.results) == 0 {
		testFiles, _ := walkFiles(env.Snapshot, []string{p.Dir}, isJSTestName)
		return nil, fmt.Errorf("%s found no tests in %s, though it has test files (%s):\n%s", p.Framework, p.Dir, strings.Join(firstN(testFiles, 3), ", "), trimOutput(run.output))
	}
	var tests []Test
	for id, res := range run.results {
		name := id[strings.Index(id, "::")+2:]
		t := Test{ID: id, Name: name, Package: p.Dir, File: res.File, Line: res.Line, Kind: KindTest, Language: "node"}
		tests = append(tests, t)
	}
	// Declaration ranges (lenses, edits inside a test) from the syntax trees.
	byFile := map[string][]Test{}
	for _, t := range tests {
		byFile[t.File] = nil
	}
	for f := range byFile {
		ts, _ := nodeTestsInFile(ctx, env.Snapshot, p, f)
		byFile[f] = ts
	}
	for i, t := range tests {
		for _, s := range byFile[t.File] {
			if s.ID == t.ID {
				tests[i].Start, tests[i].End = s.Start, s.End
				if tests[i].Line == 0 {
					tests[i].Line = s.Line
				}
			}
		}
		if tests[i].Line == 0 {
			tests[i].Line = 1
		}
	}
	sortTests(tests)
	return tests, nil
}

// jsRunTests runs tests of a jest, vitest or mocha package: everything the
// framework finds when tests is nil, else their files with a name filter
// when only some of a file's tests are asked for.
func (r *NodeRunner) jsRunTests(ctx context.Context, env *Env, p *Project, tests []Test, opt RunOptions) (*Report, error) {
	out := &Report{}
	all := tests == nil
	if all {
		var err error
		if tests, err = r.Discover(ctx, env, p); err != nil {
			return nil, err
		}
	}
	if len(tests) == 0 {
		if opt.Coverage {
			out.Coverage = coverage.NewProfile()
		}
		return out, nil
	}
	dir, tmp, err := nodeWorkdir(env, p)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var files []string
	pattern := ""
	if !all {
		// Their files, and a filter of exactly their names: even when
		// every test of those files is asked for, listing the files' tests
		// to know it would cost jest and vitest a run of the whole suite
		// (they have no listing), on every run of code the listing cache
		// has not seen (each verification's edit).
		seen := map[string]bool{}
		var names []string
		for _, t := range tests {
			if !seen[t.File] {
				seen[t.File] = true
				files = append(files, t.File)
			}
			names = append(names, jsFullName(jsTitles(t)))
		}
		pattern = jsPattern(names)
		sort.Strings(files)
	}
	env.Progress(analysis.Progress{Kind: analysis.ProgressReport, Message: fmt.Sprintf("%s %s (%d tests)", p.Framework, p.Dir, len(tests))})
	run, err := r.runFramework(ctx, env, p, p.Framework, dir, tmp, files, pattern, opt.Coverage, false, &runHang{tests: tests, opt: opt})
	if err != nil {
		return nil, err
	}
	for _, t := range tests {
		var cause *Result
		if msg, ok := run.fileError[t.File]; ok {
			cause = &Result{Output: msg}
		}
		res := orNotRun(run.results[t.ID], cause, run.output)
		if h := run.hung; h != nil {
			res = hungResult(h, t, run.results[t.ID], "")
		}
		res.ID, res.Package, res.File = t.ID, t.Package, t.File
		if t.Line > 0 {
			res.Line = t.Line
		}
		out.Results = append(out.Results, *res)
	}
	out.Hung = run.hung
	out.Coverage = run.coverage
	if opt.Coverage && out.Coverage == nil {
		out.Coverage = coverage.NewProfile()
	}
	return out, nil
}

// jsMap builds the per-test map of a package by running each test alone
// with coverage (its file, with a name filter matching it only).
func (r *NodeRunner) jsMap(ctx context.Context, env *Env, p *Project, tests []Test) (*coverage.Map, error) {
	dir, tmp, err := nodeWorkdir(env, p)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	m := coverage.NewMap()
	m.Granularity = coverage.PerTest
	env.Progress(analysis.Progress{Kind: analysis.ProgressBegin, Title: fmt.Sprintf("Building the coverage map: %d %s tests", len(tests), p.Framework)})
	defer env.Progress(analysis.Progress{Kind: analysis.ProgressEnd})
	var mu sync.Mutex
	var firstErr error
	done := 0
	ids := make([]string, len(tests))
	byID := map[string]Test{}
	for i, t := range tests {
		ids[i] = t.ID
		byID[t.ID] = t
	}
	forFiles(ids, func(id string) {
		t := byID[id]
		var run *jsRun
		var err error
		if p.Framework == fwNode {
			var fr *nodeFileRun
			fr, err = r.runFile(ctx, env, p, dir, tmp, t.File, []string{jsTitles(t)[len(jsTitles(t))-1]}, true)
			if err == nil {
				run = &jsRun{results: fr.results, coverage: fr.coverage}
			}
		} else {
			run, err = r.runFramework(ctx, env, p, p.Framework, dir, tmp, []string{t.File}, jsPattern([]string{jsFullName(jsTitles(t))}), true, false, nil)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		st := ""
		if res := run.results[t.ID]; res != nil {
			st = string(res.Status)
		}
		if ran := ranTests(run.results); ran > 1 {
			// The filter could not isolate the test (another test of its
			// file has the same name): its coverage is shared with the
			// others that ran, not its own. The map says so.
			m.Granularity = coverage.PerFile
		}
		prof := run.coverage
		if prof == nil {
			prof = coverage.NewProfile()
		}
		m.AddTest(t.ID, st, prof)
		done++
		env.Progress(analysis.Progress{Kind: analysis.ProgressReport, Message: t.ID, Percent: done * 100 / len(tests)})
	})
	if firstErr != nil {
		return nil, firstErr
	}
	return m, nil
}

// ranTests counts the results of tests that ran (passed or failed).
func ranTests(results map[string]*Result) int {
	n := 0
	for _, r := range results {
		if r != nil && (r.Status == Pass || r.Status == Fail) {
			n++
		}
	}
	return n
}

// jsTitles is a test's title path, from its id ("file::a > b").
func jsTitles(t Test) []string {
	name := t.ID
	if i := strings.Index(name, "::"); i >= 0 {
		name = name[i+2:]
	}
	return strings.Split(name, " > ")
}

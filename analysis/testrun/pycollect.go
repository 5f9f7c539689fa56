package testrun

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
)

// pythonInterpreter is the project's Python: tests.python, then the active
// virtualenv ($VIRTUAL_ENV), then .venv/ or venv/ in the project or the
// workspace root, then the first python3 or python on PATH that imports
// pytest (and coverage when asked), then /usr/bin/python3 (Debian's
// python3-pytest belongs to it; a pyenv python3 earlier on PATH may not see
// it).
func pythonInterpreter(snap *analysis.Snapshot, p *Project, s PythonSettings, withCoverage bool) (string, error) {
	if s.Python != "" {
		py := s.Python
		if !filepath.IsAbs(py) && strings.ContainsRune(py, '/') {
			py = snap.Abs(py)
		}
		return py, nil
	}
	isExec := func(f string) bool {
		info, err := os.Stat(f)
		return err == nil && !info.IsDir() && info.Mode()&0o111 != 0
	}
	if ve := os.Getenv("VIRTUAL_ENV"); ve != "" {
		if py := filepath.Join(ve, "bin", "python"); isExec(py) {
			return py, nil
		}
	}
	for _, d := range []string{p.Dir, "."} {
		for _, v := range []string{".venv", "venv"} {
			if py := snap.Abs(path.Join(d, v, "bin", "python")); isExec(py) {
				return py, nil
			}
		}
	}
	return findPython(withCoverage)
}

// pytestCommandFor is the command that runs pytest for project p, behind
// the settings' wrapper (the sandbox).
func pytestCommandFor(env *Env, p *Project, withCoverage bool) ([]string, error) {
	s := env.Settings.Python
	if len(s.Command) > 0 {
		return append(append([]string(nil), s.Wrap...), s.Command...), nil
	}
	py, err := pythonInterpreter(env.Snapshot, p, s, withCoverage)
	if err != nil {
		return nil, err
	}
	return append(append([]string(nil), s.Wrap...), py, "-m", "pytest"), nil
}

// pyItem is one test pytest collected (a line of the plugin's collect file).
type pyItem struct {
	NodeID   string `json:"nodeid"`
	Name     string `json:"name"`
	Location []any  `json:"location"`
}

// collected caches pytest's collections by the content of the project's
// Python and configuration files.
var collected sync.Map // key -> []Test

// pyCollect lists the project's tests as pytest collects them
// (`pytest --collect-only` with gauntlet's plugin): node ids of unittest
// classes of any name, inherited and parametrized tests, honouring the
// project's pytest.ini / pyproject.toml / setup.cfg / tox.ini and conftest.py.
//
// Collection imports the test modules, so it runs only on files as they are
// on disk (the user's own code): the tests of files a snapshot changes
// (unsaved buffers, a proposed edit) are read from their syntax trees.
func (r *PythonRunner) pyCollect(ctx context.Context, env *Env, p *Project) ([]Test, error) {
	return diskTests(env, func(disk *Env) ([]Test, error) {
		if files, _ := r.testFiles(disk, p); len(files) > 0 {
			return r.collectDisk(ctx, disk, p, files)
		}
		return nil, nil
	}, func() ([]string, error) {
		return r.testFiles(env, p)
	}, func(f string) ([]Test, error) {
		return pyTestsInFile(ctx, env.Snapshot, p, f)
	})
}

// diskTests lists tests with list, run on the files as they are on disk
// (listing imports or runs the test modules: only the user's own code may
// be run), and takes the tests of the test files (files) that env's
// snapshot changes (unsaved buffers, a proposed edit) from their syntax
// trees (inFile) instead.
func diskTests(env *Env, list func(disk *Env) ([]Test, error), files func() ([]string, error), inFile func(f string) ([]Test, error)) ([]Test, error) {
	disk := env.Snapshot
	if len(disk.Overlays()) > 0 || len(disk.Deleted()) > 0 {
		disk = analysis.NewSnapshot(env.Snapshot.Root())
	}
	denv := *env
	denv.Snapshot = disk
	tests, err := list(&denv)
	if err != nil || disk == env.Snapshot {
		return tests, err
	}
	changed := map[string]bool{}
	for _, f := range append(env.Snapshot.Overlays(), env.Snapshot.Deleted()...) {
		changed[f] = true
	}
	var out []Test
	for _, t := range tests {
		if !changed[t.File] {
			out = append(out, t)
		}
	}
	fs, err := files()
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		if changed[f] {
			ts, err := inFile(f)
			if err != nil {
				return nil, err
			}
			out = append(out, ts...)
		}
	}
	return out, nil
}

// listKey is the cache key of a listing of the tests below dir (or of their
// coverage map): words, and the path and content of each file there that
// keep says can change it.
func listKey(snap *analysis.Snapshot, dir string, keep func(string) bool, words ...string) (string, error) {
	files, err := walkFiles(snap, []string{dir}, keep)
	if err != nil {
		return "", err
	}
	parts := words
	for _, f := range files {
		fl, err := snap.File(f)
		if err != nil {
			return "", err
		}
		parts = append(parts, f, string(fl.Content))
	}
	return coverage.Key(parts...), nil
}

// isPyProjectFile: the files that can change what pytest collects and runs
// in a project (its code and configuration).
func isPyProjectFile(f string) bool {
	ext := path.Ext(f)
	return ext == ".py" || ext == ".ini" || ext == ".toml" || ext == ".cfg"
}

func (r *PythonRunner) collectDisk(ctx context.Context, env *Env, p *Project, testFiles []string) ([]Test, error) {
	cmdline, err := pytestCommandFor(env, p, false)
	if err != nil {
		return nil, err
	}
	key, err := listKey(env.Snapshot, p.Dir, isPyProjectFile, "pytest-collect-v1", env.Snapshot.Abs(p.Dir), strings.Join(cmdline, " "))
	if err != nil {
		return nil, err
	}
	return listOnce(nil, &collected, key, "gauntlet-pycollect-", func(tmp string) ([]Test, error) {
		return r.collectIn(ctx, env, p, cmdline, testFiles, tmp)
	})
}

// collectIn runs pytest --collect-only (cmdline) in p, with tmp for its
// plugin and output files.
func (r *PythonRunner) collectIn(ctx context.Context, env *Env, p *Project, cmdline, testFiles []string, tmp string) ([]Test, error) {
	sdir, err := scriptDir(tmp)
	if err != nil {
		return nil, err
	}
	dir := env.Snapshot.Abs(p.Dir)
	list := filepath.Join(tmp, "collected.jsonl")
	results := filepath.Join(tmp, "results.jsonl")
	pyenv := []string{
		"PYTHONPATH=" + strings.Trim(sdir+string(os.PathListSeparator)+os.Getenv("PYTHONPATH"), string(os.PathListSeparator)),
		"GAUNTLET_COLLECT=" + list,
		"GAUNTLET_RESULTS=" + results,
		"PYTHONDONTWRITEBYTECODE=1",
	}
	args := append(append([]string(nil), cmdline[1:]...), "-p", "gauntlet_pytest", "-p", "no:cacheprovider", "--collect-only", "-q", "--rootdir="+dir)
	// Collection imports the test files: in the suite's launcher (verify's
	// sandbox) when it has one.
	out, runErr := command(ctx, dir, pyenv, cmdline[0], args...).in(env, tmp).run()
	if ctx.Err() != nil {
		return nil, timeoutError(ctx, "pytest --collect-only", env.Settings.timeout())
	}
	code := exitCode(runErr)
	if code < 0 {
		return nil, fmt.Errorf("pytest (%s) did not start: %v", strings.Join(cmdline, " "), runErr)
	}
	// Collection errors: name each file and its error.
	var errs []string
	if f, err := os.Open(results); err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var rec pyRecord
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Event == "collect_error" {
				errs = append(errs, fmt.Sprintf("%s:\n%s", path.Join(p.Dir, rec.NodeID), trimOutput(rec.Longrepr)))
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("pytest --collect-only's results %s: %w", results, err)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("pytest could not collect the tests of %s: %s", p.Dir, strings.Join(errs, "\n"))
	}
	data, err := os.ReadFile(list)
	if err != nil {
		return nil, fmt.Errorf("pytest --collect-only in %s (%s) exited with status %d and listed no tests:\n%s", p.Dir, strings.Join(cmdline, " "), code, trimOutput(string(out)))
	}
	var tests []Test
	for _, line := range strings.Split(string(data), "\n") {
		var it pyItem
		if line == "" || json.Unmarshal([]byte(line), &it) != nil {
			continue
		}
		tests = append(tests, pyTestOf(ctx, env.Snapshot, p, it))
	}
	if len(tests) == 0 {
		return nil, fmt.Errorf("pytest collected no tests in %s, though it has test files (%s): check testpaths and python_files in its configuration, or the interpreter (%s)",
			p.Dir, strings.Join(firstN(testFiles, 3), ", "), strings.Join(cmdline, " "))
	}
	if code != 0 {
		return nil, fmt.Errorf("pytest --collect-only in %s exited with status %d:\n%s", p.Dir, code, trimOutput(string(out)))
	}
	return tests, nil
}

// listOnce returns the tests cached under key in cache, or in disk (nil:
// none), else those that list returns (given a temporary directory,
// removed after), and caches them in both. Callers get their own copy of
// the slice.
func listOnce(disk *coverage.Cache, cache *sync.Map, key, tmpPrefix string, list func(tmp string) ([]Test, error)) ([]Test, error) {
	if v, ok := cache.Load(key); ok {
		return append([]Test(nil), v.([]Test)...), nil
	}
	var stored []Test
	if disk.Get(listGroup, key, &stored) && stored != nil {
		cache.Store(key, stored)
		return append([]Test(nil), stored...), nil
	}
	tmp, err := os.MkdirTemp("", tmpPrefix)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	tests, err := list(tmp)
	if err != nil {
		return nil, err
	}
	cache.Store(key, tests)
	if disk != nil && tests != nil {
		disk.Put(listGroup, key, tests, 32)
	}
	return append([]Test(nil), tests...), nil
}

// listGroup is where listings are kept in the cache: the latest few, by
// the content they list.
const listGroup = "listings"

func firstN(ss []string, n int) []string {
	if len(ss) > n {
		return append(append([]string(nil), ss[:n]...), "…")
	}
	return ss
}

// pyTestOf makes a Test of a collected item; its declaration range comes
// from the syntax tree of the file that defines it when that is the test's
// own module (an inherited test keeps its class's module and the line 1 of
// nothing more precise).
func pyTestOf(ctx context.Context, snap *analysis.Snapshot, p *Project, it pyItem) Test {
	parts := strings.Split(it.NodeID, "::")
	file := path.Join(p.Dir, parts[0])
	t := Test{ID: it.NodeID, Name: it.Name, Package: p.Dir, File: file, Line: 1, Kind: KindTest, Language: "python"}
	if len(it.Location) >= 2 {
		if f, ok := it.Location[0].(string); ok && filepath.ToSlash(f) == parts[0] {
			if l, ok := it.Location[1].(float64); ok {
				t.Line = int(l) + 1
			}
		}
	}
	// The declaration: the function (or, when inherited, the class) named
	// by the node id.
	tree, src, err := parseTree(ctx, snap, file)
	if err != nil {
		return t
	}
	defer tree.Close()
	names := append([]string(nil), parts[1:]...)
	if n := len(names); n > 0 {
		names[n-1] = baseName(names[n-1])
	}
	node := tree.RootNode()
	var found *sitter.Node
	for _, name := range names {
		body := node
		if node.Type() == "class_definition" {
			body = node.ChildByFieldName("body")
		}
		next := pyChild(body, name, src)
		if next == nil {
			break
		}
		found, node = next, pyDef(next)
	}
	if found != nil {
		t.Start, t.End = int(found.StartByte()), int(found.EndByte())
		t.Line = int(pyDef(found).StartPoint().Row) + 1
	}
	return t
}

func baseName(s string) string {
	if i := strings.IndexByte(s, '['); i > 0 {
		return s[:i]
	}
	return s
}

func pyDef(n *sitter.Node) *sitter.Node {
	if n.Type() == "decorated_definition" {
		if d := n.ChildByFieldName("definition"); d != nil {
			return d
		}
	}
	return n
}

// pyChild is the declaration named name directly in body.
func pyChild(body *sitter.Node, name string, src []byte) *sitter.Node {
	if body == nil {
		return nil
	}
	for i := 0; i < int(body.NamedChildCount()); i++ {
		decl := body.NamedChild(i)
		if n := pyDef(decl).ChildByFieldName("name"); n != nil && n.Content(src) == name {
			return decl
		}
	}
	return nil
}

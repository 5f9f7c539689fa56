package verify

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// DefaultBuildTimeout bounds the build gate when Options.BuildTimeout is zero.
const DefaultBuildTimeout = 5 * time.Minute

// build is the fourth gate: what the edit changes still compiles. Go: the
// affected packages and their test binaries (go build and go test -c in
// the shadow copy); Python: the changed files byte-compile; JavaScript:
// node --check; TypeScript: tsc --noEmit where a tsconfig.json and tsc
// exist. Errors the base had too are reported, not blamed on the edit.
func (r *run) build(ctx context.Context, g *Gate) {
	bctx, cancel := gateContext(ctx, r.opts.BuildTimeout, DefaultBuildTimeout)
	defer cancel()
	if _, err := r.ensureShadow(); err != nil {
		broken(g, err)
		return
	}
	var steps []string
	var errs []Finding
	var output []string
	for _, b := range []func(context.Context, *buildResult) error{r.buildGo, r.buildPython, r.buildJS} {
		res := &buildResult{}
		err := b(bctx, res)
		if timedOut(ctx, bctx) {
			limit := r.opts.BuildTimeout
			if limit <= 0 {
				limit = DefaultBuildTimeout
			}
			g.Commands = append(g.Commands, res.commands...)
			fail(g, "the build did not finish within %v (loop.build_timeout) and was killed", limit)
			return
		}
		if err != nil {
			g.Commands = append(g.Commands, res.commands...)
			broken(g, err)
			return
		}
		g.Commands = append(g.Commands, res.commands...)
		steps = append(steps, res.steps...)
		errs = append(errs, res.errors...)
		if res.output != "" {
			output = append(output, res.output)
		}
		g.PreexistingErrors = append(g.PreexistingErrors, res.preexisting...)
	}
	if len(errs) > 0 {
		g.Errors = errs
		g.Output = trimOutput(strings.Join(output, "\n"))
		e := errs[0]
		fail(g, "%d build error%s; first %s:%d:%d: %s", len(errs), plural(len(errs)), e.Path, e.Line, e.Column, e.Message)
		return
	}
	g.OK = true
	if len(steps) == 0 {
		g.Detail = "nothing to build"
		return
	}
	g.Detail = strings.Join(steps, "; ")
}

// buildResult is what one language's build found.
type buildResult struct {
	commands    []string
	steps       []string  // "2 Go packages and 1 test binary compile"
	errors      []Finding // new errors
	preexisting []Finding
	output      string
}

// changedPaths lists the paths the edit touches, before and after.
func (r *run) changedPaths() []string {
	var out []string
	for _, c := range r.changes {
		if c.oldPath != "" {
			out = append(out, c.oldPath)
		}
		if c.newPath != "" && c.newPath != c.oldPath {
			out = append(out, c.newPath)
		}
	}
	return out
}

// ---- Go ----

// goModuleOf returns the directory (workspace path) of the Go module that
// holds rel after the edit, or "" if none does.
func (r *run) goModuleOf(rel string) string {
	for d := path.Dir(rel); ; d = path.Dir(d) {
		if _, err := r.after.File(path.Join(d, "go.mod")); err == nil {
			return d
		}
		if d == "." {
			return ""
		}
	}
}

type goPkg struct {
	ImportPath   string
	Dir          string
	Imports      []string
	TestImports  []string
	XTestImports []string
	TestGoFiles  []string
	XTestGoFiles []string
	Module       *struct{ Path string }
}

func (r *run) buildGo(ctx context.Context, res *buildResult) error {
	// The modules the edit touches, and its directories in each.
	mods := map[string]map[string]bool{} // module dir -> changed package dirs ("*" for all)
	for _, p := range r.changedPaths() {
		isGo := strings.HasSuffix(p, ".go")
		base := path.Base(p)
		if !isGo && base != "go.mod" && base != "go.sum" && base != "go.work" {
			// Data files matter to //go:embed; only where Go code lives.
			if !r.hasGoFiles(path.Dir(p)) {
				continue
			}
		}
		mod := r.goModuleOf(p)
		if mod == "" {
			continue
		}
		if mods[mod] == nil {
			mods[mod] = map[string]bool{}
		}
		if (base == "go.mod" || base == "go.sum") && path.Dir(p) == mod {
			mods[mod]["*"] = true
		} else {
			mods[mod][path.Dir(p)] = true
		}
	}
	if len(mods) == 0 {
		return nil
	}
	if _, err := exec.LookPath("go"); err != nil {
		return errors.New("the go command is not installed")
	}
	var modDirs []string
	for m := range mods {
		modDirs = append(modDirs, m)
	}
	sort.Strings(modDirs)
	npkgs, ntests := 0, 0
	var outputs []string
	for _, mod := range modDirs {
		dir := r.shadow.abs(mod)
		pkgs, err := r.goList(ctx, dir, res)
		if err != nil {
			return err
		}
		build, tests := affectedGo(pkgs, dir, r.shadow.dir, mods[mod])
		if len(build) == 0 && len(tests) == 0 {
			continue
		}
		flags := r.opts.Tests.Go.Flags
		var out []byte
		var failed bool
		if len(build) > 0 {
			args := append(append([]string{"go", "build"}, flags...), build...)
			o, err := r.goCommand(ctx, dir, res, args)
			if err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
			out, failed = append(out, o...), failed || err != nil
		}
		if len(tests) > 0 {
			bin := filepath.Join(r.tmp, "testbin", strconv.Itoa(len(res.commands)))
			args := append(append([]string{"go", "test", "-c", "-o", bin + string(filepath.Separator)}, flags...), tests...)
			o, err := r.goCommand(ctx, dir, res, args)
			if err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
			out, failed = append(out, o...), failed || err != nil
			os.RemoveAll(bin)
		}
		npkgs += len(build)
		ntests += len(tests)
		if !failed {
			continue
		}
		found := goErrors(string(out), dir, r.shadow.dir)
		if len(found) == 0 {
			found = []Finding{{Path: mod, Message: firstLine(string(out))}}
		}
		// Errors that the base has too are not the edit's.
		before, err := r.baseGoErrors(ctx, mod, build, tests)
		if err != nil {
			return err
		}
		for _, f := range found {
			k := f.Path + "\x00" + f.Message
			if before[k] > 0 {
				before[k]--
				res.preexisting = append(res.preexisting, f)
				continue
			}
			res.errors = append(res.errors, f)
		}
		outputs = append(outputs, string(out))
	}
	res.output = strings.Join(outputs, "\n")
	if npkgs+ntests > 0 {
		res.steps = append(res.steps, fmt.Sprintf("Go: %d package%s and %d test binar%s compile", npkgs, plural(npkgs), ntests, map[bool]string{true: "y", false: "ies"}[ntests == 1]))
	}
	return nil
}

func (r *run) hasGoFiles(dir string) bool {
	entries, err := os.ReadDir(r.shadow.abs(dir))
	if err != nil {
		return false
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".go") {
			return true
		}
	}
	return false
}

func (r *run) goCommand(ctx context.Context, dir string, res *buildResult, args []string) ([]byte, error) {
	res.commands = append(res.commands, strings.Join(args, " "))
	return r.sb.run(ctx, dir, nil, args...)
}

// goList lists the module's packages in dir, as the edit leaves them.
func (r *run) goList(ctx context.Context, dir string, res *buildResult) ([]goPkg, error) {
	args := []string{"go", "list", "-e", "-json=ImportPath,Dir,Imports,TestImports,XTestImports,TestGoFiles,XTestGoFiles,Module"}
	args = append(args, r.opts.Tests.Go.Flags...)
	args = append(args, "./...")
	out, err := r.goCommand(ctx, dir, res, args)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// go list -e fails only when the module itself is unusable (a
		// broken go.mod): the build step reports that as the edit's error.
		return nil, nil
	}
	var pkgs []goPkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p goPkg
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("go list: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// affectedGo returns the packages to build and the packages whose test
// binaries to compile: those in the changed directories and, transitively,
// those that import them. changed holds workspace directories, or "*".
func affectedGo(pkgs []goPkg, modDir, shadowDir string, changed map[string]bool) (build, tests []string) {
	if len(pkgs) == 0 {
		// go list could not read the module: build everything, and let
		// the go command say why.
		return []string{"./..."}, nil
	}
	hit := map[string]bool{}
	for _, p := range pkgs {
		rel, err := filepath.Rel(shadowDir, p.Dir)
		if err != nil {
			continue
		}
		if changed["*"] || changed[filepath.ToSlash(rel)] {
			hit[p.ImportPath] = true
		}
	}
	// Import paths of directories the edit emptied: their importers break.
	modPath := ""
	for _, p := range pkgs {
		if p.Module != nil {
			modPath = p.Module.Path
			break
		}
	}
	modRel, _ := filepath.Rel(shadowDir, modDir)
	for d := range changed {
		if d == "*" || modPath == "" {
			continue
		}
		rel, err := filepath.Rel(modRel, filepath.FromSlash(d))
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		ip := modPath
		if rel != "." {
			ip = modPath + "/" + filepath.ToSlash(rel)
		}
		hit[ip] = true
	}
	for grew := true; grew; {
		grew = false
		for _, p := range pkgs {
			if hit[p.ImportPath] {
				continue
			}
			for _, imp := range p.Imports {
				if hit[imp] {
					hit[p.ImportPath], grew = true, true
					break
				}
			}
		}
	}
	exists := map[string]bool{}
	for _, p := range pkgs {
		exists[p.ImportPath] = true
		if hit[p.ImportPath] {
			build = append(build, p.ImportPath)
		}
		if len(p.TestGoFiles)+len(p.XTestGoFiles) == 0 {
			continue
		}
		if hit[p.ImportPath] || anyHit(p.TestImports, hit) || anyHit(p.XTestImports, hit) {
			tests = append(tests, p.ImportPath)
		}
	}
	sort.Strings(build)
	sort.Strings(tests)
	return build, tests
}

func anyHit(imports []string, hit map[string]bool) bool {
	for _, i := range imports {
		if hit[i] {
			return true
		}
	}
	return false
}

var goErrLine = regexp.MustCompile(`^(\S+?\.go):(\d+)(?::(\d+))?: (.+)$`)

// goErrors reads file:line:col: message lines of the go command's output,
// with paths made workspace paths.
func goErrors(out, dir, shadowDir string) []Finding {
	var fs []Finding
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := goErrLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		p := m[1]
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		rel, err := filepath.Rel(shadowDir, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			rel = m[1]
		}
		line, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		f := Finding{Path: filepath.ToSlash(rel), Line: line, Column: col, Severity: "error", Code: "build", Message: m[4]}
		k := fmt.Sprint(f)
		if !seen[k] {
			seen[k] = true
			fs = append(fs, f)
		}
	}
	return fs
}

// baseGoErrors compiles the same packages as the workspace was before the
// edit (in place, read-only, with the base's unsaved files as an overlay)
// and returns its errors by path and message.
func (r *run) baseGoErrors(ctx context.Context, mod string, build, tests []string) (map[string]int, error) {
	dir := r.base.Abs(mod)
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return nil, nil // the edit creates the module
	}
	overlay, err := goOverlay(r.base, r.tmp)
	if err != nil {
		return nil, err
	}
	var flags []string
	if overlay != "" {
		flags = []string{"-overlay=" + overlay}
	}
	flags = append(flags, r.opts.Tests.Go.Flags...)
	var out []byte
	for _, cmd := range [][]string{
		append(append([]string{"go", "build"}, flags...), build...),
		append(append([]string{"go", "test", "-c", "-o", filepath.Join(r.tmp, "basebin") + string(filepath.Separator)}, flags...), tests...),
	} {
		if len(cmd) == 2+len(flags) || (cmd[1] == "test" && len(tests) == 0) {
			continue
		}
		o, _ := r.sb.run(ctx, dir, nil, cmd...)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		out = append(out, o...)
	}
	os.RemoveAll(filepath.Join(r.tmp, "basebin"))
	before := map[string]int{}
	for _, f := range goErrors(string(out), dir, r.base.Root()) {
		before[f.Path+"\x00"+f.Message]++
	}
	return before, nil
}

// goOverlay writes the go command's -overlay file for a snapshot's unsaved
// Go files, or returns "" when it has none.
func goOverlay(snap *analysis.Snapshot, tmp string) (string, error) {
	type overlayJSON struct{ Replace map[string]string }
	o := overlayJSON{Replace: map[string]string{}}
	dir := filepath.Join(tmp, "base-overlay")
	for i, p := range snap.Overlays() {
		if !strings.HasSuffix(p, ".go") {
			continue
		}
		f, err := snap.File(p)
		if err != nil {
			return "", err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
		name := filepath.Join(dir, fmt.Sprintf("%d.go", i))
		if err := os.WriteFile(name, f.Content, 0o600); err != nil {
			return "", err
		}
		o.Replace[snap.Abs(p)] = name
	}
	for _, p := range snap.Deleted() {
		if strings.HasSuffix(p, ".go") {
			o.Replace[snap.Abs(p)] = ""
		}
	}
	if len(o.Replace) == 0 {
		return "", nil
	}
	data, err := json.Marshal(o)
	if err != nil {
		return "", err
	}
	name := filepath.Join(tmp, "base-overlay.json")
	return name, os.WriteFile(name, data, 0o600)
}

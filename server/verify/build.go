package verify

import (
	"bytes"
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
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// DefaultBuildTimeout bounds the build gate when Options.BuildTimeout is zero.
const DefaultBuildTimeout = 5 * time.Minute

// build is the fourth gate: what the edit changes still compiles. Go: every
// package of the touched modules with its tests (go list -e -export -test in
// the shadow copy: the compiler without the linker, with the tests gate's
// coverage flags so that its go test compiles nothing again); Python: the changed
// files byte-compile; JavaScript: node --check; TypeScript: tsc --noEmit
// where a tsconfig.json and tsc exist. Errors the base has too are
// reported, not blamed on the edit.
func (r *run) build(ctx context.Context, g *Gate) {
	defer r.built()
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
		g.Output = testrun.TrimOutput(strings.Join(output, "\n"))
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

// goPkg is what go list -e -export -test says of a package.
type goPkg struct {
	ImportPath string
	Export     string
	Error      *struct{ Err string }
}

// buildGo compiles every package of each module the edit touches, with
// its tests, through go list -e -export -test: the compiler runs on the
// packages, their test variants and the test mains, writing export data
// and no binaries, and the build cache (keyed by content: the shadow's path
// is stable) makes the packages the edit does not affect free. Errors that
// the base has too are not the edit's. Link errors are not looked for.
func (r *run) buildGo(ctx context.Context, res *buildResult) error {
	mods := map[string]bool{}
	for _, p := range r.changedPaths() {
		base := path.Base(p)
		if !strings.HasSuffix(p, ".go") && base != "go.mod" && base != "go.sum" && base != "go.work" && !r.hasGoFiles(path.Dir(p)) {
			continue // data files matter to //go:embed only where Go code lives
		}
		if mod := r.goModuleOf(p); mod != "" {
			mods[mod] = true
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
	npkgs := 0
	var outputs []string
	for _, mod := range modDirs {
		// The tests gate's coverage flags: the compile here is the one its
		// go test then finds in the sandbox's build cache (compile once).
		cover, err := testrun.GoCoverFlags(r.shadow.snapshot(), mod, r.opts.Tests)
		if err != nil {
			cover = nil // the go command reports what go/build could not read
		}
		found, n, out, err := r.goCompile(ctx, r.shadow.abs(mod), cover, res)
		if err != nil {
			return err
		}
		npkgs += n
		if len(found) == 0 {
			continue
		}
		outputs = append(outputs, out)
		before := map[string]int{}
		if _, err := os.Stat(r.base.Abs(path.Join(mod, "go.mod"))); err == nil {
			overlay, err := goOverlay(r.base, r.tmp)
			if err != nil {
				return err
			}
			var flags []string
			if overlay != "" {
				flags = []string{"-overlay=" + overlay}
			}
			// The unedited workspace: without the edited view bound over it.
			bf, _, _, err := r.goCompileIn(ctx, r.sb.withoutView(), r.base.Abs(mod), flags, res)
			if err != nil {
				return err
			}
			for _, f := range bf {
				before[f.Path+"\x00"+f.Message]++
			}
		}
		for _, f := range found {
			f.Path = path.Join(mod, f.Path)
			k := f.Path + "\x00" + f.Message
			if before[k] > 0 {
				before[k]--
				res.preexisting = append(res.preexisting, f)
				continue
			}
			res.errors = append(res.errors, f)
		}
	}
	res.output = strings.Join(outputs, "\n")
	if npkgs > 0 {
		res.steps = append(res.steps, fmt.Sprintf("Go: %d package%s and their tests compile", npkgs, plural(npkgs)))
	}
	return nil
}

// goCompile compiles the module in dir and returns its compile errors
// (paths relative to dir), how many packages compiled, and the errors'
// text.
func (r *run) goCompile(ctx context.Context, dir string, flags []string, res *buildResult) ([]Finding, int, string, error) {
	return r.goCompileIn(ctx, r.sb, dir, flags, res)
}

// goCompileIn is goCompile in the sandbox sb.
func (r *run) goCompileIn(ctx context.Context, sb *sandbox, dir string, flags []string, res *buildResult) ([]Finding, int, string, error) {
	args := []string{"go", "list", "-e", "-export", "-test", "-json=ImportPath,Export,Error"}
	args = append(args, flags...)
	args = append(args, r.opts.Tests.Go.Flags...)
	args = append(args, "./...")
	res.commands = append(res.commands, strings.Join(args, " "))
	out, err := sb.run(ctx, dir, nil, args...)
	if ctx.Err() != nil {
		return nil, 0, "", ctx.Err()
	}
	var found []Finding
	var text []string
	seen := map[string]bool{}
	add := func(fs []Finding) {
		for _, f := range fs {
			k := fmt.Sprint(f)
			if !seen[k] {
				seen[k] = true
				found = append(found, f)
			}
		}
	}
	n := 0
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p goPkg
		if derr := dec.Decode(&p); derr != nil {
			break // the go command's own complaint, below
		}
		if p.Export != "" && !strings.HasSuffix(p.ImportPath, ".test") && !strings.Contains(p.ImportPath, " [") {
			n++
		}
		if p.Error != nil && p.Error.Err != "" {
			fs := goErrors(p.Error.Err)
			for i := range fs {
				if filepath.IsAbs(fs[i].Path) {
					if rel, err := filepath.Rel(dir, fs[i].Path); err == nil {
						fs[i].Path = filepath.ToSlash(rel)
					}
				}
			}
			add(fs)
			if len(fs) > 0 {
				text = append(text, strings.TrimSpace(p.Error.Err))
			}
		}
	}
	if err != nil && len(found) == 0 {
		// go list -e fails as a whole only when the module is unusable (a
		// broken go.mod, a missing module): the edit's error unless the base
		// has it too.
		msg := strings.TrimSpace(string(out))
		if i := bytes.LastIndex(out, []byte("\n}\n")); i >= 0 {
			msg = strings.TrimSpace(string(out[i+3:]))
		}
		found = append(found, Finding{Path: "go.mod", Severity: "error", Code: "build", Message: firstLine(msg)})
		text = append(text, msg)
	}
	return found, n, strings.Join(text, "\n"), nil
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

var goErrLine = regexp.MustCompile(`^(\S+?\.go):(\d+)(?::(\d+))?: (.+)$`)

// goErrors reads the file:line:col: message lines of compiler output, with
// paths as the go command prints them (relative to where it ran).
func goErrors(out string) []Finding {
	var fs []Finding
	// strings.Lines, not a bufio.Scanner: no line is too long to read.
	for line := range strings.Lines(out) {
		m := goErrLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		line, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		fs = append(fs, Finding{Path: filepath.ToSlash(path.Clean(m[1])), Line: line, Column: col, Severity: "error", Code: "build", Message: m[4]})
	}
	return fs
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

package verify

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// pyCompile byte-compiles each file named after the output directory and
// prints FILE:LINE:COL: MESSAGE for each that does not compile.
const pyCompile = `import os, py_compile, sys
out = sys.argv[1]
for i, f in enumerate(sys.argv[2:]):
    try:
        py_compile.compile(f, cfile=os.path.join(out, "%d.pyc" % i), doraise=True)
    except py_compile.PyCompileError as e:
        x = e.exc_value
        msg = getattr(x, "msg", None) or str(x)
        print("%s:%d:%d: %s" % (f, getattr(x, "lineno", 0) or 0, getattr(x, "offset", 0) or 0, msg))
`

// python3 finds an interpreter for byte-compiling: Debian's, else the first
// python3 on PATH.
func python3() string {
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	p, _ := exec.LookPath("python3")
	return p
}

// changedFiles lists the changed files after the edit whose extension is
// one of exts.
func (r *run) changedFiles(exts ...string) []string {
	var out []string
	for _, c := range r.changes {
		if c.newPath == "" {
			continue
		}
		for _, e := range exts {
			if path.Ext(c.newPath) == e {
				out = append(out, c.newPath)
				break
			}
		}
	}
	return out
}

// oldContent is a changed file's content before the edit, or nil.
func (r *run) oldContent(newPath string) []byte {
	for _, c := range r.changes {
		if c.newPath == newPath && c.oldPath != "" {
			return c.old
		}
	}
	return nil
}

func (r *run) buildPython(ctx context.Context, res *buildResult) error {
	files := r.changedFiles(".py")
	if len(files) == 0 {
		return nil
	}
	py := python3()
	if py == "" {
		res.steps = append(res.steps, "Python: not checked (no python3)")
		return nil
	}
	check := func(dir string, files []string) ([]Finding, error) {
		out := filepath.Join(r.tmp, "pyc")
		if err := os.MkdirAll(out, 0o700); err != nil {
			return nil, err
		}
		defer os.RemoveAll(out)
		args := append([]string{py, "-c", pyCompile, out}, files...)
		res.commands = append(res.commands, py+" -m py_compile "+strings.Join(files, " "))
		o, err := r.sb.run(ctx, dir, []string{"PYTHONDONTWRITEBYTECODE=1"}, args...)
		if err != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil && len(o) == 0 {
			return nil, fmt.Errorf("%s: %v", py, err)
		}
		return lineFindings(string(o), "py_compile"), nil
	}
	found, err := check(r.shadow.dir, files)
	if err != nil {
		return err
	}
	res.steps = append(res.steps, fmt.Sprintf("Python: %d file%s byte-compile", len(files), plural(len(files))))
	return r.keepNew(ctx, res, found, check)
}

// keepNew sorts findings into the edit's and those the file had before
// (checked by running check on the old versions of the files involved).
func (r *run) keepNew(ctx context.Context, res *buildResult, found []Finding, check func(dir string, files []string) ([]Finding, error)) error {
	if len(found) == 0 {
		return nil
	}
	oldDir := filepath.Join(r.tmp, "old")
	var olds []string
	seen := map[string]bool{}
	for _, f := range found {
		old := r.oldContent(f.Path)
		if old == nil || seen[f.Path] {
			continue
		}
		seen[f.Path] = true
		p := filepath.Join(oldDir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(p, old, 0o600); err != nil {
			return err
		}
		olds = append(olds, f.Path)
	}
	before := map[string]int{}
	if len(olds) > 0 {
		bf, err := check(oldDir, olds)
		if err != nil {
			return err
		}
		for _, f := range bf {
			before[f.Path+"\x00"+f.Message]++
		}
	}
	os.RemoveAll(oldDir)
	for _, f := range found {
		k := f.Path + "\x00" + f.Message
		if before[k] > 0 {
			before[k]--
			res.preexisting = append(res.preexisting, f)
			continue
		}
		res.errors = append(res.errors, f)
	}
	return nil
}

var fileLineCol = regexp.MustCompile(`^(.+?):(\d+):(\d+): (.+)$`)

func lineFindings(out, code string) []Finding {
	var fs []Finding
	// strings.Lines, not a bufio.Scanner: no line is too long to read.
	for line := range strings.Lines(out) {
		m := fileLineCol.FindStringSubmatch(strings.TrimRight(line, "\r\n"))
		if m == nil {
			continue
		}
		line, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		fs = append(fs, Finding{Path: m[1], Line: line, Column: col, Severity: "error", Code: code, Message: m[4]})
	}
	return fs
}

func (r *run) buildJS(ctx context.Context, res *buildResult) error {
	js := r.changedFiles(".js", ".mjs", ".cjs")
	ts := r.changedFiles(".ts", ".mts", ".cts", ".tsx")
	if len(js) == 0 && len(ts) == 0 {
		return nil
	}
	if len(js) > 0 {
		node, err := exec.LookPath("node")
		if err != nil {
			res.steps = append(res.steps, "JavaScript: not checked (no node)")
		} else {
			check := func(dir string, files []string) ([]Finding, error) {
				var fs []Finding
				for _, f := range files {
					res.commands = append(res.commands, "node --check "+f)
					o, err := r.sb.run(ctx, dir, nil, node, "--check", f)
					if ctx.Err() != nil {
						return nil, ctx.Err()
					}
					if err != nil {
						fs = append(fs, nodeCheckError(f, string(o)))
					}
				}
				return fs, nil
			}
			found, err := check(r.shadow.dir, js)
			if err != nil {
				return err
			}
			res.steps = append(res.steps, fmt.Sprintf("JavaScript: %d file%s pass node --check", len(js), plural(len(js))))
			if err := r.keepNew(ctx, res, found, check); err != nil {
				return err
			}
		}
	}
	if len(ts) > 0 {
		return r.buildTS(ctx, res, ts)
	}
	return nil
}

var jsErrorLine = regexp.MustCompile(`^(\w*Error): (.*)$`)

// nodeCheckError reads node --check's report: "FILE:LINE", the line, a
// caret, and "SyntaxError: message".
func nodeCheckError(file, out string) Finding {
	f := Finding{Path: file, Severity: "error", Code: "node-check", Message: strings.TrimSpace(firstLine(out))}
	for _, l := range strings.Split(out, "\n") {
		if i := strings.LastIndexByte(l, ':'); i > 0 && f.Line == 0 && strings.HasSuffix(l[:i], file) {
			f.Line, _ = strconv.Atoi(strings.TrimSpace(l[i+1:]))
		}
		if m := jsErrorLine.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			f.Message = m[0]
			break
		}
	}
	return f
}

var tscErr = regexp.MustCompile(`^(.+?)\((\d+),(\d+)\): error (TS\d+): (.+)$`)

// buildTS runs tsc --noEmit on the projects (directories with a
// tsconfig.json) that hold the changed TypeScript files.
func (r *run) buildTS(ctx context.Context, res *buildResult, files []string) error {
	projects := map[string]bool{}
	var loose []string
	for _, f := range files {
		dir := ""
		for d := path.Dir(f); ; d = path.Dir(d) {
			if _, err := r.after.File(path.Join(d, "tsconfig.json")); err == nil {
				dir = d
				break
			}
			if d == "." {
				break
			}
		}
		if dir == "" {
			loose = append(loose, f)
			continue
		}
		projects[dir] = true
	}
	var dirs []string
	for d := range projects {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	checked := 0
	for _, d := range dirs {
		tsc := findTSC(r.shadow.abs(d), r.shadow.dir)
		if tsc == "" {
			loose = append(loose, d+"/tsconfig.json")
			continue
		}
		run := func(dir string) ([]Finding, error) {
			res.commands = append(res.commands, "tsc --noEmit -p "+d)
			o, err := r.sb.run(ctx, dir, nil, tsc, "--noEmit", "--pretty", "false", "-p", ".")
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var fs []Finding
			for _, l := range strings.Split(string(o), "\n") {
				m := tscErr.FindStringSubmatch(strings.TrimSpace(l))
				if m == nil {
					continue
				}
				line, _ := strconv.Atoi(m[2])
				col, _ := strconv.Atoi(m[3])
				fs = append(fs, Finding{Path: path.Join(d, filepath.ToSlash(m[1])), Line: line, Column: col, Severity: "error", Code: m[4], Message: m[5]})
			}
			if err != nil && len(fs) == 0 {
				fs = append(fs, Finding{Path: d + "/tsconfig.json", Severity: "error", Code: "tsc", Message: firstLine(string(o))})
			}
			return fs, nil
		}
		found, err := run(r.shadow.abs(d))
		if err != nil {
			return err
		}
		checked++
		if len(found) == 0 {
			continue
		}
		// tsc checks the whole project: what it says about the base too is not the edit's.
		before := map[string]int{}
		if _, err := os.Stat(r.base.Abs(path.Join(d, "tsconfig.json"))); err == nil && len(r.base.Overlays()) == 0 {
			bf, err := run(r.base.Abs(d))
			if err != nil {
				return err
			}
			for _, f := range bf {
				before[f.Path+"\x00"+f.Code+"\x00"+f.Message]++
			}
		}
		for _, f := range found {
			k := f.Path + "\x00" + f.Code + "\x00" + f.Message
			if before[k] > 0 {
				before[k]--
				res.preexisting = append(res.preexisting, f)
				continue
			}
			res.errors = append(res.errors, f)
		}
	}
	if checked > 0 {
		res.steps = append(res.steps, fmt.Sprintf("TypeScript: %d project%s pass tsc --noEmit", checked, plural(checked)))
	}
	if len(loose) > 0 {
		res.steps = append(res.steps, fmt.Sprintf("TypeScript: %d file%s not type-checked (no tsconfig.json and tsc)", len(loose), plural(len(loose))))
	}
	return nil
}

// findTSC looks for node_modules/.bin/tsc from dir up to top, then on PATH.
func findTSC(dir, top string) string {
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "node_modules", ".bin", "tsc")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		if d == top || d == filepath.Dir(d) {
			break
		}
	}
	p, _ := exec.LookPath("tsc")
	return p
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

package testrun

import (
	"bytes"
	"fmt"
	"go/build"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/modfile"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	"github.com/gauntlet-dev/gauntlet/analysis/goenv"
)

// goPackage is one package of a module, as go/build reads it through the
// snapshot (its overlays and deletions included).
type goPackage struct {
	ImportPath string
	Rel        string // directory, relative to the workspace root
	Name       string
	GoFiles    []string // non-test .go files compiled in this configuration (base names)
	TestFiles  []string // _test.go files, internal and external
	Imports    []string // of the non-test files
	TestDeps   []string // imports of the test files
	Err        error    // a package go/build could only partly read
}

// goModule is one Go module: its directory and packages.
type goModule struct {
	Path     string // module path
	Rel      string // directory relative to the workspace root
	Packages []*goPackage
	byPath   map[string]*goPackage
}

// readModulePath reads the module path of a go.mod; "" if it has none.
func readModulePath(content []byte) string {
	p, _ := parseModulePath("go.mod", content)
	return p
}

// parseModulePath reads the module path of the go.mod named name, as the go
// command parses it (golang.org/x/mod/modfile); an error names the file and
// line.
func parseModulePath(name string, content []byte) (string, error) {
	f, err := modfile.ParseLax(name, content, nil)
	if err != nil {
		return "", err
	}
	if f.Module == nil || f.Module.Mod.Path == "" {
		return "", fmt.Errorf("%s: no module line", name)
	}
	return f.Module.Mod.Path, nil
}

// snapFS lists and reads directories through a snapshot: the disk, with
// overlaid files added and deleted files removed.
type snapFS struct{ snap *analysis.Snapshot }

type fakeInfo struct {
	name string
	size int64
}

func (f fakeInfo) Name() string       { return f.name }
func (f fakeInfo) Size() int64        { return f.size }
func (f fakeInfo) Mode() fs.FileMode  { return 0o644 }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return false }
func (f fakeInfo) Sys() any           { return nil }

// readDir lists the entries of the workspace directory rel.
func (s snapFS) readDir(rel string) ([]fs.FileInfo, error) {
	ents, err := os.ReadDir(s.snap.Abs(rel))
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	deleted := map[string]bool{}
	for _, d := range s.snap.Deleted() {
		deleted[d] = true
	}
	seen := map[string]bool{}
	var out []fs.FileInfo
	for _, e := range ents {
		p := path.Join(rel, e.Name())
		if deleted[p] {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		seen[e.Name()] = true
		out = append(out, info)
	}
	for _, o := range s.snap.Overlays() {
		if path.Dir(o) == path.Clean(rel) && !seen[path.Base(o)] {
			f, err := s.snap.File(o)
			if err == nil {
				out = append(out, fakeInfo{path.Base(o), int64(len(f.Content))})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

func (s snapFS) read(rel string) ([]byte, error) {
	f, err := s.snap.File(rel)
	if err != nil {
		return nil, err
	}
	return f.Content, nil
}

// buildContext reads packages through the snapshot, with the build tags of
// the settings' flags.
func buildContext(snap *analysis.Snapshot, flags []string) *build.Context {
	ctx := build.Default
	ctx.BuildTags = append([]string(nil), ctx.BuildTags...)
	for _, f := range flags {
		if tags, ok := strings.CutPrefix(f, "-tags="); ok {
			ctx.BuildTags = append(ctx.BuildTags, strings.FieldsFunc(tags, func(r rune) bool { return r == ',' || r == ' ' })...)
		}
	}
	sfs := snapFS{snap}
	rel := func(abs string) (string, error) { return snap.Rel(abs) }
	ctx.ReadDir = func(dir string) ([]fs.FileInfo, error) {
		r, err := rel(dir)
		if err != nil {
			return nil, err
		}
		return sfs.readDir(r)
	}
	ctx.OpenFile = func(p string) (io.ReadCloser, error) {
		r, err := rel(p)
		if err != nil {
			return nil, err
		}
		data, err := sfs.read(r)
		if err != nil {
			return nil, err
		}
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	return &ctx
}

// skipDir reports directories the go command ignores.
func skipDir(name string) bool {
	return name == "testdata" || name == "vendor" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// loadModule reads the module at rel (the directory holding go.mod).
func loadModule(snap *analysis.Snapshot, rel string, flags []string) (*goModule, error) {
	sfs := snapFS{snap}
	gomod, err := sfs.read(path.Join(rel, "go.mod"))
	if err != nil {
		return nil, err
	}
	modPath, err := parseModulePath(path.Join(rel, "go.mod"), gomod)
	if err != nil {
		return nil, err
	}
	mod := &goModule{Path: modPath, Rel: rel, byPath: map[string]*goPackage{}}
	bctx := buildContext(snap, flags)
	var walk func(dir string) error
	walk = func(dir string) error {
		ents, err := sfs.readDir(dir)
		if err != nil {
			return err
		}
		hasGo := false
		for _, e := range ents {
			if e.IsDir() {
				if skipDir(e.Name()) {
					continue
				}
				sub := path.Join(dir, e.Name())
				if _, err := os.Stat(snap.Abs(path.Join(sub, "go.mod"))); err == nil {
					continue // a nested module
				}
				if err := walk(sub); err != nil {
					return err
				}
			} else if strings.HasSuffix(e.Name(), ".go") {
				hasGo = true
			}
		}
		if !hasGo {
			return nil
		}
		bp, err := bctx.ImportDir(snap.Abs(dir), 0)
		if _, ok := err.(*build.NoGoError); ok {
			return nil
		}
		ip := mod.Path
		if r := relTo(rel, dir); r != "." {
			ip = mod.Path + "/" + r
		}
		p := &goPackage{ImportPath: ip, Rel: dir, Err: err}
		if bp != nil {
			p.Name = bp.Name
			p.GoFiles = append(append(p.GoFiles, bp.GoFiles...), bp.CgoFiles...)
			p.TestFiles = append(append(p.TestFiles, bp.TestGoFiles...), bp.XTestGoFiles...)
			p.Imports = bp.Imports
			p.TestDeps = append(append([]string(nil), bp.TestImports...), bp.XTestImports...)
		}
		mod.Packages = append(mod.Packages, p)
		mod.byPath[ip] = p
		return nil
	}
	if err := walk(rel); err != nil {
		return nil, err
	}
	return mod, nil
}

// relTo is target relative to base, both workspace-relative slash paths.
func relTo(base, target string) string {
	if base == "." {
		return target
	}
	if target == base {
		return "."
	}
	return strings.TrimPrefix(target, base+"/")
}

// deps returns the module's packages that p's tests (or, with tests false,
// its non-test code) import, directly or not, p itself included, sorted.
func (m *goModule) deps(p *goPackage, tests bool) []*goPackage {
	seen := map[string]bool{}
	var out []*goPackage
	var visit func(q *goPackage, imports []string)
	visit = func(q *goPackage, imports []string) {
		if seen[q.ImportPath] {
			return
		}
		seen[q.ImportPath] = true
		out = append(out, q)
		for _, ip := range imports {
			if dep := m.byPath[ip]; dep != nil {
				visit(dep, dep.Imports)
			}
		}
	}
	imports := p.Imports
	if tests {
		imports = append(append([]string(nil), p.Imports...), p.TestDeps...)
	}
	visit(p, imports)
	sort.Slice(out, func(i, j int) bool { return out[i].ImportPath < out[j].ImportPath })
	return out
}

// importers returns the packages whose tests depend on p, p included.
func (m *goModule) importers(p *goPackage) []*goPackage {
	var out []*goPackage
	for _, q := range m.Packages {
		for _, d := range m.deps(q, true) {
			if d == p {
				out = append(out, q)
				break
			}
		}
	}
	return out
}

// packageOf returns the package whose directory holds the workspace file,
// or the nearest package above it (a testdata file belongs to its package).
func (m *goModule) packageOf(file string) *goPackage {
	for dir := path.Dir(file); ; dir = path.Dir(dir) {
		for _, p := range m.Packages {
			if p.Rel == dir {
				return p
			}
		}
		if dir == m.Rel || dir == "." || dir == "/" {
			return nil
		}
	}
}

// key hashes everything a package's per-test coverage depends on: the Go
// version and flags, go.mod and go.sum, and the files of the package and of
// every module package its tests import (testdata included for the package
// itself).
func (m *goModule) key(snap *analysis.Snapshot, p *goPackage, goVersion string, flags []string) (string, error) {
	sfs := snapFS{snap}
	parts := []string{"go-map-v1", goVersion, strings.Join(flags, " "), os.Getenv("GOFLAGS"), build.Default.GOOS, build.Default.GOARCH}
	for _, f := range []string{"go.mod", "go.sum"} {
		data, _ := sfs.read(path.Join(m.Rel, f))
		parts = append(parts, f, string(data))
	}
	var addDir func(dir string, recursive bool) error
	addDir = func(dir string, recursive bool) error {
		ents, err := sfs.readDir(dir)
		if err != nil {
			return err
		}
		for _, e := range ents {
			p := path.Join(dir, e.Name())
			if e.IsDir() {
				if recursive || e.Name() == "testdata" {
					if err := addDir(p, true); err != nil {
						return err
					}
				}
				continue
			}
			if !e.Mode().IsRegular() {
				continue
			}
			data, err := sfs.read(p)
			if err != nil {
				return err
			}
			parts = append(parts, p, string(data))
		}
		return nil
	}
	for _, d := range m.deps(p, true) {
		if err := addDir(d.Rel, false); err != nil {
			return "", err
		}
	}
	return coverage.Key(parts...), nil
}

// goVersion is the go command's version: part of every content key.
func goVersion() (string, error) { return goenv.Var("GOVERSION") }

// findGoModules lists the modules that contain or lie under the paths.
func findGoModules(snap *analysis.Snapshot, paths []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(rel string) {
		if !seen[rel] {
			seen[rel] = true
			out = append(out, rel)
		}
	}
	for _, p := range paths {
		rel, err := snap.Rel(p)
		if err != nil {
			return nil, err
		}
		abs := snap.Abs(rel)
		info, err := os.Stat(abs)
		dir := rel
		if err != nil || !info.IsDir() {
			dir = path.Dir(rel)
		}
		// The module that contains the path.
		for d := dir; ; d = path.Dir(d) {
			if _, err := os.Stat(snap.Abs(path.Join(d, "go.mod"))); err == nil {
				add(d)
				break
			}
			if d == "." || d == "/" {
				break
			}
		}
		if err != nil || !info.IsDir() {
			continue
		}
		// Modules below it.
		filepath.WalkDir(abs, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && fp != abs && (skipDir(d.Name())) {
				return filepath.SkipDir
			}
			if !d.IsDir() && d.Name() == "go.mod" {
				if r, err := snap.Rel(filepath.Dir(fp)); err == nil {
					add(r)
				}
			}
			return nil
		})
	}
	sort.Strings(out)
	return out, nil
}

// goOverlay writes the snapshot's overlays and deletions of .go files inside
// the module as a go build -overlay file in dir, and returns its path ("" when
// there are none). Other overlaid files need a materialised copy.
func goOverlay(snap *analysis.Snapshot, modRel, dir string) (string, bool, error) {
	replace := map[string]string{}
	needCopy := false
	for _, o := range snap.Overlays() {
		if !within(modRel, o) {
			continue
		}
		if !strings.HasSuffix(o, ".go") {
			needCopy = true
			continue
		}
		f, err := snap.File(o)
		if err != nil {
			return "", false, err
		}
		tmp := filepath.Join(dir, fmt.Sprintf("overlay-%d-%s", len(replace), path.Base(o)))
		if err := os.WriteFile(tmp, f.Content, 0o644); err != nil {
			return "", false, err
		}
		replace[snap.Abs(o)] = tmp
	}
	for _, d := range snap.Deleted() {
		if within(modRel, d) {
			if strings.HasSuffix(d, ".go") {
				replace[snap.Abs(d)] = ""
			} else {
				needCopy = true
			}
		}
	}
	if len(replace) == 0 {
		return "", needCopy, nil
	}
	var b strings.Builder
	b.WriteString(`{"Replace":{`)
	keys := make([]string, 0, len(replace))
	for k := range replace {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%q", k, replace[k])
	}
	b.WriteString("}}")
	p := filepath.Join(dir, "overlay.json")
	return p, needCopy, os.WriteFile(p, []byte(b.String()), 0o644)
}

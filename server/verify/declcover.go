package verify

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// Go's coverage counts statements, so a changed package-level constant or
// variable (`const maxRetries = 3` made 4) is no line of code to it, and
// the coverage gate used to pass such an edit whether or not a test
// reached it. declCoverage judges it by its uses instead: the changed
// declaration counts as run when a selected test runs a line that uses one
// of its names: in its own package, whose coverage the run always collects,
// and, for an exported name, in the packages of its module that import it
// (testrun.GoImporters), where a file the run did not cover raises no doubt.
//
// Uses are found with go/parser's identifier resolution, not go/types:
// type-checking would need the package's imports compiled, and a name is
// enough here. Where the resolution cannot say (an identifier that names a
// field key, a use in a type or a signature), the doubt counts as run:
// the check only ever adds rejections it is sure of.
type declCoverage struct {
	pkg   *goPackage
	prof  *coverage.Profile
	ran   map[string]bool // test files holding a selected test
	names                 // what is known of each name's uses

	importers func() ([]*importer, bool) // parsed once, when an exported name is judged
}

// importer is a file of another package (or of the package's external
// tests) that imports the package, with the name it imports it as.
type importer struct {
	rel  string
	file *ast.File
	name string // "." for a dot import
}

// useState is what is known of a name's uses.
type useState struct{ used, run bool }

// goPackage is one directory's Go package after the edit, parsed.
type goPackage struct {
	fset  *token.FileSet
	files map[string]*ast.File // workspace-relative path → file (its own package only)
	specs map[*ast.ValueSpec]bool

	load     func() bool // parses the rest, once
	complete bool        // every file of the package parsed
}

// declJudgement is a value spec's: its names and, once judged (judge),
// whether anything uses them and whether a selected test ran a use.
type declJudgement struct {
	names  []string
	judged bool
	useState
}

// newDeclCoverage parses the package of the Go file rel (after the edit).
// ok is false when rel is not Go or the package does not parse.
func (r *run) newDeclCoverage(rel string, prof *coverage.Profile, tests []testrun.Test) (*declCoverage, bool) {
	if !strings.HasSuffix(rel, ".go") || testrun.IsTestFile(rel) || r.after == nil {
		return nil, false
	}
	pkg, ok := r.parseGoPackage(rel)
	if !ok {
		return nil, false
	}
	ran := map[string]bool{}
	for _, t := range tests {
		ran[t.File] = true
	}
	d := &declCoverage{pkg: pkg, prof: prof, ran: ran}
	d.find = d.nameState
	d.importers = sync.OnceValues(func() ([]*importer, bool) { return r.parseImporters(rel, pkg) })
	return d, true
}

// parseImporters parses the files that import rel's package; false when
// they cannot all be read (then an exported name's uses cannot be told).
func (r *run) parseImporters(rel string, pkg *goPackage) ([]*importer, bool) {
	ip, files, err := testrun.GoImporters(r.after, rel)
	if err != nil {
		return nil, false
	}
	own := pkg.files[rel].Name.Name
	var out []*importer
	for _, p := range files {
		f, err := r.after.File(p)
		if err != nil {
			continue
		}
		af, err := parser.ParseFile(pkg.fset, p, f.Content, 0)
		if err != nil {
			return nil, false
		}
		for _, is := range af.Imports {
			if strings.Trim(is.Path.Value, "`\"") != ip {
				continue
			}
			name := own
			if is.Name != nil {
				name = is.Name.Name
			}
			if name != "_" {
				out = append(out, &importer{rel: p, file: af, name: name})
			}
		}
	}
	return out, true
}

// parseGoPackage parses rel (after the edit); the rest of its package is
// parsed when first needed (goPackage.load), since most edits change no
// package-level value.
func (r *run) parseGoPackage(rel string) (*goPackage, bool) {
	pkg := &goPackage{fset: token.NewFileSet(), files: map[string]*ast.File{}, specs: map[*ast.ValueSpec]bool{}}
	parse := func(p string) (*ast.File, bool) {
		f, err := r.after.File(p)
		if err != nil {
			return nil, true // deleted by the edit
		}
		af, err := parser.ParseFile(pkg.fset, p, f.Content, 0) // with object resolution
		return af, err == nil
	}
	own, ok := parse(rel)
	if !ok || own == nil {
		return nil, false
	}
	pkg.files[rel] = own
	pkg.load = func() bool {
		dir := path.Dir(rel)
		names := map[string]bool{}
		if ents, err := os.ReadDir(r.base.Abs(dir)); err == nil {
			for _, e := range ents {
				if !e.IsDir() && strings.HasSuffix(e.Name(), ".go") {
					names[path.Join(dir, e.Name())] = true
				}
			}
		}
		for _, c := range r.changes {
			if c.newPath != "" && path.Dir(c.newPath) == dir && strings.HasSuffix(c.newPath, ".go") {
				names[c.newPath] = true
			}
		}
		for p := range names {
			if p == rel {
				continue
			}
			af, ok := parse(p)
			if !ok {
				return false // its uses cannot be seen
			}
			if af != nil && af.Name.Name == own.Name.Name {
				pkg.files[p] = af
			}
		}
		return true
	}
	pkg.index(own)
	return pkg, true
}

// index records af's package-level value specs.
func (pkg *goPackage) index(af *ast.File) {
	for _, d := range af.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && (gd.Tok == token.CONST || gd.Tok == token.VAR) {
			for _, s := range gd.Specs {
				pkg.specs[s.(*ast.ValueSpec)] = true
			}
		}
	}
}

// all parses the rest of the package once; false if a file of it does not
// parse (then no use can be ruled out).
func (pkg *goPackage) all() bool {
	if pkg.load != nil {
		pkg.complete = pkg.load()
		pkg.load = nil
		for _, af := range pkg.files {
			pkg.index(af)
		}
	}
	return pkg.complete
}

// lines returns, for the changed file rel, the spec of each line that lies
// in a top-level const or var spec (outside any function literal, whose
// body the coverage counts itself), to judge.
func (d *declCoverage) lines(rel string) map[int]*declJudgement {
	af := d.pkg.files[rel]
	out := map[int]*declJudgement{}
	for _, decl := range af.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || (gd.Tok != token.CONST && gd.Tok != token.VAR) {
			continue
		}
		for i, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			names := specNames(vs)
			if gd.Tok == token.CONST {
				// The specs after it without values repeat the last
				// expression, and its iota counts this spec: a change here
				// may change their values too.
				for _, next := range gd.Specs[i+1:] {
					ns := next.(*ast.ValueSpec)
					if len(ns.Values) > 0 {
						break
					}
					names = append(names, specNames(ns)...)
				}
			}
			if len(names) == 0 {
				continue
			}
			j := &declJudgement{names: names}
			start, end := d.pkg.fset.Position(vs.Pos()).Line, d.pkg.fset.Position(vs.End()).Line
			inFunc := funcLitLines(d.pkg.fset, vs)
			for l := start; l <= end; l++ {
				if !inFunc[l] {
					out[l] = j
				}
			}
		}
	}
	return out
}

// names memoises, per name, what is known of its uses: the part of
// judging a value that every language shares. find looks a name's uses up;
// a cycle through values (a = b, b = a) finds nothing more.
type names struct {
	memo map[string]useState
	find func(name string) useState
}

func (n *names) state(name string) useState {
	if st, seen := n.memo[name]; seen {
		return st
	}
	if n.memo == nil {
		n.memo = map[string]useState{}
	}
	n.memo[name] = useState{}
	st := n.find(name)
	n.memo[name] = st
	return st
}

// of is what is known of the uses of any of the names.
func (n *names) of(list []string) useState {
	var st useState
	for _, name := range list {
		s := n.state(name)
		st.used, st.run = st.used || s.used, st.run || s.run
	}
	return st
}

// judge finds j's uses, the first time it is asked.
func (n *names) judge(j *declJudgement) *declJudgement {
	if !j.judged {
		j.judged, j.useState = true, n.of(j.names)
	}
	return j
}

// firstRun is what a list of uses says: used if any, run once one ran.
func firstRun[U any](uses []U, ran func(U) bool) useState {
	st := useState{used: len(uses) > 0}
	for _, u := range uses {
		if ran(u) {
			st.run = true
			break
		}
	}
	return st
}

func (d *declCoverage) nameState(name string) useState {
	if !d.pkg.all() {
		return useState{used: true, run: true} // cannot be told
	}
	var st useState
	for rel, af := range d.pkg.files {
		s := firstRun(d.uses(af, name), func(u use) bool { return d.useRun(rel, u) })
		st.used, st.run = st.used || s.used, s.run
		if st.run {
			break
		}
	}
	if !st.run && ast.IsExported(name) {
		imps, ok := d.importers()
		if !ok {
			st = useState{used: true, run: true} // cannot be told
		}
		for _, imp := range imps {
			if st.run {
				break
			}
			if imp.name == "." {
				st = useState{used: true, run: true} // a dot import: its uses are bare names
				break
			}
			s := firstRun(qualifiedUses(imp, name), func(u use) bool { return d.useRun(imp.rel, u) })
			st.used, st.run = st.used || s.used, s.run
		}
	}
	return st
}

// qualifiedUses lists imp's selectors pkg.name, where pkg is the import's
// name and not a local that shadows it.
func qualifiedUses(imp *importer, name string) []use {
	var out []use
	for _, decl := range imp.file.Decls {
		ast.Inspect(decl, func(n ast.Node) bool {
			if se, ok := n.(*ast.SelectorExpr); ok && se.Sel.Name == name {
				if x, ok := se.X.(*ast.Ident); ok && x.Name == imp.name && x.Obj == nil {
					out = append(out, use{id: se.Sel, decl: decl, foreign: true})
				}
			}
			return true
		})
	}
	return out
}

// use is one identifier naming a package-level value, with the top-level
// declaration it is in.
type use struct {
	id      *ast.Ident
	decl    ast.Decl
	foreign bool // in another package
}

// uses lists the identifiers of af that may name the package-level value
// name: not a declaration's own name, not a selector's field or method,
// and not resolved to a local declaration.
func (d *declCoverage) uses(af *ast.File, name string) []use {
	var out []use
	for _, decl := range af.Decls {
		skip := map[*ast.Ident]bool{}
		ast.Inspect(decl, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				skip[n.Sel] = true
			case *ast.ValueSpec:
				for _, id := range n.Names {
					skip[id] = true
				}
			case *ast.Field:
				for _, id := range n.Names {
					skip[id] = true
				}
			case *ast.FuncDecl:
				skip[n.Name] = true
			case *ast.TypeSpec:
				skip[n.Name] = true
			case *ast.LabeledStmt:
				skip[n.Label] = true
			case *ast.BranchStmt:
				if n.Label != nil {
					skip[n.Label] = true
				}
			case *ast.AssignStmt:
				if n.Tok == token.DEFINE {
					for _, l := range n.Lhs {
						if id, ok := l.(*ast.Ident); ok {
							skip[id] = true
						}
					}
				}
			case *ast.Ident:
				if n.Name != name || skip[n] {
					return true
				}
				if n.Obj != nil {
					// Resolved within the file: a use only if it resolves
					// to a package-level const or var.
					vs, ok := n.Obj.Decl.(*ast.ValueSpec)
					if !ok || !d.pkg.specs[vs] {
						return true
					}
				}
				out = append(out, use{id: n, decl: decl})
			}
			return true
		})
	}
	return out
}

// useRun reports whether a selected test ran the use u in file rel.
func (d *declCoverage) useRun(rel string, u use) bool {
	if testrun.IsTestFile(rel) {
		return d.ran[rel] // a selected test of that file ran
	}
	pos := d.pkg.fset.Position(u.id.Pos())
	switch decl := u.decl.(type) {
	case *ast.FuncDecl:
		if decl.Body == nil || u.id.Pos() < decl.Body.Pos() {
			return true // in a signature: cannot be told
		}
	case *ast.GenDecl:
		if u.foreign {
			return true // another package's value: not followed
		}
		if decl.Tok == token.CONST || decl.Tok == token.VAR {
			// In another package-level value: run if that one is.
			for _, s := range decl.Specs {
				vs := s.(*ast.ValueSpec)
				if vs.Pos() <= u.id.Pos() && u.id.Pos() < vs.End() {
					if inFuncLit(vs, u.id) {
						break // a function literal's body has coverage
					}
					names := specNames(vs)
					if len(names) == 0 {
						return true
					}
					st := d.of(names)
					return st.run || !st.used // dead code runs nowhere: no doubt raised
				}
			}
		} else {
			return true // a type or an import
		}
	}
	cf := d.prof.Files[rel]
	if cf == nil {
		return true // no coverage of that file: cannot be told
	}
	counted := false
	for i, b := range cf.Blocks {
		if inBlock(b, pos.Line, pos.Column) {
			if cf.Hits[i] > 0 {
				return true
			}
			counted = true
		}
	}
	// In no block (a switch's case expression, evaluated before the
	// case's block begins after its colon): cannot be told.
	return !counted
}

// inBlock reports whether the 1-based line and byte column lie in b.
func inBlock(b coverage.Block, line, col int) bool {
	if line < b.StartLine || line > b.EndLine {
		return false
	}
	if b.StartCol == 0 && b.EndCol == 0 {
		return true // line-based coverage
	}
	return (line > b.StartLine || col >= b.StartCol) && (line < b.EndLine || col < b.EndCol)
}

func specNames(vs *ast.ValueSpec) []string {
	var out []string
	for _, id := range vs.Names {
		if id.Name != "_" {
			out = append(out, id.Name)
		}
	}
	return out
}

// funcLitLines are the lines of n's function literals' bodies.
func funcLitLines(fset *token.FileSet, n ast.Node) map[int]bool {
	out := map[int]bool{}
	ast.Inspect(n, func(n ast.Node) bool {
		if fl, ok := n.(*ast.FuncLit); ok {
			for l := fset.Position(fl.Body.Pos()).Line; l <= fset.Position(fl.Body.End()).Line; l++ {
				out[l] = true
			}
		}
		return true
	})
	return out
}

// inFuncLit reports whether id lies in a function literal within n.
func inFuncLit(n ast.Node, id *ast.Ident) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if fl, ok := n.(*ast.FuncLit); ok && fl.Body.Pos() <= id.Pos() && id.Pos() < fl.Body.End() {
			found = true
		}
		return !found
	})
	return found
}

// valueLines judges the changed lines of package- or module-level values
// (see declCoverage): lines gives, for one changed file, the value of each
// such line, and judge finds its uses.
type valueLines interface {
	lines(rel string) map[int]*declJudgement
	judge(j *declJudgement) *declJudgement
}

// treeModule is a Python or JavaScript module after the edit, as
// tree-sitter parses it: what judging the values of the two languages'
// top levels shares.
type treeModule struct {
	rel   string
	src   []byte
	root  *sitter.Node
	prof  *coverage.Profile
	snap  *analysis.Snapshot // after the edit, for other modules' mentions
	specs map[int]*declJudgement
	names
}

// topLines maps each line of a top-level statement that declares values to
// judge (judged's names; none: not one) to its judgement, once.
func (m *treeModule) topLines(judged func(st *sitter.Node) []string) map[int]*declJudgement {
	if m.specs != nil {
		return m.specs
	}
	m.specs = map[int]*declJudgement{}
	for i := 0; i < int(m.root.NamedChildCount()); i++ {
		st := m.root.NamedChild(i)
		names := judged(st)
		if len(names) == 0 {
			continue
		}
		j := &declJudgement{names: names}
		for l := int(st.StartPoint().Row) + 1; l <= int(st.EndPoint().Row)+1; l++ {
			m.specs[l] = j
		}
	}
	return m.specs
}

// topRun reports whether the use u, outside every function, ran: at top
// level it runs at import, but in the value of a top-level statement that
// declares names (in's), it runs when one of those names' uses does.
func (m *treeModule) topRun(u *sitter.Node, in func(st *sitter.Node) []string) bool {
	for n := u; n.Parent() != nil; n = n.Parent() {
		if n.Parent().Equal(m.root) {
			if names := in(n); len(names) > 0 {
				st := m.of(names)
				return st.run || !st.used // dead code runs nowhere: no doubt raised
			}
			break
		}
	}
	return true
}

// moduleTree is the syntax tree of rel after the edit, with its text; nil
// when it cannot be read or holds a syntax error.
func (r *run) moduleTree(ctx context.Context, rel string) ([]byte, *sitter.Node) {
	if r.after == nil {
		return nil, nil
	}
	f, err := r.after.File(rel)
	if err != nil {
		return nil, nil
	}
	tree, err := f.Tree(ctx)
	if err != nil {
		return nil, nil
	}
	if root := tree.RootNode(); !root.HasError() {
		return f.Content, root
	}
	return nil, nil
}

// lineRun reports whether the coverage of a file ran the node's position,
// or whether that cannot be told (no coverage of the file, a position in no
// block).
func lineRun(cf *coverage.File, u *sitter.Node) bool {
	if cf == nil {
		return true
	}
	line, col := int(u.StartPoint().Row)+1, int(u.StartPoint().Column)+1
	counted := false
	for i, b := range cf.Blocks {
		if inBlock(b, line, col) {
			if cf.Hits[i] > 0 {
				return true
			}
			counted = true
		}
	}
	return !counted
}

func isJSFile(rel string) bool {
	l := analysis.LanguageForPath(rel)
	return l != nil && jsLanguages[l.Name]
}

func isPythonFile(rel string) bool {
	l := analysis.LanguageForPath(rel)
	return l != nil && l.Name == "python"
}

// maxMentionScan bounds the files read to look for another module's
// mention of a name; beyond it, the name is not judged.
const maxMentionScan = 5000

// mentionedElsewhere reports whether a file of the workspace other than
// rel, of the kind want accepts, holds name as a word after the edit, or
// whether that cannot be told. Files on disk are read directly, not
// through the snapshot, whose cache outlives this verification in a
// server.
func mentionedElsewhere(snap *analysis.Snapshot, rel, name string, want func(string) bool) bool {
	word := regexp.MustCompile(`\b` + regexp.QuoteMeta(name) + `\b`)
	changed, deleted := map[string]bool{}, map[string]bool{}
	for _, o := range snap.Overlays() {
		changed[o] = true
	}
	for _, d := range snap.Deleted() {
		deleted[d] = true
	}
	holds := func(p string, read func() ([]byte, error)) bool {
		if p == rel || deleted[p] || !want(p) {
			return false
		}
		b, err := read()
		return err != nil || word.Match(b)
	}
	for o := range changed {
		if holds(o, func() ([]byte, error) { return snap.ReadFile(o) }) {
			return true
		}
	}
	ws := snap.Root()
	n, found := 0, false
	err := filepath.WalkDir(ws, func(fp string, d fs.DirEntry, err error) error {
		if err != nil {
			found = true // unreadable: cannot be told
		}
		if found {
			return filepath.SkipAll
		}
		if d.IsDir() {
			if fp != ws && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "__pycache__" || d.Name() == "site-packages" || d.Name() == "venv") {
				return filepath.SkipDir
			}
			return nil
		}
		p, rerr := filepath.Rel(ws, fp)
		p = filepath.ToSlash(p)
		if rerr != nil || changed[p] || !want(p) {
			return nil
		}
		if n++; n > maxMentionScan {
			found = true
			return filepath.SkipAll
		}
		found = holds(p, func() ([]byte, error) { return os.ReadFile(fp) })
		return nil
	})
	return found || err != nil
}

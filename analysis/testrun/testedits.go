package testrun

// This file finds the tests an edit changes or deletes, from the syntax
// trees of the test files before and after it: "tests are evidence", and a
// fix that passes by changing the test it was asked to make pass is no fix.
//
// It declares its own syntax-tree view of the tests (the runners' discovery
// may run the runner itself, which must not happen on unverified code): Go
// TestXxx/BenchmarkXxx/FuzzXxx functions and examples with an output
// comment, and TestMain; pytest's module-level test* functions and test*
// methods of Test* classes; JavaScript and TypeScript test()/it() calls
// inside describe()/suite() callbacks.

import (
	"context"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// EditedFile is one file an edit touches: Old is its path before ("" when
// the edit creates it), New after ("" when the edit deletes it).
type EditedFile struct{ Old, New string }

// TestEdit is a test that existed before an edit and that the edit changes
// or deletes.
type TestEdit struct {
	File     string // the test's file before the edit
	Name     string // Go: the function; Python: "Class::method" or the function; JavaScript: the names joined with " > "
	Line     int    // 1-based line of its declaration before the edit
	EndLine  int    // its last line before the edit
	Language string // "go", "python", "node"
	Deleted  bool   // gone after the edit, or no longer a test
	// Via are the helpers of the test files (functions, variables, tables,
	// fixtures, setup) whose change changes the test; empty when its own
	// code changed.
	Via []string
}

func isJSPath(p string) bool {
	switch path.Ext(p) {
	case ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx":
		return true
	}
	return false
}

func testLanguage(p string) string {
	switch {
	case strings.HasSuffix(p, ".go"):
		return "go"
	case strings.HasSuffix(p, ".py"):
		return "python"
	}
	return "node"
}

// declaredTest is a test in a file's syntax tree.
type declaredTest struct {
	name       string
	line, end  int // 1-based lines
	tokens     string
	idents     map[string]bool
	class      string // Python: the Test* class, if any
	start, fin int    // byte range
}

// helper is a declaration of a test file outside its tests.
type helper struct {
	tokens string
	idents map[string]bool
	all    bool   // runs for every test of its scope (TestMain, init, setup, beforeEach, autouse fixtures)
	class  string // Python: set up only the tests of this class
}

// testFile is a test file's tests and helpers.
type testFile struct {
	tests   []*declaredTest
	helpers map[string]*helper
}

// directive comments are code: Go's example outputs and compiler
// directives.
var testDirective = regexp.MustCompile(`(?i)^(//go:|//\s*\+build|//\s*(unordered )?output:)`)

// parseTestFile reads the tests and helpers of a test file; nil when it
// cannot be read or parsed.
func parseTestFile(ctx context.Context, snap *analysis.Snapshot, p string) *testFile {
	f, err := snap.File(p)
	if err != nil || f.Lang == nil {
		return nil
	}
	tree, err := f.Tree(ctx)
	if err != nil {
		return nil
	}
	defer tree.Close()
	tf := &testFile{helpers: map[string]*helper{}}
	src := f.Content
	root := tree.RootNode()
	switch testLanguage(p) {
	case "go":
		goDecls(root, src, tf, strings.HasSuffix(p, "_test.go"))
	case "python":
		pyDecls(root, src, tf, isPyTestFile(p))
	default:
		jsDecls(root, src, tf)
	}
	return tf
}

func newDeclared(n *sitter.Node, src []byte, name string) *declaredTest {
	toks, ids := nodeTokens(n, src)
	return &declaredTest{name: name, line: int(n.StartPoint().Row) + 1, end: int(n.EndPoint().Row) + 1,
		tokens: toks, idents: ids, start: int(n.StartByte()), fin: int(n.EndByte())}
}

func newHelper(n *sitter.Node, src []byte) *helper {
	toks, ids := nodeTokens(n, src)
	return &helper{tokens: toks, idents: ids}
}

// nodeTokens is n's code tokens (comments but directives left out, Python
// docstrings too) and the identifiers among them.
func nodeTokens(n *sitter.Node, src []byte) (string, map[string]bool) {
	var b strings.Builder
	ids := map[string]bool{}
	var walk func(n *sitter.Node)
	walk = func(n *sitter.Node) {
		t := n.Type()
		if strings.Contains(t, "comment") {
			for _, l := range strings.Split(n.Content(src), "\n") {
				if l = strings.TrimSpace(l); testDirective.MatchString(l) {
					b.WriteString("directive\x00" + l + "\x01")
				}
			}
			return
		}
		if isDocstring(n) {
			return
		}
		if n.ChildCount() == 0 || t == "string" || t == "interpreted_string_literal" || t == "raw_string_literal" || t == "template_string" {
			c := n.Content(src)
			b.WriteString(t + "\x00" + c + "\x01")
			if strings.Contains(t, "identifier") {
				ids[c] = true
			}
			return
		}
		for i := 0; i < int(n.ChildCount()); i++ {
			walk(n.Child(i))
		}
	}
	walk(n)
	return b.String(), ids
}

// isDocstring: a Python string alone as the first statement of a body.
func isDocstring(n *sitter.Node) bool {
	if n.Type() != "expression_statement" || n.NamedChildCount() != 1 || n.NamedChild(0).Type() != "string" {
		return false
	}
	p := n.Parent()
	return p != nil && p.Type() == "block" && p.NamedChild(0) == n
}

func goDecls(root *sitter.Node, src []byte, tf *testFile, testFile bool) {
	inits := 0
	for i := 0; i < int(root.NamedChildCount()); i++ {
		n := root.NamedChild(i)
		switch n.Type() {
		case "function_declaration":
			nameNode := n.ChildByFieldName("name")
			params := n.ChildByFieldName("parameters")
			if nameNode == nil || params == nil {
				continue
			}
			name := nameNode.Content(src)
			if testFile && isGoTestFunc(n, name, params, src) {
				tf.tests = append(tf.tests, newDeclared(n, src, name))
				continue
			}
			h := newHelper(n, src)
			switch {
			case name == "init":
				inits++
				name = "init#" + strconv.Itoa(inits)
				h.all = true
			case name == "TestMain":
				h.all = true
			}
			tf.helpers[name] = h
		case "method_declaration":
			if nameNode := n.ChildByFieldName("name"); nameNode != nil {
				recv := ""
				if r := n.ChildByFieldName("receiver"); r != nil {
					recv = r.Content(src)
				}
				tf.helpers[nameNode.Content(src)+" "+recv] = newHelper(n, src)
			}
		case "var_declaration", "const_declaration", "type_declaration":
			var specs func(n *sitter.Node)
			specs = func(n *sitter.Node) {
				for j := 0; j < int(n.NamedChildCount()); j++ {
					c := n.NamedChild(j)
					switch c.Type() {
					case "var_spec", "const_spec", "type_spec", "type_alias":
						h := newHelper(c, src)
						for k := 0; k < int(c.NamedChildCount()); k++ {
							if id := c.NamedChild(k); id.Type() == "identifier" || (id.Type() == "type_identifier" && k == 0) {
								tf.helpers[id.Content(src)] = h
							}
						}
					case "var_spec_list", "const_spec_list":
						specs(c)
					}
				}
			}
			specs(n)
		}
	}
}

// isGoTestFunc is the Go runner's rule (goTestsInFile) on one declaration.
func isGoTestFunc(n *sitter.Node, name string, params *sitter.Node, src []byte) bool {
	for _, tp := range goTestPrefixes {
		if !isGoTestName(name, tp.prefix) {
			continue
		}
		if !goParamsMatch(params, src, tp.param) {
			return false
		}
		if tp.kind == KindExample && !hasOutputComment(n.ChildByFieldName("body"), src) {
			return false
		}
		return true
	}
	return false
}

var pySetup = regexp.MustCompile(`(?i)^(setup|teardown|setUp|tearDown)`)

func pyDecls(root *sitter.Node, src []byte, tf *testFile, testFile bool) {
	unwrap := func(n *sitter.Node) *sitter.Node {
		if n.Type() == "decorated_definition" {
			if d := n.ChildByFieldName("definition"); d != nil {
				return d
			}
		}
		return n
	}
	assigned := func(n *sitter.Node, h *helper, class string) {
		// a = ..., a: T = ..., a, b = ...
		if n.Type() != "expression_statement" || n.NamedChildCount() == 0 {
			return
		}
		a := n.NamedChild(0)
		if a.Type() != "assignment" && a.Type() != "augmented_assignment" {
			return
		}
		left := a.ChildByFieldName("left")
		if left == nil {
			return
		}
		if left.Type() == "identifier" {
			tf.helpers[class+left.Content(src)] = h
			return
		}
		for k := 0; k < int(left.NamedChildCount()); k++ {
			if id := left.NamedChild(k); id.Type() == "identifier" {
				tf.helpers[class+id.Content(src)] = h
			}
		}
	}
	for i := 0; i < int(root.NamedChildCount()); i++ {
		decl := root.NamedChild(i)
		def := unwrap(decl)
		nameNode := def.ChildByFieldName("name")
		if nameNode == nil {
			assigned(decl, newHelper(decl, src), "")
			continue
		}
		name := nameNode.Content(src)
		switch {
		case def.Type() == "function_definition" && testFile && strings.HasPrefix(name, "test"):
			t := newDeclared(decl, src, name)
			t.line = int(def.StartPoint().Row) + 1
			tf.tests = append(tf.tests, t)
		case def.Type() == "class_definition" && testFile && strings.HasPrefix(name, "Test"):
			body := def.ChildByFieldName("body")
			if body == nil {
				continue
			}
			// The class line itself (bases, decorators) sets up its tests.
			head := &helper{tokens: string(src[decl.StartByte():body.StartByte()]), idents: map[string]bool{}, all: true, class: name}
			tf.helpers[name] = head
			for j := 0; j < int(body.NamedChildCount()); j++ {
				mdecl := body.NamedChild(j)
				m := unwrap(mdecl)
				mn := m.ChildByFieldName("name")
				if m.Type() == "function_definition" && mn != nil && strings.HasPrefix(mn.Content(src), "test") {
					t := newDeclared(mdecl, src, name+"::"+mn.Content(src))
					t.line = int(m.StartPoint().Row) + 1
					t.class = name
					tf.tests = append(tf.tests, t)
					continue
				}
				h := newHelper(mdecl, src)
				h.class = name
				if mn != nil {
					h.all = pySetup.MatchString(mn.Content(src)) || strings.Contains(h.tokens, "autouse")
					tf.helpers[name+"."+mn.Content(src)] = h
				} else {
					assigned(mdecl, h, name+".")
				}
			}
		default:
			h := newHelper(decl, src)
			h.all = pySetup.MatchString(name) || strings.Contains(h.tokens, "autouse")
			tf.helpers[name] = h
		}
	}
}

var jsHooks = map[string]bool{"beforeEach": true, "beforeAll": true, "afterEach": true, "afterAll": true, "before": true, "after": true}

func jsDecls(root *sitter.Node, src []byte, tf *testFile) {
	hooks := 0
	var visit func(n *sitter.Node, names []string, top bool)
	visit = func(n *sitter.Node, names []string, top bool) {
		if n.Type() == "call_expression" {
			fn, name, ok := nodeCall(n, src)
			if ok && (nodeTestFuncs[fn] || nodeSuiteFuncs[fn]) {
				p := append(append([]string(nil), names...), name)
				if nodeTestFuncs[fn] {
					tf.tests = append(tf.tests, newDeclared(n, src, strings.Join(p, " > ")))
					return
				}
				names = p
			} else if callee := n.ChildByFieldName("function"); callee != nil && jsHooks[callee.Content(src)] {
				hooks++
				h := newHelper(n, src)
				h.all = true
				tf.helpers[callee.Content(src)+"#"+strings.Join(names, " > ")+"#"+strconv.Itoa(hooks)] = h
				return
			}
		}
		if top {
			switch n.Type() {
			case "lexical_declaration", "variable_declaration":
				for j := 0; j < int(n.NamedChildCount()); j++ {
					d := n.NamedChild(j)
					if nm := d.ChildByFieldName("name"); d.Type() == "variable_declarator" && nm != nil {
						tf.helpers[nm.Content(src)] = newHelper(d, src)
					}
				}
			case "function_declaration", "class_declaration", "generator_function_declaration":
				if nm := n.ChildByFieldName("name"); nm != nil {
					tf.helpers[nm.Content(src)] = newHelper(n, src)
				}
			}
		}
		for i := 0; i < int(n.NamedChildCount()); i++ {
			c := n.NamedChild(i)
			visit(c, names, top && (n.Type() == "program" || n.Type() == "export_statement"))
		}
	}
	visit(root, nil, true)
}

// scopeOf is where a test file's helpers are seen: a Go package's
// directory, a Python or JavaScript file (conftest.py: its directory).
func scopeOf(p string) string {
	if strings.HasSuffix(p, ".go") || path.Base(p) == "conftest.py" {
		return "dir\x00" + path.Dir(p)
	}
	return "file\x00" + p
}

// seesScope reports whether tests of file p see the helpers of scope.
func seesScope(p, scope string) bool {
	kind, where, _ := strings.Cut(scope, "\x00")
	if kind == "file" {
		return p == where
	}
	if strings.HasSuffix(p, ".go") {
		return path.Dir(p) == where
	}
	return where == "." || strings.HasPrefix(p, where+"/")
}

// EditedTests lists the tests that existed in before and that the edit
// (before → after, the files it touches) changes or deletes, sorted by file
// and line. A test is changed when its code tokens differ (comments and
// whitespace do not count; Go's example output comments do), or when a
// helper it uses (a function, variable or table of its test files, by
// name, or a setup that runs for every test) changes or goes; deleted when
// it is gone or no longer a test. Tests the edit adds are not listed.
// Only syntax trees are read: nothing runs.
func EditedTests(ctx context.Context, before, after *analysis.Snapshot, files []EditedFile) []TestEdit {
	renamed := map[string]string{} // new path -> old path
	var olds, news []string
	for _, f := range files {
		if f.Old != "" && IsTestFile(f.Old) {
			olds = append(olds, f.Old)
		}
		if f.New != "" && IsTestFile(f.New) {
			news = append(news, f.New)
			if f.Old != "" {
				renamed[f.New] = f.Old
			}
		}
	}
	if len(olds) == 0 {
		return nil
	}
	key := func(p, name string) string {
		if strings.HasSuffix(p, ".go") {
			return path.Dir(p) + "\x00" + name
		}
		return p + "\x00" + name
	}
	// The tests and helpers after the edit, keyed as before it.
	afterTests := map[string]*declaredTest{}
	afterHelpers := map[string]map[string]*helper{} // scope -> name -> helper
	for _, p := range news {
		tf := parseTestFile(ctx, after, p)
		if tf == nil {
			continue
		}
		was := p
		if o, ok := renamed[p]; ok {
			was = o
		}
		for _, t := range tf.tests {
			afterTests[key(was, t.name)] = t
		}
		sc := scopeOf(was)
		if afterHelpers[sc] == nil {
			afterHelpers[sc] = map[string]*helper{}
		}
		for n, h := range tf.helpers {
			afterHelpers[sc][n] = h
		}
	}
	// Before: the tests and helpers of the changed files.
	type fileTests struct {
		path string
		tf   *testFile
	}
	var changed []fileTests
	beforeHelpers := map[string]map[string]*helper{}
	for _, p := range olds {
		tf := parseTestFile(ctx, before, p)
		if tf == nil {
			continue
		}
		changed = append(changed, fileTests{p, tf})
		sc := scopeOf(p)
		if beforeHelpers[sc] == nil {
			beforeHelpers[sc] = map[string]*helper{}
		}
		for n, h := range tf.helpers {
			beforeHelpers[sc][n] = h
		}
	}
	// The helpers that changed or went, by scope; then those that use them.
	changedHelpers := map[string]map[string]*helper{}
	for sc, hs := range beforeHelpers {
		for n, h := range hs {
			if a := afterHelpers[sc][n]; a == nil || a.tokens != h.tokens {
				if changedHelpers[sc] == nil {
					changedHelpers[sc] = map[string]*helper{}
				}
				changedHelpers[sc][n] = h
			}
		}
		for grew := true; grew; {
			grew = false
			for n, h := range hs {
				if changedHelpers[sc][n] != nil {
					continue
				}
				for cn := range changedHelpers[sc] {
					if h.idents[plainName(cn)] {
						changedHelpers[sc][n] = h
						grew = true
						break
					}
				}
			}
		}
	}
	var out []TestEdit
	seen := map[string]bool{}
	judge := func(p string, t *declaredTest, ownChanged bool) {
		if seen[p+"\x00"+t.name] {
			return
		}
		e := TestEdit{File: p, Name: t.name, Line: t.line, EndLine: t.end, Language: testLanguage(p)}
		a := afterTests[key(p, t.name)]
		switch {
		case ownChanged && a == nil:
			e.Deleted = true
		case ownChanged && a.tokens != t.tokens:
		default:
			for sc, hs := range changedHelpers {
				if !seesScope(p, sc) {
					continue
				}
				for n, h := range hs {
					if (h.all && (h.class == "" || h.class == t.class)) || t.idents[plainName(n)] {
						e.Via = append(e.Via, plainName(n))
					}
				}
			}
			if len(e.Via) == 0 {
				return
			}
			sort.Strings(e.Via)
		}
		seen[p+"\x00"+t.name] = true
		out = append(out, e)
	}
	for _, ft := range changed {
		for _, t := range ft.tf.tests {
			judge(ft.path, t, true)
		}
	}
	// Tests in files the edit leaves alone that see a changed helper.
	edited := map[string]bool{}
	for _, f := range files {
		edited[f.Old], edited[f.New] = true, true
	}
	for sc := range changedHelpers {
		kind, dir, _ := strings.Cut(sc, "\x00")
		if kind != "dir" {
			continue
		}
		for _, p := range filesIn(before, dir) {
			if edited[p] || !IsTestFile(p) || !seesScope(p, sc) {
				continue
			}
			if tf := parseTestFile(ctx, before, p); tf != nil {
				for _, t := range tf.tests {
					judge(p, t, false)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out
}

// plainName is a helper's name as code refers to it: "helper" of
// "Class.helper", "method (recv)" and "init#1".
func plainName(n string) string {
	n, _, _ = strings.Cut(n, "#")
	n, _, _ = strings.Cut(n, " ")
	if i := strings.LastIndexByte(n, '.'); i >= 0 {
		n = n[i+1:]
	}
	return n
}

// filesIn lists the files of a workspace directory in snap (its overlays
// included, its deletions left out).
func filesIn(snap *analysis.Snapshot, dir string) []string {
	set := map[string]bool{}
	if ents, err := os.ReadDir(snap.Abs(dir)); err == nil {
		for _, e := range ents {
			if e.Type().IsRegular() {
				set[path.Join(dir, e.Name())] = true
			}
		}
	}
	for _, p := range snap.Overlays() {
		if path.Dir(p) == dir {
			set[p] = true
		}
	}
	for _, p := range snap.Deleted() {
		delete(set, p)
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

package verify

import (
	"context"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
)

// jsValues is valueLines for a JavaScript or TypeScript module: its
// top-level `const`/`let`/`var` run at import, so V8's and istanbul's
// coverage count a changed one as run whenever a test loads the module; it
// is judged by the lines that use the name instead. Uses are found with
// tree-sitter in the module itself, with JavaScript's scoping (a function
// or block that declares the name, or takes it as a parameter, shadows it;
// `var` is the function's); a use at top level runs at import (so a
// CommonJS `module.exports = { NAME }` raises no doubt), and an `export`ed
// name that another file of the workspace mentions may be imported there
// and raises none either.
type jsValues struct {
	treeModule
	// exported: top-level names an export statement declares.
	exported map[string]bool
}

var jsLanguages = map[string]bool{"javascript": true, "typescript": true, "tsx": true}

// newJSValues parses the JavaScript or TypeScript file rel after the edit;
// nil if it is neither (or a dependency's) or does not parse.
func (r *run) newJSValues(ctx context.Context, rel string, prof *coverage.Profile) *jsValues {
	if !isJSFile(rel) || strings.Contains(rel, "node_modules/") {
		return nil
	}
	src, root := r.moduleTree(ctx, rel)
	if root == nil {
		return nil
	}
	p := &jsValues{treeModule: treeModule{rel: rel, src: src, root: root, prof: prof, snap: r.after}, exported: map[string]bool{}}
	p.find = p.nameState
	return p
}

// topDecl returns the declaration a top-level statement holds, and
// whether it is exported.
func topDecl(st *sitter.Node) (*sitter.Node, bool) {
	exported := false
	if st.Type() == "export_statement" {
		st, exported = st.ChildByFieldName("declaration"), true
		if st == nil {
			return nil, false
		}
	}
	if t := st.Type(); t == "lexical_declaration" || t == "variable_declaration" {
		return st, exported
	}
	return nil, false
}

// declared returns the plain names a declaration's declarators declare
// (destructuring is not judged).
func (p *jsValues) declared(decl *sitter.Node) []string {
	var names []string
	for i := 0; i < int(decl.NamedChildCount()); i++ {
		d := decl.NamedChild(i)
		if d.Type() != "variable_declarator" {
			continue
		}
		n := d.ChildByFieldName("name")
		if n == nil || n.Type() != "identifier" {
			return nil
		}
		names = append(names, n.Content(p.src))
	}
	return names
}

func (p *jsValues) lines(string) map[int]*declJudgement {
	return p.topLines(func(st *sitter.Node) []string {
		decl, exported := topDecl(st)
		if decl == nil {
			return nil
		}
		names := p.declared(decl)
		for _, n := range names {
			if exported {
				p.exported[n] = true
			}
		}
		return names
	})
}

func (p *jsValues) nameState(name string) useState {
	if p.exported[name] && mentionedElsewhere(p.snap, p.rel, name, isJSFile) {
		return useState{used: true, run: true} // may be imported: cannot be told
	}
	return firstRun(p.uses(name), p.useRun)
}

var jsFunctions = map[string]bool{
	"function_declaration": true, "function_expression": true, "function": true, "arrow_function": true,
	"method_definition": true, "generator_function_declaration": true, "generator_function": true,
}

var jsBlocks = map[string]bool{
	"statement_block": true, "for_statement": true, "for_in_statement": true, "switch_body": true,
	"class_body": true, "catch_clause": true, "program": true,
}

// uses lists the references to the top-level name that no inner
// declaration or parameter shadows.
func (p *jsValues) uses(name string) []*sitter.Node {
	bindings := map[uint32]bool{} // binding identifiers, by start byte
	scopes := map[*sitter.Node]bool{}
	var idents []*sitter.Node
	var walk func(n *sitter.Node)
	walk = func(n *sitter.Node) {
		switch n.Type() {
		case "variable_declarator":
			var scope *sitter.Node
			if decl := n.Parent(); decl != nil && decl.Type() == "variable_declaration" {
				scope = p.enclosing(decl, jsFunctions) // var: the function's
			} else {
				scope = p.enclosing(n, jsBlocks)
			}
			p.bind(n.ChildByFieldName("name"), name, scope, bindings, scopes)
		case "function_declaration", "generator_function_declaration", "class_declaration":
			if id := n.ChildByFieldName("name"); id != nil && id.Content(p.src) == name {
				bindings[id.StartByte()] = true
				if sc := p.enclosing(n, jsBlocks); sc != p.root {
					scopes[sc] = true
				}
			}
		case "catch_clause":
			p.bind(n.ChildByFieldName("parameter"), name, n, bindings, scopes)
		case "formal_parameters":
			for i := 0; i < int(n.NamedChildCount()); i++ {
				p.bind(n.NamedChild(i), name, n.Parent(), bindings, scopes)
			}
		case "arrow_function":
			if prm := n.ChildByFieldName("parameter"); prm != nil {
				p.bind(prm, name, n, bindings, scopes)
			}
		case "identifier", "shorthand_property_identifier":
			if n.Content(p.src) == name {
				idents = append(idents, n)
			}
		}
		for i := 0; i < int(n.NamedChildCount()); i++ {
			walk(n.NamedChild(i))
		}
	}
	walk(p.root)
	var out []*sitter.Node
	for _, id := range idents {
		if bindings[id.StartByte()] {
			continue
		}
		shadowed := false
		for a := id.Parent(); a != nil && !a.Equal(p.root); a = a.Parent() {
			if scopes[a] {
				shadowed = true
				break
			}
		}
		if !shadowed {
			out = append(out, id)
		}
	}
	return out
}

// enclosing returns n's nearest ancestor of the kinds, or the program.
func (p *jsValues) enclosing(n *sitter.Node, kinds map[string]bool) *sitter.Node {
	for a := n.Parent(); a != nil; a = a.Parent() {
		if kinds[a.Type()] {
			return a
		}
	}
	return p.root
}

// bind records the identifiers a binding pattern declares as name, and the
// scope they shadow it in (the top level's own declaration shadows nothing).
func (p *jsValues) bind(pat *sitter.Node, name string, scope *sitter.Node, bindings map[uint32]bool, scopes map[*sitter.Node]bool) {
	if pat == nil {
		return
	}
	switch pat.Type() {
	case "identifier", "shorthand_property_identifier_pattern":
		if pat.Content(p.src) == name {
			bindings[pat.StartByte()] = true
			if scope != nil && scope != p.root {
				scopes[scope] = true
			}
		}
		return
	case "assignment_pattern", "object_assignment_pattern":
		p.bind(pat.ChildByFieldName("left"), name, scope, bindings, scopes) // the default is a use
		return
	case "pair_pattern":
		p.bind(pat.ChildByFieldName("value"), name, scope, bindings, scopes)
		return
	case "required_parameter", "optional_parameter": // TypeScript
		p.bind(pat.ChildByFieldName("pattern"), name, scope, bindings, scopes)
		return
	}
	for i := 0; i < int(pat.NamedChildCount()); i++ {
		if c := pat.NamedChild(i); c.Type() != "type_annotation" {
			p.bind(c, name, scope, bindings, scopes)
		}
	}
}

// useRun reports whether a selected test ran the line of the use u, or
// whether that cannot be told.
func (p *jsValues) useRun(u *sitter.Node) bool {
	if fn := p.enclosing(u, jsFunctions); fn == p.root {
		// An exported declaration's value is not followed: it may be
		// imported and used elsewhere.
		return p.topRun(u, func(st *sitter.Node) []string {
			if decl, exported := topDecl(st); decl != nil && !exported {
				return p.declared(decl)
			}
			return nil
		})
	}
	return lineRun(p.prof.Files[p.rel], u)
}

package verify

import (
	"context"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
)

// pyValues is valueLines for a Python module: coverage.py counts a
// module-level assignment (`_PORT = 8080`) as run whenever a test imports
// the module, so a changed one is judged by the lines that use the name.
// Uses are found with tree-sitter in the module itself; a name without a
// leading underscore that another Python file of the workspace mentions
// may be imported there, and raises no doubt. As for Go, every doubt
// counts as run: a use in a function that binds the same name itself is
// no use, one at module level runs at import.
type pyValues struct{ treeModule }

// newPyValues parses the Python file rel after the edit; nil if it is not
// Python or does not parse.
func (r *run) newPyValues(ctx context.Context, rel string, prof *coverage.Profile) *pyValues {
	if !isPythonFile(rel) {
		return nil
	}
	src, root := r.moduleTree(ctx, rel)
	if root == nil {
		return nil
	}
	p := &pyValues{treeModule{rel: rel, src: src, root: root, prof: prof, snap: r.after}}
	p.find = p.nameState
	return p
}

// lines maps each line of a module-level assignment to plain names.
func (p *pyValues) lines(string) map[int]*declJudgement { return p.topLines(p.assigned) }

// assigned returns the plain names a module-level statement assigns
// (`A = 1`, `A: int = 1`, `A = B = 1`, `A, B = 1, 2`), dunders left out.
func (p *pyValues) assigned(st *sitter.Node) []string {
	if st.Type() != "expression_statement" || st.NamedChildCount() != 1 {
		return nil
	}
	var names []string
	for a := st.NamedChild(0); a != nil && a.Type() == "assignment"; a = a.ChildByFieldName("right") {
		left := a.ChildByFieldName("left")
		if left == nil {
			break
		}
		targets := []*sitter.Node{left}
		if t := left.Type(); t == "pattern_list" || t == "tuple_pattern" {
			targets = nil
			for k := 0; k < int(left.NamedChildCount()); k++ {
				targets = append(targets, left.NamedChild(k))
			}
		}
		for _, t := range targets {
			if t.Type() != "identifier" {
				return nil // an attribute, a subscript, a starred name: not judged
			}
			n := t.Content(p.src)
			if !strings.HasPrefix(n, "__") {
				names = append(names, n)
			}
		}
	}
	return names
}

func (p *pyValues) nameState(name string) useState {
	if !strings.HasPrefix(name, "_") && mentionedElsewhere(p.snap, p.rel, name, isPythonFile) {
		return useState{used: true, run: true} // may be imported: cannot be told
	}
	return firstRun(p.uses(name), p.useRun)
}

// uses lists the identifiers naming the module-level name: not an
// assignment's target at module level, not an attribute, a keyword
// argument, a parameter or a definition's name, and not inside a function
// that binds the name itself (without `global`).
func (p *pyValues) uses(name string) []*sitter.Node {
	var out []*sitter.Node
	var walk func(n *sitter.Node)
	walk = func(n *sitter.Node) {
		if n.Type() == "identifier" && n.Content(p.src) == name && p.isUse(n, name) {
			out = append(out, n)
		}
		for i := 0; i < int(n.NamedChildCount()); i++ {
			walk(n.NamedChild(i))
		}
	}
	walk(p.root)
	return out
}

func (p *pyValues) isUse(id *sitter.Node, name string) bool {
	par := id.Parent()
	if par == nil {
		return false
	}
	switch par.Type() {
	case "attribute":
		if a := par.ChildByFieldName("attribute"); a != nil && a.Equal(id) {
			return false
		}
	case "keyword_argument":
		if k := par.ChildByFieldName("name"); k != nil && k.Equal(id) {
			return false
		}
	case "function_definition", "class_definition":
		if k := par.ChildByFieldName("name"); k != nil && k.Equal(id) {
			return false
		}
	case "parameters", "typed_parameter", "lambda_parameters",
		"dotted_name", "aliased_import", "global_statement", "nonlocal_statement":
		return false
	case "default_parameter", "typed_default_parameter":
		if k := par.ChildByFieldName("name"); k != nil && k.Equal(id) {
			return false // its default value is a use
		}
	}
	if p.isTarget(id) && p.enclosingFunction(id) == nil {
		return false // a module-level assignment of the name
	}
	for fn := p.enclosingFunction(id); fn != nil; fn = p.enclosingFunction(fn) {
		if p.bindsLocally(fn, name) {
			return false
		}
	}
	return true
}

// isTarget reports whether id is (part of) an assignment's left side.
func (p *pyValues) isTarget(id *sitter.Node) bool {
	n := id
	for par := n.Parent(); par != nil; n, par = par, par.Parent() {
		switch par.Type() {
		case "pattern_list", "tuple_pattern", "list_pattern":
			continue
		case "assignment", "augmented_assignment":
			l := par.ChildByFieldName("left")
			return l != nil && l.Equal(n)
		case "for_statement", "for_in_clause":
			l := par.ChildByFieldName("left")
			return l != nil && l.Equal(n)
		case "as_pattern_target", "named_expression":
			return true
		}
		return false
	}
	return false
}

func (p *pyValues) enclosingFunction(n *sitter.Node) *sitter.Node {
	for a := n.Parent(); a != nil; a = a.Parent() {
		if t := a.Type(); t == "function_definition" || t == "lambda" {
			return a
		}
	}
	return nil
}

// bindsLocally reports whether fn makes name one of its locals: a
// parameter, or an assignment in its own body, with no `global name`.
func (p *pyValues) bindsLocally(fn *sitter.Node, name string) bool {
	binds, global := false, false
	var walk func(n *sitter.Node)
	walk = func(n *sitter.Node) {
		if n != fn {
			if t := n.Type(); t == "function_definition" || t == "lambda" || t == "class_definition" {
				return // its own scope
			}
		}
		switch n.Type() {
		case "global_statement", "nonlocal_statement":
			for i := 0; i < int(n.NamedChildCount()); i++ {
				if n.NamedChild(i).Content(p.src) == name {
					global = true
				}
			}
		case "identifier":
			if n.Content(p.src) == name {
				if par := n.Parent(); par != nil {
					switch par.Type() {
					case "parameters", "typed_parameter", "lambda_parameters":
						binds = true
					case "default_parameter", "typed_default_parameter":
						if k := par.ChildByFieldName("name"); k != nil && k.Equal(n) {
							binds = true
						}
					}
				}
				if p.isTarget(n) {
					binds = true
				}
			}
		}
		for i := 0; i < int(n.NamedChildCount()); i++ {
			walk(n.NamedChild(i))
		}
	}
	walk(fn)
	return binds && !global
}

// useRun reports whether a selected test ran the line of the use u, or
// whether that cannot be told.
func (p *pyValues) useRun(u *sitter.Node) bool {
	if p.enclosingFunction(u) == nil {
		return p.topRun(u, p.assigned)
	}
	return lineRun(p.prof.Files[p.rel], u) // a continuation line is in no block
}

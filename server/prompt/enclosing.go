package prompt

import (
	"context"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// Span is the part of a file that holds a problem: the function, method or
// class around it, found in the syntax tree, in whole lines.
type Span struct {
	Start, End int    // byte offsets of whole lines; End is after the last line's break
	Kind       string // "function", "method", "class", "declaration" or "lines"
	Name       string // "Add", "(*Calc).Add", "Calc.add"; "" if it has none
}

// String describes the span: "method (*Calc).Add", "lines 3-9".
func (s Span) String() string {
	if s.Name == "" {
		return s.Kind
	}
	return s.Kind + " " + s.Name
}

// funcKinds are the node types of functions and methods, by what to call them.
var funcKinds = map[string]string{
	"function_declaration":           "function", // go, js, ts
	"method_declaration":             "method",   // go
	"function_definition":            "function", // python
	"method_definition":              "method",   // js, ts
	"generator_function_declaration": "function",
	"function_signature":             "function", // ts overloads
	// Anonymous unless a declaration names them.
	"func_literal":        "function",
	"function_expression": "function",
	"function":            "function",
	"arrow_function":      "function",
	"generator_function":  "function",
	"lambda":              "function",
}

var classKinds = map[string]bool{
	"class_definition":           true, // python
	"class_declaration":          true, // js, ts
	"abstract_class_declaration": true,
	"class":                      true,
	"interface_declaration":      true,
	"enum_declaration":           true,
	"type_declaration":           true, // go
}

// wrappers are parents that belong with the node they wrap: decorators,
// export, and the declaration that names an anonymous function.
var wrappers = map[string]bool{
	"decorated_definition":  true,
	"export_statement":      true,
	"variable_declarator":   true,
	"lexical_declaration":   true,
	"variable_declaration":  true,
	"assignment":            true,
	"assignment_expression": true,
	"expression_statement":  true,
}

// maxContextLines bounds the line window used where no declaration
// encloses the problem.
const maxContextLines = 15

// Enclosing returns the span of f that holds the byte range [start, end):
// the innermost named function or method around it (with its decorators,
// export keyword and doc comment), else the innermost class or type, else
// the top-level declaration, else a window of lines around the range. An
// anonymous function counts only when nothing named encloses it.
func Enclosing(ctx context.Context, f *analysis.File, start, end int) Span {
	start = min(max(start, 0), len(f.Content))
	end = min(max(end, start), len(f.Content))
	lines := func(s, e int) Span { return lineSpan(f, s, e) }
	tree, err := f.Tree(ctx)
	if err != nil {
		return window(f, start, end)
	}
	m := f.Mapper()
	sr, sc := m.Point(start)
	// The end point is inclusive for tree-sitter; stay on the last byte.
	er, ec := m.Point(max(end-1, start))
	root := tree.RootNode()
	n := root.NamedDescendantForPointRange(sitter.Point{Row: sr, Column: sc}, sitter.Point{Row: er, Column: ec})
	var class, anon, top *sitter.Node
	for ; n != nil; n = n.Parent() {
		t := n.Type()
		if kind, ok := funcKinds[t]; ok {
			if name := nodeName(n, f.Content); name != "" {
				s := lines(outer(n, f.Content), int(n.EndByte()))
				s.Kind, s.Name = kind, qualify(n, name, f.Content)
				if kind == "function" && s.Name != name {
					s.Kind = "method" // a Python def in a class
				}
				return s
			}
			if anon == nil {
				anon = n
			}
		}
		if classKinds[t] && class == nil {
			class = n
		}
		if p := n.Parent(); p != nil && p.Equal(root) {
			top = n
		}
	}
	switch {
	case class != nil:
		s := lines(outer(class, f.Content), int(class.EndByte()))
		s.Kind, s.Name = "class", declName(class, f.Content)
		if class.Type() == "type_declaration" || class.Type() == "interface_declaration" {
			s.Kind = "type"
		}
		return s
	case top != nil:
		s := lines(outer(top, f.Content), int(top.EndByte()))
		s.Kind = "declaration"
		if anon != nil {
			s.Kind = "function"
		}
		s.Name = declName(top, f.Content)
		return s
	}
	return window(f, start, end)
}

// outer extends a node over the wrappers around it and the comments right
// above it, and returns where it then starts.
func outer(n *sitter.Node, src []byte) int {
	for p := n.Parent(); p != nil && wrappers[p.Type()]; p = p.Parent() {
		n = p
	}
	start := n.StartByte()
	row := n.StartPoint().Row
	for c := n.PrevSibling(); c != nil && c.Type() == "comment" && c.EndPoint().Row+1 >= row; c = c.PrevSibling() {
		start, row = c.StartByte(), c.StartPoint().Row
	}
	return int(start)
}

// nodeName is the name a declaration gives a node: its own name field, or
// the variable an anonymous function is assigned to.
func nodeName(n *sitter.Node, src []byte) string {
	if c := n.ChildByFieldName("name"); c != nil {
		return c.Content(src)
	}
	if p := n.Parent(); p != nil {
		switch p.Type() {
		case "variable_declarator", "assignment", "assignment_expression", "pair", "public_field_definition", "field_definition":
			for _, field := range []string{"name", "left", "key", "property"} {
				if c := p.ChildByFieldName(field); c != nil && c.Type() != n.Type() {
					return c.Content(src)
				}
			}
		}
	}
	return ""
}

// qualify adds the receiver (Go) or the enclosing class (Python, JS, TS)
// to a method's name.
func qualify(n *sitter.Node, name string, src []byte) string {
	if r := n.ChildByFieldName("receiver"); r != nil {
		// "(c *Calc)" -> "(*Calc)"
		f := strings.Fields(strings.Trim(r.Content(src), "()"))
		if len(f) > 0 {
			return "(" + f[len(f)-1] + ")." + name
		}
	}
	for p := n.Parent(); p != nil; p = p.Parent() {
		if classKinds[p.Type()] {
			if c := nodeName(p, src); c != "" {
				return c + "." + name
			}
			break
		}
		if _, ok := funcKinds[p.Type()]; ok {
			break
		}
	}
	return name
}

// declName names a top-level declaration when it declares one thing.
func declName(n *sitter.Node, src []byte) string {
	for n != nil && (wrappers[n.Type()] || n.Type() == "expression_statement") && n.NamedChildCount() > 0 {
		n = n.NamedChild(int(n.NamedChildCount()) - 1)
	}
	if n == nil {
		return ""
	}
	if name := nodeName(n, src); name != "" {
		return name
	}
	if n.NamedChildCount() == 1 {
		if name := nodeName(n.NamedChild(0), src); name != "" {
			return name
		}
	}
	return ""
}

// imports returns the spans of f's package clause and import statements.
func imports(ctx context.Context, f *analysis.File) []Span {
	tree, err := f.Tree(ctx)
	if err != nil {
		return nil
	}
	root := tree.RootNode()
	var out []Span
	for i := 0; i < int(root.NamedChildCount()); i++ {
		c := root.NamedChild(i)
		switch c.Type() {
		case "package_clause", "import_declaration", "import_statement", "import_from_statement", "future_import_statement":
			s := lineSpan(f, int(c.StartByte()), int(c.EndByte()))
			if n := len(out); n > 0 && out[n-1].End >= s.Start {
				out[n-1].End = s.End
				continue
			}
			out = append(out, s)
		}
	}
	return out
}

// lineSpan widens [start, end) to whole lines.
func lineSpan(f *analysis.File, start, end int) Span {
	m := f.Mapper()
	s, _ := m.LineRange(m.Line(start))
	_, e := m.LineRange(m.Line(max(end-1, start)))
	return Span{Start: s, End: e, Kind: "lines"}
}

// window is the lines around [start, end).
func window(f *analysis.File, start, end int) Span {
	m := f.Mapper()
	first := max(m.Line(start)-maxContextLines, 0)
	last := min(m.Line(max(end-1, start))+maxContextLines, m.LineCount()-1)
	return lineSpan(f, m.LineStart(first), m.LineStart(last)+1)
}

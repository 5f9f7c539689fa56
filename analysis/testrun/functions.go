package testrun

import (
	"context"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
)

// FunctionCoverage is what the map knows of one function: the editor's
// "covered by N tests · P%" lens.
type FunctionCoverage struct {
	Name       string
	Start, End int      // byte range of the declaration
	Line       int      // 1-based line of the declaration
	Tests      []string // ids of the tests that run any of its blocks, sorted
	Percent    float64  // share of its statements that some test runs
}

// functionKinds are the syntax nodes that declare functions, per language.
var functionKinds = map[string]map[string]bool{
	"go":         {"function_declaration": true, "method_declaration": true},
	"python":     {"function_definition": true},
	"javascript": {"function_declaration": true, "method_definition": true, "generator_function_declaration": true, "variable_declarator": true},
	"typescript": {"function_declaration": true, "method_definition": true, "generator_function_declaration": true, "variable_declarator": true},
	"tsx":        {"function_declaration": true, "method_definition": true, "generator_function_declaration": true, "variable_declarator": true},
}

// Functions lists the functions declared in file (relative to the
// workspace root) with their coverage in m. Functions the map knows no block
// of (no code, or a file no test loads) are left out.
func (s *Suite) Functions(ctx context.Context, m *coverage.Map, file string) ([]FunctionCoverage, error) {
	f, err := s.snap.File(file)
	if err != nil {
		return nil, err
	}
	if f.Lang == nil || functionKinds[f.Lang.Name] == nil {
		return nil, nil
	}
	tree, err := f.Tree(ctx)
	if err != nil {
		return nil, err
	}
	defer tree.Close()
	kinds := functionKinds[f.Lang.Name]
	src := f.Content
	var out []FunctionCoverage
	var visit func(n *sitter.Node)
	visit = func(n *sitter.Node) {
		if kinds[n.Type()] {
			decl := n
			ok := true
			if n.Type() == "variable_declarator" {
				// const f = () => ...: a function only when its value is one.
				v := n.ChildByFieldName("value")
				ok = v != nil && (v.Type() == "arrow_function" || v.Type() == "function" || v.Type() == "function_expression")
			}
			if name := n.ChildByFieldName("name"); ok && name != nil {
				first, last := int(decl.StartPoint().Row)+1, int(decl.EndPoint().Row)+1
				if tests, pct, known := m.Function(file, first, last); known {
					out = append(out, FunctionCoverage{
						Name: name.Content(src), Start: int(decl.StartByte()), End: int(decl.EndByte()),
						Line: first, Tests: tests, Percent: pct,
					})
				}
			}
		}
		for i := 0; i < int(n.NamedChildCount()); i++ {
			visit(n.NamedChild(i))
		}
	}
	visit(tree.RootNode())
	return out, nil
}

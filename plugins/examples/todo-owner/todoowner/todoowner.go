// Package todoowner is an example analyzer for gauntlet's plugin SDK: it
// reports TODO comments that name no owner. `TODO(name)` is fine; a bare
// `TODO` or `TODO()` is not. It works on Go, Python and JavaScript files,
// and it is an ordinary *analysis.Analyzer: the same value runs in process
// or, through ../main.go, as a plugin.
package todoowner

import (
	"bytes"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// Analyzer reports TODO comments without an owner.
var Analyzer = &analysis.Analyzer{
	Name:      "todo-owner",
	Doc:       "report TODO comments that name no owner\n\nWrite TODO(name) so that every TODO has someone to ask.",
	Languages: []string{"go", "python", "javascript"},
	Severity:  analysis.SeverityWarning,
	Filter:    func(f *analysis.File) bool { return bytes.Contains(f.Content, todo) },
	Run:       run,
}

var todo = []byte("TODO")

func run(pass *analysis.Pass) error {
	content := pass.Content()
	if pass.Tree == nil {
		return nil
	}
	c := sitter.NewTreeCursor(pass.Tree.RootNode())
	defer c.Close()
	for off := 0; ; {
		i := bytes.Index(content[off:], todo)
		if i < 0 {
			return nil
		}
		at := off + i
		off = at + len(todo)
		if at > 0 && isWord(content[at-1]) || off < len(content) && isWord(content[off]) && content[off] != '(' {
			continue // TODOS, MYTODO
		}
		// Comments are leaves in these grammars: the smallest node at the
		// word is the comment, if the word is in one.
		c.Reset(pass.Tree.RootNode())
		for c.GoToFirstChildForByte(uint32(at)) >= 0 {
		}
		n := c.CurrentNode()
		if n.Type() != "comment" || int(n.StartByte()) > at || hasOwner(content[off:min(len(content), int(n.EndByte()))]) {
			continue
		}
		pass.Report(analysis.Diagnostic{
			Start:   at,
			End:     off,
			Message: "TODO names no owner: write TODO(name)",
		})
	}
}

// hasOwner reports whether rest, the text after TODO up to the end of its
// comment, starts with a non-empty (name) on the same line.
func hasOwner(rest []byte) bool {
	if len(rest) == 0 || rest[0] != '(' {
		return false
	}
	end := bytes.IndexAny(rest, ")\n")
	return end > 1 && rest[end] == ')' && len(bytes.TrimSpace(rest[1:end])) > 0
}

func isWord(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

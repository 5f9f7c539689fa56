// Package syntax provides the analyzer that turns tree-sitter's ERROR and
// MISSING nodes into diagnostics a person can act on: "missing `)`",
// "unexpected `:=`", one per error region rather than a cascade.
package syntax

import (
	"fmt"
	"strings"
	"unicode/utf8"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// Analyzer reports syntax errors in every language gauntlet parses. It cannot
// be disabled: every other analyzer depends on knowing where the tree is wrong.
var Analyzer = &analysis.Analyzer{
	Name:     "syntax",
	Doc:      "syntax errors reported by the tree-sitter parser",
	Severity: analysis.SeverityError,
	Run:      run,
}

func run(pass *analysis.Pass) error {
	root := pass.Tree.RootNode()
	if !root.HasError() {
		return nil
	}
	content := pass.Content()
	m := pass.File.Mapper()
	lastLine := -1
	report := func(start, end int, msg string) {
		// One diagnostic per error region: errors that start on the line of the
		// previous one are the same mistake seen again.
		line := m.Line(start)
		if line == lastLine {
			return
		}
		lastLine = line
		pass.Report(analysis.Diagnostic{Start: start, End: end, Message: msg})
	}
	var visit func(n *sitter.Node)
	visit = func(n *sitter.Node) {
		switch {
		case !n.HasError(): // covers MISSING and ERROR nodes too: one cgo call for clean nodes
			return
		case n.IsMissing():
			at := missingAt(n)
			report(at, at, "missing "+describeKind(n))
			return
		case n.IsError():
			start, end, msg := describeError(n, content)
			report(start, end, msg)
			return
		}
		// A cursor steps to the next sibling in constant time; Child(i)
		// walks from the first child, which made wide nodes (a file's
		// top-level declarations) quadratic.
		c := sitter.NewTreeCursor(n)
		defer c.Close()
		for ok := c.GoToFirstChild(); ok; ok = c.GoToNextSibling() {
			visit(c.CurrentNode())
		}
	}
	visit(root)
	return nil
}

// missingAt places a missing token right after the code before it, not
// after the comments that tree-sitter skipped on its way to noticing.
func missingAt(n *sitter.Node) int {
	at := int(n.StartByte())
	p := n.PrevSibling()
	for p != nil && p.IsExtra() {
		p = p.PrevSibling()
	}
	if p != nil && int(p.EndByte()) < at {
		at = int(p.EndByte())
	}
	return at
}

// describeKind names a node kind for a person: "`)`" for a token, "identifier"
// for a named node.
func describeKind(n *sitter.Node) string {
	t := n.Type()
	if n.IsNamed() {
		return strings.ReplaceAll(t, "_", " ")
	}
	return "`" + t + "`"
}

// describeError reports an ERROR node at its first token: that is where the
// parser stopped understanding, and a squiggle over a whole region helps no one.
func describeError(n *sitter.Node, content []byte) (start, end int, msg string) {
	leaf := firstLeaf(n)
	start, end = int(leaf.StartByte()), int(leaf.EndByte())
	if end <= start {
		start, end = int(n.StartByte()), int(n.EndByte())
	}
	tok := string(content[start:end])
	if i := strings.IndexByte(tok, '\n'); i >= 0 {
		tok = tok[:i]
		end = start + i
	}
	where := ""
	if p := n.Parent(); p != nil && p.Parent() != nil {
		where = " in " + strings.ReplaceAll(p.Type(), "_", " ")
	}
	if tok == "" {
		if int(n.EndByte()) >= len(content) {
			return start, end, "unexpected end of file" + where
		}
		return start, end, "syntax error" + where
	}
	return start, end, fmt.Sprintf("unexpected %s%s", quote(tok), where)
}

func firstLeaf(n *sitter.Node) *sitter.Node {
	for n.ChildCount() > 0 {
		c := n.Child(0)
		if c == nil {
			break
		}
		n = c
	}
	return n
}

// quote shows a token in backticks, shortened if it is long.
func quote(tok string) string {
	const max = 40
	if len(tok) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(tok[cut]) {
			cut--
		}
		tok = tok[:cut] + "…"
	}
	if !utf8.ValidString(tok) {
		tok = strings.ToValidUTF8(tok, "\uFFFD")
	}
	return "`" + tok + "`"
}

// Package syntax provides the analyzer that reports syntax errors where they
// were typed. For Go the verdict is go/parser's, the parser of the toolchain
// gauntlet is built with, with its positions and messages as gofmt -e and
// gopls give them: tree-sitter's Go grammar lags the language, so code that
// compiles must not get a finding from it. For the other languages it turns
// tree-sitter's smallest ERROR and MISSING nodes into diagnostics a person
// can act on: "missing `)`", "unexpected `:=`", one per error region rather
// than a cascade, and never an error node that wraps the whole file.
package syntax

import (
	"fmt"
	"go/parser"
	"go/scanner"
	"go/token"
	"iter"
	"strings"
	"unicode/utf8"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// Analyzer reports syntax errors in every language gauntlet parses. It cannot
// be disabled: every other analyzer depends on knowing where the tree is wrong.
var Analyzer = &analysis.Analyzer{
	Name:     "syntax",
	Doc:      "syntax errors: go/parser's for Go, tree-sitter's for the other languages",
	Severity: analysis.SeverityError,
	Run:      run,
}

func run(pass *analysis.Pass) error {
	root := pass.Tree.RootNode()
	if !root.HasError() {
		// A tree without errors skips go/parser: it costs about 3 ms of CPU
		// on a 131 KB file (net/http/server.go), as much again as the rest of
		// an LSP keystroke, and the build gate catches what both accept.
		return nil
	}
	if pass.File.Lang != nil && pass.File.Lang.Name == "go" {
		goErrors(pass)
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
			// An ERROR node (tree-sitter's recovery can wrap a whole file
			// in one) is reported where the parser first lost its way: its
			// first stray token, or the first error inside the constructs
			// it holds; what follows is the same mistake's cascade.
			for ch := range children(n) {
				switch {
				case ch.IsExtra():
					continue
				case ch.HasError():
					visit(ch)
					return
				case ch.ChildCount() == 0:
					start, end, msg := describeError(n, ch, content)
					report(start, end, msg)
					return
				}
				// A whole construct that parsed: not where it went wrong.
			}
			start, end, msg := describeError(n, firstLeaf(n), content)
			report(start, end, msg)
			return
		}
		for ch := range children(n) {
			visit(ch)
		}
	}
	visit(root)
	return nil
}

// children yields the children of n in order. A cursor steps to the next
// sibling in constant time; Child(i) walks from the first child, which made
// wide nodes (a file's top-level declarations) quadratic.
func children(n *sitter.Node) iter.Seq[*sitter.Node] {
	return func(yield func(*sitter.Node) bool) {
		c := sitter.NewTreeCursor(n)
		defer c.Close()
		for ok := c.GoToFirstChild(); ok; ok = c.GoToNextSibling() {
			if !yield(c.CurrentNode()) {
				return
			}
		}
	}
}

// hasErrorChild reports whether a child of n is or holds an ERROR or
// MISSING node.
func hasErrorChild(n *sitter.Node) bool {
	for ch := range children(n) {
		if ch.HasError() {
			return true
		}
	}
	return false
}

// goErrors reports go/parser's errors, one per line as gofmt prints them.
func goErrors(pass *analysis.Pass) {
	content := pass.Content()
	fset := token.NewFileSet()
	_, err := parser.ParseFile(fset, pass.File.Path, content, parser.SkipObjectResolution|parser.AllErrors)
	list, ok := err.(scanner.ErrorList)
	if !ok {
		return
	}
	list.RemoveMultiples()
	// go/parser's recovery reports errors that follow from the first one
	// (a brace it consumed makes the next function look broken). The first
	// error is the verdict; a later one is kept where tree-sitter also sees
	// an error on its line.
	tsLines := map[int]bool{}
	for _, off := range treeErrorStarts(pass.Tree.RootNode()) {
		tsLines[pass.File.Mapper().Line(off)+1] = true
	}
	for i, e := range list {
		if i > 0 && !tsLines[e.Pos.Line] {
			continue
		}
		start := e.Pos.Offset
		if start < 0 || start > len(content) {
			start = len(content)
		}
		pass.Report(analysis.Diagnostic{Start: start, End: goTokenEnd(content, start), Message: e.Msg})
	}
}

// treeErrorStarts lists where tree-sitter's smallest ERROR and MISSING nodes
// start.
func treeErrorStarts(root *sitter.Node) []int {
	var out []int
	var visit func(n *sitter.Node)
	visit = func(n *sitter.Node) {
		switch {
		case !n.HasError():
			return
		case n.IsMissing():
			out = append(out, missingAt(n))
			return
		case n.IsError() && !hasErrorChild(n):
			out = append(out, int(firstLeaf(n).StartByte()))
			return
		}
		for ch := range children(n) {
			visit(ch)
		}
	}
	visit(root)
	return out
}

// goTokenEnd is the end of the Go token at off: what the squiggle covers.
func goTokenEnd(content []byte, off int) int {
	rest := content[off:]
	if i := strings.IndexByte(string(rest[:min(len(rest), 512)]), '\n'); i >= 0 {
		rest = rest[:i]
	}
	fset := token.NewFileSet()
	f := fset.AddFile("", -1, len(rest))
	var sc scanner.Scanner
	sc.Init(f, rest, func(token.Position, string) {}, scanner.ScanComments)
	pos, tok, lit := sc.Scan()
	if tok == token.EOF || f.Offset(pos) != 0 {
		return off
	}
	n := len(tok.String())
	if lit != "" {
		n = len(lit)
	}
	return off + min(n, len(rest))
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

// describeError reports an ERROR node at the token leaf, where the parser
// stopped understanding: a squiggle over a whole region helps no one.
func describeError(n, leaf *sitter.Node, content []byte) (start, end int, msg string) {
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
	p := n.Parent()
	for p != nil && p.IsError() {
		p = p.Parent()
	}
	if p != nil && p.Parent() != nil {
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

// firstLeaf is the first token of n that is not a comment (an extra).
func firstLeaf(n *sitter.Node) *sitter.Node {
	for n.ChildCount() > 0 {
		var next *sitter.Node
		for i := 0; i < int(n.ChildCount()); i++ {
			if c := n.Child(i); c != nil && !c.IsExtra() {
				next = c
				break
			}
		}
		if next == nil {
			break
		}
		n = next
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

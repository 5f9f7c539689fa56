package rules

// The structural matcher for pattern rules: a snippet of the target
// language with metavariables ($A one node, $$$A zero or more, $_ one
// without capturing), matched against syntax trees the way ast-grep
// matches in its default ("smart") strictness. No Go library matches
// ast-grep patterns over tree-sitter trees, and a tree-sitter query
// cannot express `$$$` between siblings nor "the same text twice", so the
// algorithm is a port of ast-grep-core's match_tree (MIT), kept close to
// it so that both report the same ranges.

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

type mvKind uint8

const (
	mvCapture      mvKind = iota // $A
	mvDropped                    // $_ (and $_NAME)
	mvMultiple                   // $$$ (and $$$_NAME)
	mvMultiCapture               // $$$A
)

type metaVar struct {
	kind  mvKind
	name  string
	named bool // false for $$A: unnamed nodes (punctuation) match too
}

// pnode is a node of a compiled pattern.
type pnode struct {
	mv       *metaVar
	sym      sitter.Symbol
	named    bool
	leaf     bool
	text     string // leaves
	children []*pnode
}

func (p *pnode) trivial() bool { return p.mv == nil && p.leaf && !p.named }

func (p *pnode) ellipsis() (name string, ok bool) {
	if p.mv == nil {
		return "", false
	}
	switch p.mv.kind {
	case mvMultiple:
		return "", true
	case mvMultiCapture:
		return p.mv.name, true
	}
	return "", false
}

// pattern is a compiled pattern: its root, and with a selector the kind
// the matched node must have.
type pattern struct {
	root     *pnode
	rootSym  sitter.Symbol
	hasRoot  bool // rootSym is set (contextual patterns)
	literals []string
}

// expando is the character that stands for $ in the pattern text of
// languages whose identifiers cannot contain $ (as in ast-grep).
func expando(lang *analysis.Language) rune {
	switch lang.Name {
	case "go", "python":
		return 'µ'
	}
	return '$'
}

// preprocess replaces the $ of metavariables by the language's expando
// character, as ast-grep's pre_process_pattern does.
func preprocess(src string, ex rune) string {
	if ex == '$' {
		return src
	}
	var b strings.Builder
	dollars := 0
	flush := func(sigil rune) {
		for ; dollars > 0; dollars-- {
			b.WriteRune(sigil)
		}
	}
	for _, c := range src {
		if c == '$' {
			dollars++
			continue
		}
		if c >= 'A' && c <= 'Z' || c == '_' || dollars == 3 {
			flush(ex)
		} else {
			flush('$')
		}
		b.WriteRune(c)
	}
	if dollars == 3 {
		flush(ex)
	}
	flush('$')
	return b.String()
}

func validFirst(c rune) bool { return c >= 'A' && c <= 'Z' || c == '_' }
func validMV(c rune) bool    { return validFirst(c) || c >= '0' && c <= '9' }

// extractMetaVar says whether s (a node's text) is a metavariable.
func extractMetaVar(s string, mc rune) *metaVar {
	m := string(mc)
	three := m + m + m
	if s == three {
		return &metaVar{kind: mvMultiple}
	}
	if rest, ok := strings.CutPrefix(s, three); ok {
		for _, c := range rest {
			if !validMV(c) {
				return nil
			}
		}
		if strings.HasPrefix(rest, "_") {
			return &metaVar{kind: mvMultiple}
		}
		return &metaVar{kind: mvMultiCapture, name: rest}
	}
	rest, ok := strings.CutPrefix(s, m)
	if !ok {
		return nil
	}
	named := true
	if r, ok := strings.CutPrefix(rest, m); ok {
		rest, named = r, false
	}
	first, _ := utf8.DecodeRuneInString(rest)
	if rest == "" || !validFirst(first) {
		return nil
	}
	for _, c := range rest {
		if !validMV(c) {
			return nil
		}
	}
	if strings.HasPrefix(rest, "_") {
		return &metaVar{kind: mvDropped, named: named}
	}
	return &metaVar{kind: mvCapture, name: rest, named: named}
}

// symbols maps a grammar's named node kinds to their symbols.
type symbols struct {
	named map[string][]sitter.Symbol
}

var symbolCache = map[*analysis.Language]*symbols{}

func symbolsOf(lang *analysis.Language) *symbols {
	symbolMu.Lock()
	defer symbolMu.Unlock()
	if s := symbolCache[lang]; s != nil {
		return s
	}
	s := &symbols{named: map[string][]sitter.Symbol{}}
	g := lang.Grammar
	for i := uint32(0); i < g.SymbolCount(); i++ {
		sym := sitter.Symbol(i)
		if g.SymbolType(sym) == sitter.SymbolTypeRegular {
			name := g.SymbolName(sym)
			s.named[name] = append(s.named[name], sym)
		}
	}
	symbolCache[lang] = s
	return s
}

// PatternError is a pattern that cannot be compiled; Offset is into the
// pattern text when the problem has a place (-1 otherwise).
type PatternError struct {
	Offset int
	Msg    string
}

func (e *PatternError) Error() string { return e.Msg }

// compilePattern parses src in lang. With a selector, src is the context
// and the pattern is its first node of that kind (as ast-grep's
// context/selector); without one, src must be a single node.
func compilePattern(lang *analysis.Language, src, selector string) (*pattern, error) {
	ex := expando(lang)
	text := preprocess(src, ex)
	parser := sitter.NewParser()
	defer parser.Close()
	parser.SetLanguage(lang.Grammar)
	tree, err := parser.ParseCtx(context.Background(), nil, []byte(text))
	if err != nil {
		return nil, &PatternError{-1, err.Error()}
	}
	defer tree.Close()
	content := []byte(text)
	root := tree.RootNode()
	var node *sitter.Node
	p := &pattern{}
	if selector != "" {
		syms := symbolsOf(lang).named[selector]
		if len(syms) == 0 {
			return nil, &PatternError{-1, fmt.Sprintf("selector: %q is not a kind of node in %s", selector, lang.Name)}
		}
		node = findKind(root, syms)
		if node == nil {
			return nil, &PatternError{-1, fmt.Sprintf("selector %q matches no node in the context %q", selector, src)}
		}
		p.rootSym, p.hasRoot = node.Symbol(), true
	} else {
		if root.ChildCount() == 0 {
			return nil, &PatternError{-1, fmt.Sprintf("the pattern %q has no code", src)}
		}
		if !singleNode(root) {
			return nil, &PatternError{-1, fmt.Sprintf("the pattern %q is several nodes, not one (give a context and a selector)", src)}
		}
		node = root
		for singleNode(node) {
			node = node.Child(0)
		}
	}
	if e := firstError(node); e != nil {
		off := origOffset(text, src, int(e.StartByte()))
		near := string(content[e.StartByte():min(e.EndByte(), e.StartByte()+30)])
		what := "a syntax error"
		if e.IsMissing() {
			what = "missing " + e.Type()
		}
		msg := fmt.Sprintf("the pattern does not parse as %s: %s at offset %d near %q", lang.Name, what, off, strings.ReplaceAll(near, string(ex), "$"))
		if selector == "" {
			msg += " (give the snippet a context and a selector, as in ast-grep)"
		}
		return nil, &PatternError{off, msg}
	}
	p.root = convert(node, content, ex, &p.literals)
	if name, ok := p.root.ellipsis(); ok || p.root.mv != nil && p.root.mv.kind == mvMultiple {
		return nil, &PatternError{-1, fmt.Sprintf("a pattern cannot be a lone $$$%s: use $%s, or put $$$%s in a larger pattern", name, name, name)}
	}
	return p, nil
}

// origOffset maps an offset into the preprocessed text back to src.
func origOffset(text, src string, off int) int {
	if text == src {
		return off
	}
	return utf8.RuneCountInString(text[:min(off, len(text))]) // µ is one rune for one $
}

// singleNode is ast-grep's is_single_node: one child, or one and a
// missing or empty-kind one.
func singleNode(n *sitter.Node) bool {
	switch n.ChildCount() {
	case 1:
		return true
	case 2:
		c := n.Child(1)
		return c.IsMissing() || c.Type() == ""
	}
	return false
}

func firstError(n *sitter.Node) *sitter.Node {
	if !n.HasError() && !n.IsMissing() {
		return nil
	}
	if n.IsError() || n.IsMissing() {
		return n
	}
	for i := 0; i < int(n.ChildCount()); i++ {
		if e := firstError(n.Child(i)); e != nil {
			return e
		}
	}
	return n
}

func findKind(n *sitter.Node, syms []sitter.Symbol) *sitter.Node {
	if hasSym(syms, n.Symbol()) {
		return n
	}
	for i := 0; i < int(n.ChildCount()); i++ {
		if f := findKind(n.Child(i), syms); f != nil {
			return f
		}
	}
	return nil
}

func hasSym(syms []sitter.Symbol, s sitter.Symbol) bool {
	for _, x := range syms {
		if x == s {
			return true
		}
	}
	return false
}

func keyword(s string) bool {
	if len(s) < 2 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c == '_') {
			return false
		}
	}
	return true
}

func convert(n *sitter.Node, content []byte, ex rune, lits *[]string) *pnode {
	text := string(content[n.StartByte():n.EndByte()])
	if mv := extractMetaVar(text, ex); mv != nil {
		return &pnode{mv: mv}
	}
	p := &pnode{sym: n.Symbol(), named: n.IsNamed()}
	if n.ChildCount() == 0 {
		p.leaf, p.text = true, text
		if p.named && text != "" || keyword(text) {
			// A named leaf matches its text; an anonymous one its kind,
			// which for a keyword (if, defer, func...) is its text too.
			*lits = append(*lits, text)
		}
		return p
	}
	for i := 0; i < int(n.ChildCount()); i++ {
		c := n.Child(i)
		if c.IsMissing() {
			continue
		}
		p.children = append(p.children, convert(c, content, ex, lits))
	}
	return p
}

// binding is one metavariable's value in an environment.
type binding struct {
	name  string
	node  *sitter.Node   // single
	nodes []*sitter.Node // multi
	multi bool
}

// env holds the metavariables bound so far; matching appends and, on
// failure, truncates back to a mark.
type env struct {
	b []binding
}

func (e *env) mark() int      { return len(e.b) }
func (e *env) reset(mark int) { e.b = e.b[:mark] }

func (e *env) get(name string) *binding {
	for i := len(e.b) - 1; i >= 0; i-- {
		if e.b[i].name == name {
			return &e.b[i]
		}
	}
	return nil
}

// mctx is what matching needs besides the env.
type mctx struct {
	src []byte
	env env
	// global is set when a relation reached the root or the siblings of a
	// top-level node: the findings then depend on more than the top-level
	// node the candidate is in (see sgroup.previous).
	global bool
	// trans holds the transformed metavariables of the match being
	// reported (see applyTransforms)
	trans map[string]string
}

func (c *mctx) text(n *sitter.Node) []byte { return c.src[n.StartByte():n.EndByte()] }

// children returns n's children, using a cursor (Node.Child is linear).
func children(n *sitter.Node) []*sitter.Node {
	count := int(n.ChildCount())
	if count == 0 {
		return nil
	}
	out := make([]*sitter.Node, 0, count)
	cur := sitter.NewTreeCursor(n)
	defer cur.Close()
	for ok := cur.GoToFirstChild(); ok; ok = cur.GoToNextSibling() {
		out = append(out, cur.CurrentNode())
	}
	return out
}

// sameNode is ast-grep's does_node_match_exactly: the same text for
// leaves, the same kinds and children otherwise.
func (c *mctx) sameNode(a, b *sitter.Node) bool {
	if a.Equal(b) {
		return true
	}
	aLeaf := a.IsNamed() && a.ChildCount() == 0
	bLeaf := b.IsNamed() && b.ChildCount() == 0
	if aLeaf || bLeaf {
		return string(c.text(a)) == string(c.text(b))
	}
	if a.Symbol() != b.Symbol() || a.ChildCount() != b.ChildCount() {
		return false
	}
	// Text that is no node in this grammar (a Go string's content in
	// smacker's tree-sitter-go) must be the same too.
	if !equalSpaceless(c.text(a), c.text(b)) {
		return false
	}
	ac, bc := children(a), children(b)
	for i := range ac {
		if !c.sameNode(ac[i], bc[i]) {
			return false
		}
	}
	return true
}

// equalSpaceless compares a and b ignoring whitespace.
func equalSpaceless(a, b []byte) bool {
	i, j := 0, 0
	for {
		for i < len(a) && isSpace(a[i]) {
			i++
		}
		for j < len(b) && isSpace(b[j]) {
			j++
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		if a[i] != b[j] {
			return false
		}
		i++
		j++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (c *mctx) bind(name string, n *sitter.Node) bool {
	if prev := c.env.get(name); prev != nil {
		if prev.multi || !c.sameNode(prev.node, n) {
			return false
		}
		return true
	}
	c.env.b = append(c.env.b, binding{name: name, node: n})
	return true
}

func (c *mctx) bindMulti(name string, ns []*sitter.Node) bool {
	if prev := c.env.get(name); prev != nil {
		if !prev.multi {
			return false
		}
		var a, b []*sitter.Node
		for _, n := range prev.nodes {
			if n.IsNamed() {
				a = append(a, n)
			}
		}
		for _, n := range ns {
			if n.IsNamed() {
				b = append(b, n)
			}
		}
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if !c.sameNode(a[i], b[i]) {
				return false
			}
		}
		return true
	}
	c.env.b = append(c.env.b, binding{name: name, nodes: ns, multi: true})
	return true
}

func (c *mctx) matchMetaVar(mv *metaVar, n *sitter.Node) bool {
	switch mv.kind {
	case mvCapture:
		if mv.named && !n.IsNamed() {
			return false
		}
		return c.bind(mv.name, n)
	case mvDropped:
		return !mv.named || n.IsNamed()
	case mvMultiCapture:
		return c.bindMulti(mv.name, []*sitter.Node{n})
	}
	return true
}

type outcome uint8

const (
	matchedBoth outcome = iota
	skipCandidate
	noMatch
)

// matchPattern matches p at n (n itself, not its descendants); on failure
// the env is as before.
func (c *mctx) matchPattern(p *pattern, n *sitter.Node) bool {
	if p.hasRoot && n.Symbol() != p.rootSym {
		return false
	}
	mark := c.env.mark()
	var ok bool
	if p.root.mv != nil {
		// A root metavariable is the candidate itself, comments included.
		ok = c.matchMetaVar(p.root.mv, n)
	} else {
		ok = c.matchNode(p.root, n) == matchedBoth
	}
	if !ok {
		c.env.reset(mark)
	}
	return ok
}

func (c *mctx) matchNode(g *pnode, n *sitter.Node) outcome {
	if g.mv != nil {
		if n.IsExtra() {
			return skipCandidate
		}
		if c.matchMetaVar(g.mv, n) {
			return matchedBoth
		}
		return noMatch
	}
	if g.leaf {
		kindOK := g.sym == n.Symbol() || g.sym == sitter.Symbol(0xFFFF)
		if kindOK && (!g.named || g.text == string(c.text(n))) {
			return matchedBoth
		}
		if n.IsExtra() || !n.IsNamed() {
			return skipCandidate
		}
		return noMatch
	}
	if g.sym != n.Symbol() && g.sym != sitter.Symbol(0xFFFF) {
		return noMatch
	}
	if c.matchChildren(g.children, children(n)) {
		return matchedBoth
	}
	return noMatch
}

// matchChildren is match_nodes_impl_recursive.
func (c *mctx) matchChildren(goals []*pnode, cands []*sitter.Node) bool {
	gi, ci := 0, 0
	if len(cands) == 0 {
		return false
	}
	for {
		// may_match_ellipsis
		if gi >= len(goals) {
			return true
		}
		if name, ok := goals[gi].ellipsis(); ok {
			var matched []*sitter.Node
			gi++
			if gi >= len(goals) {
				return c.ellipsis(name, append(matched, cands[ci:]...), 0)
			}
			skipped := 0
			for goals[gi].trivial() {
				gi++
				skipped++
				if gi >= len(goals) {
					return c.ellipsis(name, append(matched, cands[ci:]...), skipped)
				}
			}
			if _, ok := goals[gi].ellipsis(); ok {
				matched = append(matched, cands[ci])
				ci++
				if ci >= len(cands) {
					return false
				}
				if !c.ellipsis(name, matched, skipped) {
					return false
				}
				continue
			}
			found := false
			for !found {
				mark := c.env.mark()
				r := c.matchNode(goals[gi], cands[ci])
				c.env.reset(mark)
				if r == matchedBoth {
					if !c.ellipsis(name, matched, skipped) {
						return false
					}
					found = true
					break
				}
				matched = append(matched, cands[ci])
				ci++
				if ci >= len(cands) {
					return false
				}
			}
		}
		// match_single_node_while_skip_trivial
		for {
			if ci >= len(cands) {
				// the remaining goals must all be ellipses
				for ; gi < len(goals); gi++ {
					if _, ok := goals[gi].ellipsis(); !ok {
						return false
					}
				}
				break
			}
			r := c.matchNode(goals[gi], cands[ci])
			if r == matchedBoth {
				break
			}
			if r == noMatch {
				return false
			}
			ci++ // skip a trivial candidate
		}
		if gi < len(goals) {
			gi++
			ci++
		}
		if gi >= len(goals) {
			// trailing candidates: smart strictness skips them all
			return true
		}
		if ci >= len(cands) {
			return false
		}
	}
}

func (c *mctx) ellipsis(name string, nodes []*sitter.Node, skipped int) bool {
	if name == "" {
		return true
	}
	keep := max(len(nodes)-skipped, 0)
	return c.bindMulti(name, nodes[:keep])
}

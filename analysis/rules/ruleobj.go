package rules

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
)

var symbolMu sync.Mutex

type op uint8

const (
	opPattern op = iota
	opKind
	opRegex
	opAll
	opAny
	opNot
	opMatches
	opInside
	opHas
	opPrecedes
	opFollows
)

type stopKind uint8

const (
	stopNeighbor stopKind = iota
	stopEnd
	stopRule
)

// rnode is a compiled rule object (ast-grep's Rule).
type rnode struct {
	op    op
	pat   *pattern
	kinds []sitter.Symbol
	re    *regexp.Regexp
	subs  []*rnode // all, any
	inner *rnode   // not, relations
	util  string   // matches
	utils *utilSet
	stop  stopKind
	until *rnode // stopBy as a rule
	field string
	// innerKinds are inner's rootKinds (nil: any), for inside.
	innerKinds []sitter.Symbol
}

// utilSet resolves `matches` names: the rule's utils, then the project's.
type utilSet struct {
	local, global map[string]*rnode
}

func (u *utilSet) get(name string) *rnode {
	if r := u.local[name]; r != nil {
		return r
	}
	return u.global[name]
}

// compiler turns config rule objects into rnodes for one language.
type compiler struct {
	lang  *analysis.Language
	src   config.Rule
	utils *utilSet
	// raw util objects, compiled on first use (they may refer to each other)
	rawLocal, rawGlobal map[string]*config.RuleObject
	busy                map[string]bool
}

func (c *compiler) fail(p config.Pos, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Pos: p, Rule: c.src.ID, Reason: msg}
}

func (c *compiler) compile(o *config.RuleObject) (*rnode, error) {
	if o == nil {
		return nil, c.fail(c.src.Pos, "empty rule object")
	}
	at := func(key string) config.Pos {
		if l := o.Set[key]; l > 0 {
			return config.Pos{File: o.Pos.File, Line: l}
		}
		return o.Pos
	}
	var list []*rnode
	if o.Pattern != nil {
		p, err := compilePattern(c.lang, o.Pattern.Context, o.Pattern.Selector)
		if err != nil {
			pos := o.Pattern.Pos
			if pos.File == "" {
				pos = at("pattern")
			}
			return nil, c.fail(pos, "pattern: %v", err)
		}
		list = append(list, &rnode{op: opPattern, pat: p})
	}
	if _, ok := o.Set["kind"]; ok {
		syms := symbolsOf(c.lang).named[o.Kind]
		if len(syms) == 0 {
			return nil, c.fail(at("kind"), "kind: %q is not a kind of node in %s", o.Kind, c.lang.Name)
		}
		list = append(list, &rnode{op: opKind, kinds: syms})
	}
	if _, ok := o.Set["regex"]; ok {
		re, err := regexp.Compile(o.Regex)
		if err != nil {
			return nil, c.fail(at("regex"), "regex: %v", err)
		}
		list = append(list, &rnode{op: opRegex, re: re})
	}
	for _, comp := range []struct {
		key  string
		op   op
		list []*config.RuleObject
	}{{"all", opAll, o.All}, {"any", opAny, o.Any}} {
		if _, ok := o.Set[comp.key]; !ok {
			continue
		}
		n := &rnode{op: comp.op}
		for _, sub := range comp.list {
			r, err := c.compile(sub)
			if err != nil {
				return nil, err
			}
			n.subs = append(n.subs, r)
		}
		list = append(list, n)
	}
	if o.Not != nil {
		r, err := c.compile(o.Not)
		if err != nil {
			return nil, err
		}
		list = append(list, &rnode{op: opNot, inner: r})
	}
	if _, ok := o.Set["matches"]; ok {
		if err := c.util(o.Matches, at("matches")); err != nil {
			return nil, err
		}
		list = append(list, &rnode{op: opMatches, util: o.Matches, utils: c.utils})
	}
	for _, rel := range []struct {
		key string
		op  op
		r   *config.Relation
	}{{"inside", opInside, o.Inside}, {"has", opHas, o.Has}, {"precedes", opPrecedes, o.Precedes}, {"follows", opFollows, o.Follows}} {
		if rel.r == nil {
			continue
		}
		inner, err := c.compile(rel.r.Rule)
		if err != nil {
			return nil, err
		}
		n := &rnode{op: rel.op, inner: inner, field: rel.r.Field, innerKinds: inner.rootKinds()}
		switch {
		case rel.r.StopRule != nil:
			n.stop = stopRule
			if n.until, err = c.compile(rel.r.StopRule); err != nil {
				return nil, err
			}
		case rel.r.StopBy == "end":
			n.stop = stopEnd
		}
		if n.field != "" {
			if rel.op == opPrecedes || rel.op == opFollows {
				return nil, c.fail(at(rel.key), "%s: field is only supported in has and inside", rel.key)
			}
			if !grammarHasField(c.lang, n.field) {
				return nil, c.fail(at(rel.key), "%s: %q is not a field in %s", rel.key, n.field, c.lang.Name)
			}
		}
		list = append(list, n)
	}
	switch len(list) {
	case 0:
		return nil, c.fail(o.Pos, "the rule object matches nothing: give at least one of pattern, kind, regex, all, any, matches (not, inside, has, precedes and follows only refine them)")
	case 1:
		return list[0], nil
	}
	return &rnode{op: opAll, subs: list}, nil
}

// util compiles the utility rule name when it is first needed.
func (c *compiler) util(name string, pos config.Pos) error {
	if c.utils.local[name] != nil || c.utils.global[name] != nil || c.busy[name] {
		return nil
	}
	raw, local := c.rawLocal[name], true
	if raw == nil {
		raw, local = c.rawGlobal[name], false
	}
	if raw == nil {
		return c.fail(pos, "matches: no utility rule %q (in utils or the project's utilDirs)", name)
	}
	c.busy[name] = true
	r, err := c.compile(raw)
	delete(c.busy, name)
	if err != nil {
		return err
	}
	if local {
		c.utils.local[name] = r
	} else {
		c.utils.global[name] = r
	}
	return nil
}

var fieldCache sync.Map // *analysis.Language -> map[string]bool

func grammarHasField(lang *analysis.Language, name string) bool {
	v, ok := fieldCache.Load(lang)
	if !ok {
		m := map[string]bool{}
		for i := 1; ; i++ {
			f := lang.Grammar.FieldName(i)
			if f == "" {
				break
			}
			m[f] = true
		}
		fieldCache.Store(lang, m)
		v = m
	}
	return v.(map[string]bool)[name]
}

// match says whether n matches; on false the env is as before.
func (r *rnode) match(c *mctx, n *sitter.Node) bool {
	switch r.op {
	case opPattern:
		return c.matchPattern(r.pat, n)
	case opKind:
		return hasSym(r.kinds, n.Symbol())
	case opRegex:
		return r.re.Match(c.text(n))
	case opAll:
		mark := c.env.mark()
		for _, s := range r.subs {
			if !s.match(c, n) {
				c.env.reset(mark)
				return false
			}
		}
		return true
	case opAny:
		for _, s := range r.subs {
			if s.match(c, n) {
				return true
			}
		}
		return false
	case opNot:
		mark := c.env.mark()
		ok := r.inner.match(c, n)
		c.env.reset(mark)
		return !ok
	case opMatches:
		u := r.utils.get(r.util)
		return u != nil && u.match(c, n)
	case opInside:
		return r.inside(c, n)
	case opHas:
		return r.has(c, n)
	case opPrecedes:
		return r.siblings(c, n, (*sitter.Node).NextSibling)
	case opFollows:
		return r.siblings(c, n, (*sitter.Node).PrevSibling)
	}
	return false
}

// stops says whether n matches the stopBy rule (with a fresh env).
func (r *rnode) stops(c *mctx, n *sitter.Node) bool {
	saved := c.env
	c.env = env{}
	ok := r.until.match(c, n)
	c.env = saved
	return ok
}

// local reports whether r never looks past the top-level node its
// candidate is in: the static counterpart of the checks that set
// mctx.global (inside reaching a root that inner may match, precedes and
// follows, which may reach a top-level node's siblings). root is the
// language's root kind; seen guards recursive utils.
func (r *rnode) local(root sitter.Symbol, seen map[*rnode]bool) bool {
	if r == nil || seen[r] {
		return true
	}
	seen[r] = true
	switch r.op {
	case opPrecedes, opFollows:
		return false
	case opInside:
		if r.innerKinds == nil || hasSym(r.innerKinds, root) {
			return false
		}
	case opMatches:
		if r.utils == nil {
			return false
		}
		u := r.utils.get(r.util)
		if u == nil || !u.local(root, seen) {
			return false
		}
	}
	for _, s := range r.subs {
		if !s.local(root, seen) {
			return false
		}
	}
	return r.inner.local(root, seen) && r.until.local(root, seen)
}

func (r *rnode) inside(c *mctx, n *sitter.Node) bool {
	prev := n
	for a := n.Parent(); a != nil; prev, a = a, a.Parent() {
		if !c.global && a.Parent() == nil && (r.innerKinds == nil || hasSym(r.innerKinds, a.Symbol())) {
			// The root, and a rule that may match it (a kind cannot):
			// what it finds there may lie in any top-level node.
			c.global = true
		}
		stop := r.stop == stopNeighbor || r.stop == stopRule && r.stops(c, a)
		if r.field == "" || fieldChild(a, r.field, prev) {
			if r.inner.match(c, a) {
				return true
			}
		}
		if stop {
			return false
		}
	}
	return false
}

func fieldChild(parent *sitter.Node, field string, child *sitter.Node) bool {
	f := parent.ChildByFieldName(field)
	return f != nil && f.Equal(child)
}

func (r *rnode) has(c *mctx, n *sitter.Node) bool {
	if r.field != "" {
		nd := n.ChildByFieldName(r.field)
		if nd == nil {
			return false
		}
		switch r.stop {
		case stopNeighbor:
			return r.inner.match(c, nd)
		case stopEnd:
			return r.dfs(c, nd, true)
		}
		if r.inner.match(c, nd) {
			return true
		}
		if r.stops(c, nd) {
			return false
		}
		for _, ch := range children(nd) {
			if r.inner.match(c, ch) {
				return true
			}
		}
		return false
	}
	switch r.stop {
	case stopNeighbor:
		for _, ch := range children(n) {
			if r.inner.match(c, ch) {
				return true
			}
		}
		return false
	case stopEnd:
		return r.dfs(c, n, false)
	}
	for _, ch := range children(n) {
		if r.inner.match(c, ch) {
			return true
		}
		if !r.stops(c, ch) && r.has(c, ch) {
			return true
		}
	}
	return false
}

// dfs tries the inner rule on n's descendants in pre-order (and n itself
// when self is set).
func (r *rnode) dfs(c *mctx, n *sitter.Node, self bool) bool {
	cur := sitter.NewTreeCursor(n)
	defer cur.Close()
	if self && r.inner.match(c, n) {
		return true
	}
	if !cur.GoToFirstChild() {
		return false
	}
	depth := 1
	for {
		if r.inner.match(c, cur.CurrentNode()) {
			return true
		}
		if cur.GoToFirstChild() {
			depth++
			continue
		}
		for !cur.GoToNextSibling() {
			if !cur.GoToParent() {
				return false
			}
			depth--
			if depth == 0 {
				return false
			}
		}
	}
}

func (r *rnode) siblings(c *mctx, n *sitter.Node, next func(*sitter.Node) *sitter.Node) bool {
	if !c.global {
		if p := n.Parent(); p == nil || p.Parent() == nil {
			c.global = true // n is a top-level node: its siblings are others
		}
	}
	for s := next(n); s != nil; s = next(s) {
		if separator(c, s) {
			continue
		}
		stop := r.stop == stopNeighbor || r.stop == stopRule && r.stops(c, s)
		if r.inner.match(c, s) {
			return true
		}
		if stop {
			return false
		}
	}
	return false
}

// separator says whether n is a statement separator that only some
// versions of a grammar make a node: the anonymous newline token between
// Go statements of smacker's tree-sitter-go, which ast-grep's newer
// grammar (statement_list) does not have. Relations skip it so that
// "the next statement" is the same for both.
func separator(c *mctx, n *sitter.Node) bool {
	if n.IsNamed() || n.ChildCount() > 0 {
		return false
	}
	return len(bytes.TrimSpace(c.text(n))) == 0
}

// rootKinds are the kinds a node matching r can have; nil means any.
func (r *rnode) rootKinds() []sitter.Symbol {
	switch r.op {
	case opPattern:
		if r.pat.hasRoot {
			return []sitter.Symbol{r.pat.rootSym}
		}
		if r.pat.root.mv == nil && r.pat.root.sym != sitter.Symbol(0xFFFF) {
			return []sitter.Symbol{r.pat.root.sym}
		}
	case opKind:
		return r.kinds
	case opAll:
		var out []sitter.Symbol
		set := false
		for _, s := range r.subs {
			if k := s.rootKinds(); k != nil {
				if !set {
					out, set = k, true
					continue
				}
				var both []sitter.Symbol
				for _, x := range out {
					if hasSym(k, x) {
						both = append(both, x)
					}
				}
				out = both
			}
		}
		if set && out == nil {
			return []sitter.Symbol{}
		}
		return out
	case opAny:
		var out []sitter.Symbol
		for _, s := range r.subs {
			k := s.rootKinds()
			if k == nil {
				return nil
			}
			out = append(out, k...)
		}
		if out == nil {
			return []sitter.Symbol{}
		}
		return out
	}
	return nil
}

// shapes are tree-sitter query patterns (without captures) such that every
// node r can match also matches one of them: the pattern's kinds and its
// fixed named descendants, in order, without their text. The query runs
// in C and hands Go only nodes of the right shape, which the matcher then
// checks in full; tree-sitter queries cannot express the rest ($$$, the
// same text twice, relations up and sideways). nil means any node.
func (r *rnode) shapes(lang *analysis.Language, depth int) []string {
	if depth > 20 {
		return nil
	}
	switch r.op {
	case opPattern:
		if r.pat.root.mv == nil && r.pat.root.named && r.pat.root.sym != sitter.Symbol(0xFFFF) {
			return []string{pnodeShape(lang, r.pat.root)}
		}
	case opKind:
		var out []string
		for _, k := range r.kinds {
			s := "(" + lang.Grammar.SymbolName(k) + ")"
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out
	case opAll:
		var base []string
		kindOnly := false
		for _, s := range r.subs {
			if sh := s.shapes(lang, depth+1); sh != nil && (base == nil || kindOnly && s.op == opPattern) {
				base, kindOnly = sh, s.op == opKind
			}
		}
		// A kind refined by what its children must be (has with
		// stopBy: neighbor): (expression_statement (call_expression ...)).
		if kindOnly && len(base) == 1 {
			for _, s := range r.subs {
				if s.op != opHas || s.stop != stopNeighbor || s.field != "" {
					continue
				}
				if in := s.inner.shapes(lang, depth+1); len(in) == 1 {
					return []string{base[0][:len(base[0])-1] + " " + in[0] + ")"}
				}
			}
		}
		return base
	case opAny:
		var out []string
		for _, s := range r.subs {
			sh := s.shapes(lang, depth+1)
			if sh == nil {
				return nil
			}
			out = append(out, sh...)
		}
		return out
	case opMatches:
		if u := r.utils.get(r.util); u != nil {
			return u.shapes(lang, depth+1)
		}
	}
	return nil
}

// pnodeShape is the query pattern of a named pattern node: its kind and
// its named children that are not metavariables, in order. A query child
// matches a direct child anywhere after the previous one, as the matcher's
// goals (which skip unnamed and extra candidates, and $$$ any) do.
func pnodeShape(lang *analysis.Language, p *pnode) string {
	var b strings.Builder
	b.WriteString("(")
	b.WriteString(lang.Grammar.SymbolName(p.sym))
	for _, c := range p.children {
		if c.mv != nil || !c.named || c.sym == sitter.Symbol(0xFFFF) {
			continue
		}
		b.WriteString(" ")
		b.WriteString(pnodeShape(lang, c))
	}
	b.WriteString(")")
	return b.String()
}

// need is the literal text a file must contain for r to match in it: its
// pattern's words and its regex's literals, and those of the rules it is
// made of. With span, it is the text a node matching r must contain in its
// own source: what it has below it counts, what is around it does not.
func (r *rnode) need(depth int, span bool) need {
	if depth > 20 {
		return nil
	}
	switch r.op {
	case opPattern:
		var out need
		for _, l := range r.pat.literals {
			out = append(out, alts{[]byte(l)})
		}
		return out
	case opRegex:
		if a := regexpLiterals(r.re); len(a) > 0 {
			return need{a}
		}
	case opAll:
		var out need
		for _, s := range r.subs {
			out = append(out, s.need(depth+1, span)...)
		}
		return out
	case opAny:
		var any alts
		for _, s := range r.subs {
			n := s.need(depth+1, span)
			if len(n) == 0 {
				return nil
			}
			any = append(any, n[0]...)
		}
		if len(any) > 0 {
			return need{any}
		}
	case opMatches:
		if u := r.utils.get(r.util); u != nil {
			return u.need(depth+1, span)
		}
	case opHas:
		return r.inner.need(depth+1, span)
	case opInside, opPrecedes, opFollows:
		if !span {
			return r.inner.need(depth+1, span)
		}
	}
	return nil
}

// fixTemplate is a replacement with $VAR, $$$VAR as in ast-grep's fix.
type fixTemplate struct {
	frags []string
	vars  []tvar
}

type tvar struct {
	name   string
	multi  bool
	indent int // of the line the variable is on, in the template
}

func parseFix(t string) *fixTemplate {
	f := &fixTemplate{}
	last := 0
	for i := 0; i < len(t); {
		if t[i] != '$' {
			i++
			continue
		}
		j, dollars := i, 0
		for j < len(t) && t[j] == '$' && dollars < 3 {
			j++
			dollars++
		}
		k := j
		for k < len(t) && (t[k] >= 'A' && t[k] <= 'Z' || t[k] == '_' || k > j && t[k] >= '0' && t[k] <= '9') {
			k++
		}
		if k == j { // $1 is text, as in ast-grep 0.51
			i = j
			continue
		}
		f.frags = append(f.frags, t[last:i])
		f.vars = append(f.vars, tvar{name: t[j:k], multi: dollars == 3, indent: indentAt([]byte(t), i)})
		last, i = k, k
	}
	f.frags = append(f.frags, t[last:])
	return f
}

// indentAt is ast-grep's get_indent_at_offset: the indentation of the
// line offset is on, when only whitespace precedes offset on it.
func indentAt(src []byte, off int) int {
	n := 0
	for i := off - 1; i >= 0; i-- {
		switch src[i] {
		case ' ', '\t':
			n++
		case '\n':
			return n
		default:
			n = 0
		}
	}
	return n
}

// reindent moves lines after the first of text from indentation `from` to `to`.
func reindent(text string, from, to int) string {
	if !strings.Contains(text, "\n") || from == to {
		return text
	}
	lines := strings.Split(text, "\n")
	for i := 1; i < len(lines); i++ {
		l := lines[i]
		if from > to {
			cut := 0
			for cut < from-to && cut < len(l) && (l[cut] == ' ' || l[cut] == '\t') {
				cut++
			}
			lines[i] = l[cut:]
		} else if strings.TrimSpace(l) != "" || true {
			lines[i] = strings.Repeat(" ", to-from) + l
		}
	}
	return strings.Join(lines, "\n")
}

func (f *fixTemplate) expand(c *mctx, start int) string {
	var b strings.Builder
	b.WriteString(f.frags[0])
	for i, v := range f.vars {
		if t, s, ok := c.varText(v.name, v.multi); ok {
			if strings.Contains(t, "\n") {
				t = reindent(t, indentAt(c.src, s), v.indent)
			}
			b.WriteString(t)
		}
		b.WriteString(f.frags[i+1])
	}
	return reindent(b.String(), 0, indentAt(c.src, start))
}

// varText is a metavariable's text and start offset.
func (c *mctx) varText(name string, multi bool) (string, int, bool) {
	if t, ok := c.trans[name]; ok {
		return t, 0, true
	}
	bnd := c.env.get(name)
	if bnd == nil {
		return "", 0, false
	}
	if !bnd.multi {
		if multi {
			return "", 0, false
		}
		return string(c.text(bnd.node)), int(bnd.node.StartByte()), true
	}
	if len(bnd.nodes) == 0 {
		return "", 0, false
	}
	s, e := bnd.nodes[0].StartByte(), bnd.nodes[len(bnd.nodes)-1].EndByte()
	return string(c.src[s:e]), int(s), true
}

// expandMessage replaces $VAR and $$$VAR in a message.
func (c *mctx) expandMessage(t *fixTemplate) string {
	var b strings.Builder
	b.WriteString(t.frags[0])
	for i, v := range t.vars {
		if s, _, ok := c.varText(v.name, v.multi); ok {
			b.WriteString(s)
		}
		b.WriteString(t.frags[i+1])
	}
	return b.String()
}

package rules

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
)

// srule is a pattern rule (an ast-grep rule object) compiled for one
// language. It runs apart from the query rules: a walk of the tree that
// tries the rule on every node of a kind it can match.
type srule struct {
	rule        *rule
	group       *sgroup
	index       int // in group.rules
	lang        *analysis.Language
	root        *rnode
	constraints map[string]*rnode
	kinds       []sitter.Symbol // nil: every node
	shapes      []string        // query patterns every match has (nil: use kinds)
	need        need
	span        need // what a matching node's own text contains
	message     *fixTemplate
	fix         *fixTemplate
	transforms  []config.Transform // in the order they are computed
}

// rematches counts incremental runs of pattern rules (for tests).
var rematches atomic.Int64

// shapeFilter turns on the shape queries (off in a test, to compare).
var shapeFilter = true

// compileStructural compiles a rule object for each of the rule's languages.
func compileStructural(r *rule) error {
	src := r.src
	r.structural = map[*analysis.Language]*srule{}
	for lang := range r.parts {
		c := &compiler{
			lang:      lang,
			src:       src,
			utils:     &utilSet{local: map[string]*rnode{}, global: map[string]*rnode{}},
			rawLocal:  src.Utils,
			rawGlobal: src.GlobalUtils,
			busy:      map[string]bool{},
		}
		root, err := c.compile(src.Object)
		if err != nil {
			return withLang(err, src, lang)
		}
		s := &srule{rule: r, lang: lang, root: root, constraints: map[string]*rnode{}, kinds: root.rootKinds()}
		for name, o := range src.Constraints {
			cr, err := c.compile(o)
			if err != nil {
				return withLang(err, src, lang)
			}
			s.constraints[name] = cr
		}
		// a utility rule no rule refers to is still checked
		for name := range src.Utils {
			if err := c.util(name, src.PosOf("utils")); err != nil {
				return withLang(err, src, lang)
			}
		}
		s.need = root.need(0, false)
		s.span = root.need(0, true)
		if shapeFilter && len(s.kinds) > 0 {
			s.shapes = root.shapes(lang, 0)
		}
		if s.transforms, err = orderTransforms(src.Transforms); err != nil {
			return &Error{Pos: src.PosOf("transform"), Rule: src.ID, Reason: err.Error()}
		}
		s.message = parseFix(src.Message)
		if src.Fix != nil {
			s.fix = parseFix(src.Fix.Replace)
		}
		if err := checkVars(src, s, c.utils.local); err != nil {
			return withLang(err, src, lang)
		}
		r.structural[lang] = s
	}
	r.parts = nil
	return nil
}

func withLang(err error, src config.Rule, lang *analysis.Language) error {
	if e, ok := err.(*Error); ok && len(src.Languages) > 1 {
		e.Reason += " (" + lang.Name + ")"
	}
	return err
}

func (s *srule) wants(f *analysis.File) bool {
	return s.rule.src.AllowsPath(f.Path) && s.need.met(f.Content)
}

// try matches the rule at node and returns its finding.
func (s *srule) try(c *mctx, node *sitter.Node, f *analysis.File) (analysis.Diagnostic, bool) {
	c.env.reset(0)
	if s.root.match(c, node) && s.checkConstraints(c) {
		return s.diagnostic(c, node, f), true
	}
	return analysis.Diagnostic{}, false
}

// sgroup runs the pattern rules of one language together: one tree-sitter
// query finds the nodes of the kinds they can match (so that Go code
// touches only those), and a walk of the whole tree serves the rules that
// can match any kind. The first rule asked computes every rule's findings
// on the file; the others read them from a cache keyed weakly by the file.
type sgroup struct {
	lang  *analysis.Language
	rules []*srule
	query *sitter.Query // nil when no rule has kinds
	byPat [][]*srule    // query pattern index -> rules of that kind
	anyOf []*srule      // rules without kinds
	// local[i]: rules[i] never looks past its candidate's top-level node
	// (see rnode.local), so it can join incremental runs on a version
	// where it first applies (its words appear).
	local []bool
	cache fileCache[sentry]
}

type sentry struct {
	diags  [][]analysis.Diagnostic
	active []bool // which rules ran
	// global is set when a rule looked past the top-level node its
	// candidate is in (at the root, or at a top-level node's siblings):
	// the next version is then matched in full, not incrementally.
	global bool
}

func newSGroup(lang *analysis.Language, rules []*srule) (*sgroup, error) {
	g := &sgroup{lang: lang, rules: rules}
	var q strings.Builder
	index := map[string]int{} // query pattern -> index in byPat
	add := func(pat string, s *srule) {
		i, ok := index[pat]
		if !ok {
			i = len(g.byPat)
			index[pat] = i
			g.byPat = append(g.byPat, nil)
			q.WriteString(pat[:len(pat)-1] + ") @n\n")
		}
		if !slices.Contains(g.byPat[i], s) {
			g.byPat[i] = append(g.byPat[i], s)
		}
	}
	root := rootSymbol(lang)
	for _, s := range rules {
		ok := s.root.local(root, map[*rnode]bool{})
		for _, c := range s.constraints {
			ok = ok && c.local(root, map[*rnode]bool{})
		}
		g.local = append(g.local, ok)
	}
	for i, s := range rules {
		s.group, s.index = g, i
		if s.kinds == nil {
			g.anyOf = append(g.anyOf, s)
			continue
		}
		shapes := s.shapes
		// A shape the grammar's query language refuses (it should not
		// happen) falls back to the kinds alone.
		for _, sh := range shapes {
			if t, err := sitter.NewQuery([]byte(sh+" @n"), lang.Grammar); err != nil {
				shapes = nil
				break
			} else {
				t.Close()
			}
		}
		if shapes == nil {
			for _, k := range s.kinds {
				shapes = append(shapes, "("+lang.Grammar.SymbolName(k)+")")
			}
		}
		for _, sh := range shapes {
			add(sh, s)
		}
	}
	if len(g.byPat) == 0 {
		return g, nil
	}
	query, err := sitter.NewQuery([]byte(q.String()), lang.Grammar)
	if err != nil {
		return nil, err
	}
	g.query = query
	return g, nil
}

// results returns every rule's findings on the pass's file.
// The asking rule always runs: the engine has applied its filter (rule
// tests in ast-grep's form bypass the path globs).
func (g *sgroup) results(pass *analysis.Pass, asker *srule) ([][]analysis.Diagnostic, error) {
	f := pass.File
	e, err := g.cache.get(f, func() (sentry, error) {
		active := make([]bool, len(g.rules))
		for i, s := range g.rules {
			active[i] = s == asker || s.wants(f)
		}
		var diags [][]analysis.Diagnostic
		var global bool
		var err error
		if prev := g.previous(f, active); prev != nil && f.Delta().Exact {
			// As for query rules (langSet.rematch): only the top-level nodes
			// the edit touches are matched again.
			rematches.Add(1)
			diags, err = rematchWindow(pass.Tree, f.Delta(), prev, func(from, to int) ([][]analysis.Diagnostic, error) {
				d, gl, err := g.find(pass.Context, f, pass.Tree, active, &[2]int{from, to})
				global = gl
				return d, err
			})
			for i, on := range active {
				if !on && diags != nil {
					diags[i] = nil // its words left the file with this edit
				}
			}
		} else {
			diags, global, err = g.find(pass.Context, f, pass.Tree, active, nil)
		}
		return sentry{diags: diags, active: active, global: global}, err
	})
	return e.diags, err
}

// previous returns the findings on the version f was edited from, when
// they exist and none looked past its top-level node, and the rules that
// run now either ran then or could not match then: a rule whose words
// (srule.need) were missing from the previous text had no findings there,
// and a local one (rnode.local) finds on this version, outside the edited
// declarations, what it found there. A team rule's word typed in (or
// deleted) so does not cost a full run of every rule.
func (g *sgroup) previous(f *analysis.File, active []bool) [][]analysis.Diagnostic {
	d := f.Delta()
	if d == nil {
		return nil
	}
	// absent: rule i had no findings on the previous text and finds the
	// same outside the edited declarations now
	absent := func(i int) bool {
		s := g.rules[i]
		return g.local[i] && s.rule.src.AllowsPath(f.Path) && !s.need.met(d.Prev.Content)
	}
	e, present, done := g.cache.lookup(d.Prev)
	if !present {
		// Not matched (no rule applied to it, or never analysed): known
		// only if every rule that runs now is absent from it.
		for i, on := range active {
			if on && !absent(i) {
				return nil
			}
		}
		return make([][]analysis.Diagnostic, len(g.rules))
	}
	if !done || e.global {
		return nil
	}
	for i, on := range active {
		if on && !e.active[i] && !absent(i) {
			return nil
		}
	}
	return e.diags
}

// find matches the active rules over the tree, or over the top-level nodes
// in window (byte offsets) and the root. It also says whether a rule
// looked past a top-level node (mctx.global).
func (g *sgroup) find(ctx context.Context, f *analysis.File, tree *sitter.Tree, active []bool, window *[2]int) ([][]analysis.Diagnostic, bool, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	out := make([][]analysis.Diagnostic, len(g.rules))
	c := &mctx{src: f.Content}
	n := 0
	type tried struct {
		node *sitter.Node // unique per node of the tree (go-tree-sitter caches them)
		rule int
	}
	seen := map[tried]bool{}
	tryAll := func(rules []*srule, node *sitter.Node, once bool) {
		var span []byte
		for _, s := range rules {
			if active[s.index] {
				if once {
					// a node can match several shapes of a rule, or one
					// shape in several ways
					k := tried{node, s.index}
					if seen[k] {
						continue
					}
					seen[k] = true
				}
				if len(s.span) > 0 {
					if span == nil {
						span = c.text(node)
					}
					if !s.span.met(span) {
						continue
					}
				}
				if d, ok := s.try(c, node, f); ok {
					out[s.index] = append(out[s.index], d)
				}
			}
		}
	}
	wanted := func(rules []*srule) bool {
		return slices.ContainsFunc(rules, func(s *srule) bool { return active[s.index] })
	}
	if g.query != nil && slices.ContainsFunc(g.byPat, wanted) {
		qc := sitter.NewQueryCursor()
		defer qc.Close()
		if window != nil {
			m := f.Mapper()
			sr, sc := m.Point(window[0])
			er, ec := m.Point(window[1])
			qc.SetPointRange(sitter.Point{Row: sr, Column: sc}, sitter.Point{Row: er, Column: ec})
		}
		qc.Exec(g.query, tree.RootNode())
		for {
			m, ok := qc.NextMatch()
			if !ok {
				break
			}
			if n++; n%256 == 0 && ctx.Err() != nil {
				return nil, false, ctx.Err()
			}
			if rules := g.byPat[m.PatternIndex]; wanted(rules) && len(m.Captures) > 0 {
				tryAll(rules, m.Captures[0].Node, true)
			}
		}
	}
	if wanted(g.anyOf) {
		root := tree.RootNode()
		if window == nil {
			if err := g.walk(ctx, root, func(n *sitter.Node) { tryAll(g.anyOf, n, false) }); err != nil {
				return nil, false, err
			}
		} else {
			// the root, and the top-level nodes in the window
			tryAll(g.anyOf, root, false)
			for _, top := range children(root) {
				if s, e := int(top.StartByte()), int(top.EndByte()); e >= window[0] && s <= window[1] {
					if err := g.walk(ctx, top, func(n *sitter.Node) { tryAll(g.anyOf, n, false) }); err != nil {
						return nil, false, err
					}
				}
			}
		}
	}
	for i := range out {
		analysis.SortDiagnostics(out[i])
	}
	return out, c.global, nil
}

// rootSymbol is the kind of lang's root node (Go: source_file).
func rootSymbol(lang *analysis.Language) sitter.Symbol {
	p := sitter.NewParser()
	defer p.Close()
	p.SetLanguage(lang.Grammar)
	t, err := p.ParseCtx(context.Background(), nil, nil)
	if err != nil || t == nil {
		return ^sitter.Symbol(0)
	}
	defer t.Close()
	return t.RootNode().Symbol()
}

// walk calls try on n and its descendants, in pre-order.
func (g *sgroup) walk(ctx context.Context, n *sitter.Node, try func(*sitter.Node)) error {
	cur := sitter.NewTreeCursor(n)
	defer cur.Close()
	depth := 0
	for i := 1; ; i++ {
		try(cur.CurrentNode())
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if cur.GoToFirstChild() {
			depth++
			continue
		}
		for !cur.GoToNextSibling() {
			if depth == 0 || !cur.GoToParent() {
				return nil
			}
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

func (s *srule) checkConstraints(c *mctx) bool {
	if len(s.constraints) == 0 {
		return true
	}
	// constraints see the bindings of the match (ast-grep's match_constraints)
	names := make([]string, 0, len(s.constraints))
	for name := range s.constraints {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		b := c.env.get(name)
		if b == nil || b.multi {
			continue
		}
		if !s.constraints[name].match(c, b.node) {
			return false
		}
	}
	return true
}

func (s *srule) diagnostic(c *mctx, node *sitter.Node, f *analysis.File) analysis.Diagnostic {
	start, end := int(node.StartByte()), int(node.EndByte())
	c.applyTransforms(s.transforms)
	defer func() { c.trans = nil }()
	d := analysis.Diagnostic{Path: f.Path, Start: start, End: end, Message: c.expandMessage(s.message)}
	if s.fix != nil {
		repl := s.fix.expand(c, start)
		d.Fixes = []analysis.Fix{{
			Title: s.rule.fixTitle(string(f.Content[start:end]), repl),
			Edits: []analysis.TextEdit{{Path: f.Path, Start: start, End: end, NewText: repl}},
		}}
	}
	return d
}

// runStructural is a pattern rule's analysis.Analyzer.Run.
func (r *rule) runStructural(pass *analysis.Pass) error {
	s := r.structural[pass.File.Lang]
	if s == nil || s.group == nil {
		return nil
	}
	diags, err := s.group.results(pass, s)
	if err != nil {
		return err
	}
	for _, d := range diags[s.index] {
		pass.Report(d)
	}
	return nil
}

func (r *rule) wantsStructural(f *analysis.File) bool {
	s := r.structural[f.Lang]
	return s != nil && s.wants(f)
}

var _ = strings.Contains

package rules

import (
	"slices"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
)

// srule is a pattern rule (an ast-grep rule object) compiled for one
// language. It runs apart from the query rules: a walk of the tree that
// tries the rule on every node of a kind it can match.
type srule struct {
	rule        *rule
	lang        *analysis.Language
	root        *rnode
	constraints map[string]*rnode
	kinds       []sitter.Symbol // nil: every node
	need        need
	message     *fixTemplate
	fix         *fixTemplate
}

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
		s.need = root.need(0)
		s.message = parseFix(src.Message)
		if src.Fix != nil {
			s.fix = parseFix(src.Fix.Replace)
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
	return pathAllowed(s.rule.src.Paths, f.Path) && s.need.met(f.Content)
}

// find runs the rule over tree and returns its findings.
func (s *srule) find(pass *analysis.Pass, tree *sitter.Tree) []analysis.Diagnostic {
	f := pass.File
	c := &mctx{src: f.Content}
	var out []analysis.Diagnostic
	cur := sitter.NewTreeCursor(tree.RootNode())
	defer cur.Close()
	n := 0
	for {
		node := cur.CurrentNode()
		if s.kinds == nil || hasSym(s.kinds, node.Symbol()) {
			c.env.reset(0)
			if s.root.match(c, node) && s.checkConstraints(c) {
				out = append(out, s.diagnostic(c, node, f))
			}
		}
		n++
		if n%1024 == 0 && pass.Context != nil && pass.Context.Err() != nil {
			return nil
		}
		if cur.GoToFirstChild() {
			continue
		}
		for !cur.GoToNextSibling() {
			if !cur.GoToParent() {
				return out
			}
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
	if s == nil {
		return nil
	}
	for _, d := range s.find(pass, pass.Tree) {
		pass.Report(d)
	}
	return nil
}

func (r *rule) wantsStructural(f *analysis.File) bool {
	s := r.structural[f.Lang]
	return s != nil && s.wants(f)
}

var _ = strings.Contains

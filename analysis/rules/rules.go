// Package rules compiles team rules — tree-sitter queries written in YAML
// (see config.Rule) — into *analysis.Analyzer values, one per rule, that the
// engine runs like any other analyzer.
//
// Rules are compiled once. The rules of one language share one query, so a
// file is traversed once for all of them, and every rule carries a filter
// (its path globs, the literal text its predicates require) that lets the
// engine skip files the rule cannot match without parsing them.
//
// The query predicates #eq?, #not-eq?, #match?, #not-match?, #any-of? and
// #not-any-of? are evaluated here; a capture a predicate names that did not
// match (an optional node) passes it, and a capture that matched several
// nodes passes only if each of them does.
//
// Callers: the command line (check, rules test), the LSP (which reloads a
// Set when the configuration changes) and the closed loop, usually through
// Analyzers.
package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
)

// Error is a rule that does not compile. It prints as FILE:LINE: rule ID: reason.
type Error struct {
	Pos    config.Pos
	Rule   string
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: rule %s: %s", e.Pos, e.Rule, e.Reason)
}

// Errors lists every rule of a Compile that did not compile.
type Errors []*Error

func (es Errors) Error() string { return config.Lines(es) }

// Set is a compiled set of rules.
type Set struct {
	rules     []*rule
	langs     map[*analysis.Language]*langSet
	analyzers []*analysis.Analyzer
}

// Analyzers returns one analyzer per compiled rule, in the order given to
// Compile. Their Name is the rule id.
func (s *Set) Analyzers() []*analysis.Analyzer { return s.analyzers }

// Rule returns the source of the compiled rule with this id.
func (s *Set) Rule(id string) (config.Rule, bool) {
	for _, r := range s.rules {
		if r.src.ID == id {
			return r.src, true
		}
	}
	return config.Rule{}, false
}

// Analyzer returns the analyzer of the rule with this id, or nil.
func (s *Set) Analyzer(id string) *analysis.Analyzer {
	for _, r := range s.rules {
		if r.src.ID == id {
			return r.analyzer
		}
	}
	return nil
}

// rule is one compiled rule; it has a part per language it applies to.
type rule struct {
	src      config.Rule
	parts    map[*analysis.Language]*part
	message  *template // over capture names
	fix      *template // nil without a fix
	analyzer *analysis.Analyzer
	// structural is set for pattern rules (rule objects), by language.
	structural map[*analysis.Language]*srule
}

// part is a rule's query in one language: its place in that language's
// combined query, and what a file must contain for it to match.
type part struct {
	rule   *rule
	lang   *analysis.Language
	ls     *langSet
	index  int    // in ls.parts
	need   []need // per pattern
	report string // capture name
	fixCap string // capture name, if the rule has a fix
	// lazy, for a rule compiled on first use (CompileLazily), compiles
	// the rule's language set then; nil for a rule compiled at once.
	lazy *lazyLang
}

// lazyLang is a language's set of rules compiled on first use.
type lazyLang struct {
	once  sync.Once
	lang  *analysis.Language
	parts []*part
	err   error
}

// ready compiles the part's language set if that waits for its first use,
// and returns the error that left it uncompiled.
func (p *part) ready() error {
	l := p.lazy
	if l == nil {
		return nil
	}
	l.once.Do(func() {
		if _, errs := newLangSet(l.lang, l.parts); len(errs) > 0 {
			var es Errors
			for _, e := range errs {
				es = append(es, e)
			}
			sortErrors(es)
			l.err = es
		}
	})
	return l.err
}

// Compile compiles rules. Every rule that compiles is in the Set; the others
// are returned as Errors (so that an editor keeps the good rules working
// while it points at the broken ones). Rule ids must be unique.
//
// The rules of each language are compiled as one query (tree-sitter's
// analysis of a query costs about as much for one pattern as for many),
// the languages in parallel; a rule's own query is compiled alone only to
// say what is wrong with it.
func Compile(rs []config.Rule) (*Set, error) {
	return compileRules(rs, 0)
}

// CompileLazily is Compile for rules known to compile (the built-in ones,
// which their tests compile): the first lazy of rs are checked but not
// compiled, each language's on the first file of it they analyse (a Go
// workspace's check then pays nothing for TypeScript's grammars: 150 of
// the built-in rules' 190 ms). A lazy rule that does not compile fails
// when it first runs. Pattern rules are always compiled at once.
func CompileLazily(rs []config.Rule, lazy int) (*Set, error) {
	return compileRules(rs, lazy)
}

func compileRules(rs []config.Rule, lazy int) (*Set, error) {
	s := &Set{langs: map[*analysis.Language]*langSet{}}
	deferred := map[*rule]bool{}
	var errs Errors
	seen := map[string]config.Pos{}
	for i, src := range rs {
		if p, dup := seen[src.ID]; dup {
			errs = append(errs, &Error{Pos: src.Pos, Rule: src.ID, Reason: fmt.Sprintf("defined twice (first at %s)", p)})
			continue
		}
		seen[src.ID] = src.Pos
		r, err := newRule(src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.rules = append(s.rules, r)
		if i < lazy && src.Object == nil {
			deferred[r] = true
		}
	}
	lazies := map[*analysis.Language]*lazyLang{}
	for _, r := range s.rules {
		if !deferred[r] {
			continue
		}
		for l, p := range r.parts {
			if lazies[l] == nil {
				lazies[l] = &lazyLang{lang: l}
			}
			lazies[l].parts = append(lazies[l].parts, p)
			p.lazy = lazies[l]
		}
	}
	// Compile each language's parts; a rule broken in one language is
	// dropped from all, and the languages it was in are compiled again.
	pending := map[*analysis.Language]bool{}
	for _, r := range s.rules {
		for l := range r.parts {
			if !deferred[r] {
				pending[l] = true
			}
		}
	}
	broken := map[*rule]bool{}
	type result struct {
		lang *analysis.Language
		ls   *langSet
		errs map[*rule]*Error
	}
	for len(pending) > 0 {
		results := make(chan result, len(pending))
		for lang := range pending {
			var parts []*part
			for _, r := range s.rules {
				if p := r.parts[lang]; p != nil && !broken[r] && !deferred[r] {
					parts = append(parts, p)
				}
			}
			go func() {
				ls, errs := newLangSet(lang, parts)
				results <- result{lang, ls, errs}
			}()
		}
		n := len(pending)
		pending = map[*analysis.Language]bool{}
		for range n {
			res := <-results
			delete(s.langs, res.lang)
			if res.ls != nil {
				s.langs[res.lang] = res.ls
			}
			for r, err := range res.errs {
				if broken[r] {
					continue
				}
				broken[r] = true
				errs = append(errs, err)
				for l := range r.parts {
					pending[l] = true
				}
			}
		}
		// A language whose set compiled is compiled again only if it holds a
		// rule found broken elsewhere.
		for l := range pending {
			if ls := s.langs[l]; ls != nil && !slices.ContainsFunc(ls.parts, func(p *part) bool { return broken[p.rule] }) {
				delete(pending, l)
			}
		}
	}
	s.rules = slices.DeleteFunc(s.rules, func(r *rule) bool { return broken[r] })
	// The pattern rules of each language run as one group.
	groups := map[*analysis.Language][]*srule{}
	for _, r := range s.rules {
		for _, l := range analysis.Languages() {
			if sr := r.structural[l]; sr != nil {
				groups[l] = append(groups[l], sr)
			}
		}
	}
	for l, srs := range groups {
		if _, err := newSGroup(l, srs); err != nil {
			for _, sr := range srs {
				errs = append(errs, &Error{Pos: sr.rule.src.Pos, Rule: sr.rule.src.ID, Reason: "kinds do not compile as a query: " + err.Error()})
			}
			broken := map[*rule]bool{}
			for _, sr := range srs {
				broken[sr.rule] = true
			}
			s.rules = slices.DeleteFunc(s.rules, func(r *rule) bool { return broken[r] })
		}
	}
	for _, r := range s.rules {
		s.analyzers = append(s.analyzers, r.analyzer)
	}
	if len(errs) > 0 {
		sortErrors(errs)
		return s, errs
	}
	return s, nil
}

// sortErrors orders errors by file and line, as a person reads them.
func sortErrors(es Errors) {
	slices.SortStableFunc(es, func(a, b *Error) int {
		if c := strings.Compare(a.Pos.File, b.Pos.File); c != 0 {
			return c
		}
		return a.Pos.Line - b.Pos.Line
	})
}

// newRule checks what does not depend on a grammar and makes the rule's
// analyzer; its parts are compiled later, per language.
func newRule(src config.Rule) (*rule, *Error) {
	fail := func(p config.Pos, format string, args ...any) *Error {
		return &Error{Pos: p, Rule: src.ID, Reason: fmt.Sprintf(format, args...)}
	}
	if len(src.Languages) == 0 {
		return nil, fail(src.PosOf("language"), "no language (want one of %s)", strings.Join(analysis.LanguageNames(), ", "))
	}
	r := &rule{src: src, parts: map[*analysis.Language]*part{}}
	var langs []string
	for _, name := range src.Languages {
		lang := analysis.LanguageNamed(name)
		if lang == nil {
			return nil, fail(src.PosOf("language"), "unknown language %q (want one of %s)", name, strings.Join(analysis.LanguageNames(), ", "))
		}
		r.parts[lang] = &part{rule: r, lang: lang}
		langs = append(langs, lang.Name)
	}
	doc := src.Doc
	if doc == "" {
		doc = src.Message
	}
	if src.Object != nil {
		if src.Report != "" {
			return nil, fail(src.PosOf("report"), "report: a pattern rule reports its whole match; report chooses a capture of a query rule")
		}
		if src.Fix != nil && src.Fix.Capture != "" {
			return nil, fail(src.PosOf("fix.capture"), "fix.capture: a pattern rule's fix replaces its whole match; write the replacement as a template with $VARS")
		}
		r.analyzer = newAnalyzer(src, doc, langs, r.wantsStructural, r.runStructural)
		if err := compileStructural(r); err != nil {
			if e, ok := err.(*Error); ok {
				return nil, e
			}
			return nil, fail(src.Pos, "%v", err)
		}
		return r, nil
	}
	var err error
	if r.message, err = parseTemplate(src.Message); err != nil {
		return nil, fail(src.PosOf("message"), "message: %v", err)
	}
	if src.Fix != nil {
		if r.fix, err = parseTemplate(src.Fix.Replace); err != nil {
			return nil, fail(src.PosOf("fix.replace"), "fix.replace: %v", err)
		}
	}
	r.analyzer = newAnalyzer(src, doc, langs, r.wants, r.run)
	return r, nil
}

// newAnalyzer makes a rule's analyzer. A rule without a severity warns,
// or, in ast-grep's form, hints (ast-grep's default).
func newAnalyzer(src config.Rule, doc string, langs []string, filter func(*analysis.File) bool, run func(*analysis.Pass) error) *analysis.Analyzer {
	a := &analysis.Analyzer{
		Name:      src.ID,
		Doc:       doc,
		URL:       src.URL,
		Languages: langs,
		Severity:  src.Severity,
		Filter:    filter,
		Run:       run,
	}
	if a.Severity == 0 {
		a.Severity = analysis.SeverityWarning
		if src.AstGrep && src.Object != nil {
			a.Severity = analysis.SeverityHint
		}
	}
	return a
}

// errorf makes the error of a part: in the rule's file, naming the language
// when the rule has several.
func (p *part) errorf(pos config.Pos, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if len(p.rule.src.Languages) > 1 {
		msg += " (" + p.lang.Name + ")"
	}
	return &Error{Pos: pos, Rule: p.rule.src.ID, Reason: msg}
}

// diagnose compiles the part's query alone to say what is wrong with it;
// nil means nothing is.
func (p *part) diagnose() *Error {
	src := p.rule.src
	if off, err := checkStructure(src.Query); err != nil {
		return p.errorf(src.QueryPos(off), "bad query at offset %d: %v", off, err)
	}
	q, err := sitter.NewQuery([]byte(src.Query), p.lang.Grammar)
	if err != nil {
		if qe, ok := err.(*sitter.QueryError); ok {
			// go-tree-sitter appends "at line L column C" of the query, with a
			// wrong column; the position in the rule file replaces it.
			msg := queryErrorAt.ReplaceAllString(firstLine(qe.Message), "")
			return p.errorf(src.QueryPos(int(qe.Offset)), "bad query at offset %d: %s", qe.Offset, msg)
		}
		return p.errorf(src.PosOf("query"), "bad query: %v", err)
	}
	defer q.Close()
	if q.PatternCount() == 0 {
		return p.errorf(src.PosOf("query"), "the query has no pattern")
	}
	if !balanced(src.Query) {
		return p.errorf(src.PosOf("query"), "unbalanced parentheses or brackets in the query")
	}
	return nil
}

// balanced reports whether the parentheses and brackets of a query balance,
// outside strings and comments: only then can its text be joined to others'
// without its patterns running into theirs.
func balanced(q string) bool {
	depth := 0
	scan(q, func(i int) int {
		switch q[i] {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
			if depth < 0 {
				return len(q)
			}
		}
		return i + 1
	})
	return depth == 0
}

// scan calls f with the offset of every byte of a query outside strings and
// comments; f returns the offset to continue from.
func scan(q string, f func(i int) int) {
	for i := 0; i < len(q); {
		switch q[i] {
		case '"':
			for i++; i < len(q) && q[i] != '"'; i++ {
				if q[i] == '\\' {
					i++
				}
			}
			i++
		case ';':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		default:
			i = f(i)
		}
	}
}

// captureOrder sorts capture names by where they first appear in a query.
func captureOrder(query string, names []string) []string {
	first := map[string]int{}
	for _, n := range names {
		first[n] = len(query)
	}
	scan(query, func(i int) int {
		if query[i] != '@' {
			return i + 1
		}
		j := i + 1
		for j < len(query) && isNameByte(query[j]) {
			j++
		}
		if at, ok := first[query[i+1:j]]; ok && i < at {
			first[query[i+1:j]] = i
		}
		return j
	})
	out := slices.Clone(names)
	slices.SortStableFunc(out, func(a, b string) int { return first[a] - first[b] })
	return out
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

// checkCaptures checks the captures that report, message and fix name
// against those the part's query has (in the order they first appear).
func (p *part) checkCaptures(captures []string) *Error {
	r, src := p.rule, p.rule.src
	if len(captures) == 0 {
		return p.errorf(src.PosOf("query"), "the query captures nothing to report: add a capture such as @match")
	}
	known := func(name string) bool { return slices.Contains(captures, name) }
	list := "@" + strings.Join(captures, ", @")
	report := src.Report
	if report == "" {
		report = captures[0]
	} else if !known(report) {
		return p.errorf(src.PosOf("report"), "report: unknown capture @%s (the query captures %s)", report, list)
	}
	if name := r.message.unknown(known); name != "" {
		return p.errorf(src.PosOf("message"), "message: unknown capture {{%s}} (the query captures %s)", name, list)
	}
	fixCap := ""
	if src.Fix != nil {
		fixCap = src.Fix.Capture
		if fixCap == "" {
			fixCap = report
		} else if !known(fixCap) {
			return p.errorf(src.PosOf("fix.capture"), "fix.capture: unknown capture @%s (the query captures %s)", fixCap, list)
		}
		if name := r.fix.unknown(known); name != "" {
			return p.errorf(src.PosOf("fix.replace"), "fix.replace: unknown capture {{%s}} (the query captures %s)", name, list)
		}
	}
	p.report, p.fixCap = report, fixCap
	return nil
}

var queryErrorAt = regexp.MustCompile(` at line \d+ column \d+$`)

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

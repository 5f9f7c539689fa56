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

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

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
	report   string    // capture name
	message  *template // over capture names
	fix      *template // nil without a fix
	fixCap   string
	analyzer *analysis.Analyzer
}

// part is a rule's query in one language: its place in that language's
// combined query, and what a file must contain for it to match.
type part struct {
	rule  *rule
	lang  *analysis.Language
	ls    *langSet
	index int // in ls.parts
	npat  int
	need  []need // per pattern
}

// Compile compiles rules. Every rule that compiles is in the Set; the others
// are returned as Errors (so that an editor keeps the good rules working
// while it points at the broken ones). Rule ids must be unique.
func Compile(rs []config.Rule) (*Set, error) {
	s := &Set{langs: map[*analysis.Language]*langSet{}}
	var errs Errors
	seen := map[string]config.Pos{}
	byLang := map[*analysis.Language][]*part{}
	for _, src := range rs {
		if p, dup := seen[src.ID]; dup {
			errs = append(errs, &Error{Pos: src.Pos, Rule: src.ID, Reason: fmt.Sprintf("defined twice (first at %s)", p)})
			continue
		}
		seen[src.ID] = src.Pos
		r, err := compileOne(src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, p := range r.parts {
			byLang[p.lang] = append(byLang[p.lang], p)
		}
		s.rules = append(s.rules, r)
	}
	for _, lang := range analysis.Languages() {
		parts := byLang[lang]
		if len(parts) == 0 {
			continue
		}
		ls, err := newLangSet(lang, parts)
		if err != nil {
			// Each query compiled alone; together they should too.
			for _, p := range parts {
				errs = append(errs, &Error{Pos: p.rule.src.Pos, Rule: p.rule.src.ID, Reason: err.Error()})
			}
			s.rules = slices.DeleteFunc(s.rules, func(r *rule) bool { return r.parts[lang] != nil })
			continue
		}
		s.langs[lang] = ls
	}
	for _, r := range s.rules {
		s.analyzers = append(s.analyzers, r.analyzer)
	}
	if len(errs) > 0 {
		return s, errs
	}
	return s, nil
}

// compileOne checks one rule against each of its languages: the query
// compiles, the captures it names exist, the predicates are known and well
// formed.
func compileOne(src config.Rule) (*rule, *Error) {
	fail := func(p config.Pos, format string, args ...any) *Error {
		return &Error{Pos: p, Rule: src.ID, Reason: fmt.Sprintf(format, args...)}
	}
	if len(src.Languages) == 0 {
		return nil, fail(src.PosOf("language"), "no language (want one of %s)", strings.Join(analysis.LanguageNames(), ", "))
	}
	r := &rule{src: src, parts: map[*analysis.Language]*part{}, report: src.Report}
	var langs []string
	for _, name := range src.Languages {
		lang := analysis.LanguageNamed(name)
		if lang == nil {
			return nil, fail(src.PosOf("language"), "unknown language %q (want one of %s)", name, strings.Join(analysis.LanguageNames(), ", "))
		}
		in := ""
		if len(src.Languages) > 1 {
			in = " (" + lang.Name + ")"
		}
		p, captures, err := compilePart(src, lang)
		if err != nil {
			err.Reason += in
			return nil, err
		}
		p.rule = r
		r.parts[lang] = p
		langs = append(langs, lang.Name)
		if err := r.checkCaptures(captures); err != nil {
			err.Reason += in
			return nil, err
		}
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
	doc := src.Doc
	if doc == "" {
		doc = src.Message
	}
	r.analyzer = &analysis.Analyzer{
		Name:      src.ID,
		Doc:       doc,
		URL:       src.URL,
		Languages: langs,
		Severity:  src.Severity,
		Filter:    r.wants,
		Run:       r.run,
	}
	if r.analyzer.Severity == 0 {
		r.analyzer.Severity = analysis.SeverityWarning
	}
	return r, nil
}

// compilePart compiles the rule's query for one language.
func compilePart(src config.Rule, lang *analysis.Language) (*part, []string, *Error) {
	fail := func(p config.Pos, format string, args ...any) *Error {
		return &Error{Pos: p, Rule: src.ID, Reason: fmt.Sprintf(format, args...)}
	}
	q, err := sitter.NewQuery([]byte(src.Query), lang.Grammar)
	if err != nil {
		if qe, ok := err.(*sitter.QueryError); ok {
			// go-tree-sitter appends "at line L column C" of the query, with a
			// wrong column; the position in the rule file replaces it.
			msg := queryErrorAt.ReplaceAllString(firstLine(qe.Message), "")
			return nil, nil, fail(src.QueryPos(int(qe.Offset)), "bad query at offset %d: %s", qe.Offset, msg)
		}
		return nil, nil, fail(src.PosOf("query"), "bad query: %v", err)
	}
	defer q.Close()
	var captures []string
	for i := uint32(0); i < q.CaptureCount(); i++ {
		captures = append(captures, q.CaptureNameForId(i))
	}
	if len(captures) == 0 {
		return nil, nil, fail(src.PosOf("query"), "the query captures nothing to report: add a capture such as @match")
	}
	p := &part{lang: lang, npat: int(q.PatternCount())}
	for i := uint32(0); i < q.PatternCount(); i++ {
		preds, err := parsePredicates(q, i)
		if err != nil {
			return nil, nil, fail(src.PosOf("query"), "pattern %d: %v", i+1, err)
		}
		any := false
		for c := range captures {
			if q.CaptureQuantifierForId(i, uint32(c)) != sitter.QuantifierZero {
				any = true
			}
		}
		if !any {
			return nil, nil, fail(src.PosOf("query"), "pattern %d captures nothing to report: add a capture such as @match", i+1)
		}
		p.need = append(p.need, required(q, i, preds))
	}
	return p, captures, nil
}

// checkCaptures checks the captures that report, message and fix name.
func (r *rule) checkCaptures(captures []string) *Error {
	src := r.src
	fail := func(p config.Pos, format string, args ...any) *Error {
		return &Error{Pos: p, Rule: src.ID, Reason: fmt.Sprintf(format, args...)}
	}
	known := func(name string) bool { return slices.Contains(captures, name) }
	list := "@" + strings.Join(captures, ", @")
	if src.Report == "" {
		r.report = captures[0]
	} else if !known(src.Report) {
		return fail(src.PosOf("report"), "report: unknown capture @%s (the query captures %s)", src.Report, list)
	}
	msg, err := parseTemplate(src.Message)
	if err != nil {
		return fail(src.PosOf("message"), "message: %v", err)
	}
	if name := msg.unknown(known); name != "" {
		return fail(src.PosOf("message"), "message: unknown capture {{%s}} (the query captures %s)", name, list)
	}
	if src.Fix != nil {
		r.fixCap = src.Fix.Capture
		if r.fixCap == "" {
			r.fixCap = r.report
		} else if !known(r.fixCap) {
			return fail(src.PosOf("fix.capture"), "fix.capture: unknown capture @%s (the query captures %s)", r.fixCap, list)
		}
		repl, err := parseTemplate(src.Fix.Replace)
		if err != nil {
			return fail(src.PosOf("fix.replace"), "fix.replace: %v", err)
		}
		if name := repl.unknown(known); name != "" {
			return fail(src.PosOf("fix.replace"), "fix.replace: unknown capture {{%s}} (the query captures %s)", name, list)
		}
	}
	return nil
}

var queryErrorAt = regexp.MustCompile(` at line \d+ column \d+$`)

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

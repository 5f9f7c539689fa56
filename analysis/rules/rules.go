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

// rule is one compiled rule.
type rule struct {
	src      config.Rule
	lang     *analysis.Language
	ls       *langSet
	index    int // in ls.rules
	first    int // its first pattern in ls.query
	npat     int
	report   string    // capture name
	message  *template // over capture names
	fix      *template // nil without a fix
	fixCap   string
	need     []need // per pattern: what the file must contain for it to match
	analyzer *analysis.Analyzer
}

// Compile compiles rules. Every rule that compiles is in the Set; the others
// are returned as Errors (so that an editor keeps the good rules working
// while it points at the broken ones). Rule ids must be unique.
func Compile(rs []config.Rule) (*Set, error) {
	s := &Set{langs: map[*analysis.Language]*langSet{}}
	var errs Errors
	seen := map[string]config.Pos{}
	byLang := map[*analysis.Language][]*rule{}
	for _, src := range rs {
		fail := func(p config.Pos, format string, args ...any) {
			errs = append(errs, &Error{Pos: p, Rule: src.ID, Reason: fmt.Sprintf(format, args...)})
		}
		if p, dup := seen[src.ID]; dup {
			fail(src.Pos, "defined twice (first at %s)", p)
			continue
		}
		seen[src.ID] = src.Pos
		r, err := compileOne(src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		byLang[r.lang] = append(byLang[r.lang], r)
		s.rules = append(s.rules, r)
	}
	for lang, rules := range byLang {
		ls, err := newLangSet(lang, rules)
		if err != nil {
			// Each query compiled alone; together they should too.
			for _, r := range rules {
				errs = append(errs, &Error{Pos: r.src.Pos, Rule: r.src.ID, Reason: err.Error()})
			}
			s.rules = slices.DeleteFunc(s.rules, func(r *rule) bool { return r.lang == lang })
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

// compileOne checks one rule against its language: the query compiles, the
// captures it names exist, the predicates are known and well formed.
func compileOne(src config.Rule) (*rule, *Error) {
	fail := func(p config.Pos, format string, args ...any) *Error {
		return &Error{Pos: p, Rule: src.ID, Reason: fmt.Sprintf(format, args...)}
	}
	lang := analysis.LanguageNamed(src.Language)
	if lang == nil {
		return nil, fail(src.PosOf("language"), "unknown language %q (want one of %s)", src.Language, strings.Join(analysis.LanguageNames(), ", "))
	}
	q, err := sitter.NewQuery([]byte(src.Query), lang.Grammar)
	if err != nil {
		if qe, ok := err.(*sitter.QueryError); ok {
			// go-tree-sitter appends "at line L column C" of the query, with a
			// wrong column; the position in the rule file replaces it.
			msg := queryErrorAt.ReplaceAllString(firstLine(qe.Message), "")
			return nil, fail(src.QueryPos(int(qe.Offset)), "bad query at offset %d: %s", qe.Offset, msg)
		}
		return nil, fail(src.PosOf("query"), "bad query: %v", err)
	}
	defer q.Close()
	var captures []string
	for i := uint32(0); i < q.CaptureCount(); i++ {
		captures = append(captures, q.CaptureNameForId(i))
	}
	if len(captures) == 0 {
		return nil, fail(src.PosOf("query"), "the query captures nothing to report: add a capture such as @match")
	}
	for p := uint32(0); p < q.PatternCount(); p++ {
		if _, err := parsePredicates(q, p); err != nil {
			return nil, fail(src.PosOf("query"), "pattern %d: %v", p+1, err)
		}
		any := false
		for c := range captures {
			if q.CaptureQuantifierForId(p, uint32(c)) != sitter.QuantifierZero {
				any = true
			}
		}
		if !any {
			return nil, fail(src.PosOf("query"), "pattern %d captures nothing to report: add a capture such as @match", p+1)
		}
	}
	known := func(name string) bool { return slices.Contains(captures, name) }
	list := "@" + strings.Join(captures, ", @")
	r := &rule{src: src, lang: lang, npat: int(q.PatternCount()), report: src.Report}
	if r.report == "" {
		r.report = captures[0]
	} else if !known(r.report) {
		return nil, fail(src.PosOf("report"), "report: unknown capture @%s (the query captures %s)", r.report, list)
	}
	if r.message, err = parseTemplate(src.Message); err != nil {
		return nil, fail(src.PosOf("message"), "message: %v", err)
	}
	if name := r.message.unknown(known); name != "" {
		return nil, fail(src.PosOf("message"), "message: unknown capture {{%s}} (the query captures %s)", name, list)
	}
	if src.Fix != nil {
		r.fixCap = src.Fix.Capture
		if r.fixCap == "" {
			r.fixCap = r.report
		} else if !known(r.fixCap) {
			return nil, fail(src.PosOf("fix.capture"), "fix.capture: unknown capture @%s (the query captures %s)", r.fixCap, list)
		}
		if r.fix, err = parseTemplate(src.Fix.Replace); err != nil {
			return nil, fail(src.PosOf("fix.replace"), "fix.replace: %v", err)
		}
		if name := r.fix.unknown(known); name != "" {
			return nil, fail(src.PosOf("fix.replace"), "fix.replace: unknown capture {{%s}} (the query captures %s)", name, list)
		}
	}
	for p := uint32(0); p < q.PatternCount(); p++ {
		preds, _ := parsePredicates(q, p)
		r.need = append(r.need, required(q, p, preds))
	}
	doc := src.Doc
	if doc == "" {
		doc = src.Message
	}
	r.analyzer = &analysis.Analyzer{
		Name:      src.ID,
		Doc:       doc,
		URL:       src.URL,
		Languages: []string{lang.Name},
		Severity:  src.Severity,
		Filter:    r.wants,
		Run:       r.run,
	}
	if r.analyzer.Severity == 0 {
		r.analyzer.Severity = analysis.SeverityWarning
	}
	return r, nil
}

var queryErrorAt = regexp.MustCompile(` at line \d+ column \d+$`)

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

package rules

import (
	"bytes"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"

	sitter "github.com/smacker/go-tree-sitter"
)

// predicate is one of a pattern's #eq?-style conditions, ready to evaluate.
// go-tree-sitter's QueryCursor.FilterPredicates is not used: it knows no
// #any-of?, compiles regexps on every match (and panics on a bad one), and
// checks a capture-to-capture #eq? only when the left capture comes first.
type predicate struct {
	op      string // "eq", "match" or "any-of"
	negate  bool
	capture uint32
	other   int      // #eq? @a @b: b's capture id; -1 otherwise
	value   []byte   // #eq? @a "value"
	values  [][]byte // #any-of?
	re      *regexp.Regexp
}

const predicateList = "#eq?, #not-eq?, #match?, #not-match?, #any-of?, #not-any-of?"

// parsePredicates reads the predicates of pattern p of q.
func parsePredicates(q *sitter.Query, p uint32) ([]predicate, error) {
	var out []predicate
	for _, steps := range q.PredicatesForPattern(p) {
		if len(steps) == 0 {
			continue
		}
		if steps[0].Type != sitter.QueryPredicateStepTypeString {
			return nil, fmt.Errorf("a predicate must start with its name")
		}
		name := q.StringValueForId(steps[0].ValueId)
		args := steps[1:]
		if n := len(args); n > 0 && args[n-1].Type == sitter.QueryPredicateStepTypeDone {
			args = args[:n-1]
		}
		pr := predicate{other: -1}
		switch name {
		case "eq?", "not-eq?":
			pr.op, pr.negate = "eq", name == "not-eq?"
		case "match?", "not-match?":
			pr.op, pr.negate = "match", name == "not-match?"
		case "any-of?", "not-any-of?":
			pr.op, pr.negate = "any-of", name == "not-any-of?"
		default:
			return nil, fmt.Errorf("unsupported predicate #%s (gauntlet supports %s)", name, predicateList)
		}
		if len(args) < 2 || args[0].Type != sitter.QueryPredicateStepTypeCapture {
			return nil, fmt.Errorf("#%s takes a capture and then a value", name)
		}
		pr.capture = args[0].ValueId
		switch pr.op {
		case "eq":
			if len(args) != 2 {
				return nil, fmt.Errorf("#%s takes two arguments, not %d", name, len(args))
			}
			if args[1].Type == sitter.QueryPredicateStepTypeCapture {
				pr.other = int(args[1].ValueId)
			} else {
				pr.value = []byte(q.StringValueForId(args[1].ValueId))
			}
		case "match":
			if len(args) != 2 || args[1].Type != sitter.QueryPredicateStepTypeString {
				return nil, fmt.Errorf("#%s takes a capture and a regular expression", name)
			}
			src := q.StringValueForId(args[1].ValueId)
			re, err := regexp.Compile(src)
			if err != nil {
				return nil, fmt.Errorf("bad regex in #%s: %v", name, err)
			}
			pr.re = re
		case "any-of":
			for _, a := range args[1:] {
				if a.Type != sitter.QueryPredicateStepTypeString {
					return nil, fmt.Errorf("#%s takes a capture and then strings", name)
				}
				pr.values = append(pr.values, []byte(q.StringValueForId(a.ValueId)))
			}
		}
		out = append(out, pr)
	}
	return out, nil
}

// holds evaluates the predicate on a match. A capture without nodes (an
// optional part that did not match) passes; with several nodes each must pass.
func (p *predicate) holds(caps []sitter.QueryCapture, content []byte) bool {
	var other []byte
	if p.other >= 0 {
		found := false
		for _, c := range caps {
			if c.Index == uint32(p.other) {
				other, found = text(c.Node, content), true
				break
			}
		}
		if !found {
			return true
		}
	}
	for _, c := range caps {
		if c.Index != p.capture {
			continue
		}
		t := text(c.Node, content)
		var ok bool
		switch p.op {
		case "eq":
			if p.other >= 0 {
				ok = bytes.Equal(t, other)
			} else {
				ok = bytes.Equal(t, p.value)
			}
		case "match":
			ok = p.re.Match(t)
		case "any-of":
			ok = slices.ContainsFunc(p.values, func(v []byte) bool { return bytes.Equal(t, v) })
		}
		if ok == p.negate {
			return false
		}
	}
	return true
}

func text(n *sitter.Node, content []byte) []byte {
	s, e := n.StartByte(), n.EndByte()
	if int(e) > len(content) || s > e {
		return nil
	}
	return content[s:e]
}

// alts is a set of strings one of which a file must contain.
type alts [][]byte

// need is what one pattern requires of a file's text: every set satisfied.
type need []alts

// required derives, from pattern p's positive predicates on captures that
// always match, the literal text a file must contain for p to match there:
// #eq? @c "x" needs "x", #any-of? @c "x" "y" needs one of them, #match? needs
// a literal every match of its regexp contains, when there is one.
func required(q *sitter.Query, p uint32, preds []predicate) need {
	var out need
	for _, pr := range preds {
		if pr.negate || pr.other >= 0 {
			continue
		}
		switch q.CaptureQuantifierForId(p, pr.capture) {
		case sitter.QuantifierOne, sitter.QuantifierOneOrMore:
		default:
			continue // an optional capture: the predicate may hold vacuously
		}
		var a alts
		switch pr.op {
		case "eq":
			a = alts{pr.value}
		case "any-of":
			a = pr.values
		case "match":
			a = regexpLiterals(pr.re)
		}
		if len(a) == 0 || slices.ContainsFunc(a, func(b []byte) bool { return len(b) == 0 }) {
			continue // no requirement (an empty alternative is in every file)
		}
		out = append(out, a)
	}
	return out
}

func (n need) met(content []byte) bool {
	for _, a := range n {
		if !slices.ContainsFunc(a, func(b []byte) bool { return bytes.Contains(content, b) }) {
			return false
		}
	}
	return true
}

// regexpLiterals returns strings one of which every match of re contains,
// or nil when it cannot tell.
func regexpLiterals(re *regexp.Regexp) alts {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return nil
	}
	lits, ok := literals(parsed.Simplify())
	if !ok {
		return nil
	}
	var out alts
	for _, l := range lits {
		out = append(out, []byte(l))
	}
	return out
}

const maxAlternatives = 32

func literals(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil, false
		}
		return []string{string(re.Rune)}, true
	case syntax.OpCapture, syntax.OpPlus:
		return literals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return literals(re.Sub[0])
		}
	case syntax.OpConcat:
		// Adjacent literals join; then the part with the longest shortest
		// alternative is the most selective requirement.
		var best []string
		score := 0
		run := ""
		consider := func(ls []string) {
			s := len(ls[0])
			for _, l := range ls {
				s = min(s, len(l))
			}
			if s > score || s == score && len(ls) < len(best) {
				best, score = ls, s
			}
		}
		for _, sub := range re.Sub {
			lit := sub
			for lit.Op == syntax.OpCapture {
				lit = lit.Sub[0]
			}
			if lit.Op == syntax.OpLiteral && lit.Flags&syntax.FoldCase == 0 {
				run += string(lit.Rune)
				continue
			}
			if run != "" {
				consider([]string{run})
				run = ""
			}
			if ls, ok := literals(sub); ok {
				consider(ls)
			}
		}
		if run != "" {
			consider([]string{run})
		}
		return best, best != nil
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			ls, ok := literals(sub)
			if !ok {
				return nil, false
			}
			out = append(out, ls...)
		}
		return out, len(out) > 0 && len(out) <= maxAlternatives
	}
	return nil, false
}

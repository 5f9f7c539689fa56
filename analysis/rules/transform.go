package rules

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gauntlet-dev/gauntlet/analysis/config"
)

// This file is ast-grep's transform (crates/config/src/transform), the
// operations substring, replace and convert, ported to keep its results
// byte for byte: a case-conversion library splits words by its own rules.

// orderTransforms returns ts with each transformation after the one whose
// result it reads, as ast-grep orders them; a cycle is an error.
func orderTransforms(ts []config.Transform) ([]config.Transform, error) {
	byName := map[string]int{}
	for i, t := range ts {
		byName[t.Name] = i
	}
	const (
		unseen = iota
		visiting
		done
	)
	state := make([]int, len(ts))
	var out []config.Transform
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case visiting:
			return fmt.Errorf("transform.%s: a cyclic dependency", ts[i].Name)
		case done:
			return nil
		}
		state[i] = visiting
		if j, ok := byName[strings.TrimLeft(ts[i].Source, "$")]; ok {
			if err := visit(j); err != nil {
				return err
			}
		}
		state[i] = done
		out = append(out, ts[i])
		return nil
	}
	for i := range ts {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// applyTransforms computes the rule's transformed metavariables for the
// match in c; a source that is not bound gives the empty text.
func (c *mctx) applyTransforms(ts []config.Transform) {
	c.trans = nil
	if len(ts) == 0 {
		return
	}
	c.trans = make(map[string]string, len(ts))
	for _, t := range ts {
		text, _, ok := c.varText(strings.TrimLeft(t.Source, "$"), strings.HasPrefix(t.Source, "$$$"))
		if !ok {
			c.trans[t.Name] = ""
			continue
		}
		c.trans[t.Name] = transformText(t, text)
	}
}

func transformText(t config.Transform, s string) string {
	switch t.Op {
	case "substring":
		return substring(s, t.StartChar, t.EndChar)
	case "replace":
		return t.Replace.ReplaceAllString(s, t.By)
	case "convert":
		return convertCase(s, t.ToCase, t.SeparatedBy)
	}
	return s
}

// substring is ast-grep's Substring: character indexes, negative ones
// counted from the end.
func substring(s string, startChar, endChar *int) string {
	chars := []rune(s)
	n := len(chars)
	start, end := resolveChar(startChar, 0, n), resolveChar(endChar, n, n)
	if start > end || start >= n || end > n {
		return ""
	}
	return string(chars[start:end])
}

func resolveChar(c *int, dflt, n int) int {
	i := dflt
	if c != nil {
		i = *c
	}
	switch {
	case i >= n:
		return n
	case i >= 0:
		return i
	case n+i < 0:
		return 0
	}
	return n + i
}

func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return strings.ToUpper(string(r)) + s[size:]
}

// convertCase is ast-grep's StringCase.apply.
func convertCase(s, to string, seps []string) string {
	switch to {
	case "lowerCase":
		return strings.ToLower(s)
	case "upperCase":
		return strings.ToUpper(s)
	case "capitalize":
		return capitalize(s)
	}
	words := splitWords(s, seps)
	var b strings.Builder
	for i, w := range words {
		switch to {
		case "camelCase":
			if i == 0 {
				b.WriteString(strings.ToLower(w))
			} else {
				b.WriteString(capitalize(w))
			}
		case "pascalCase":
			b.WriteString(capitalize(w))
		case "snakeCase", "kebabCase":
			if i > 0 {
				b.WriteByte(map[string]byte{"snakeCase": '_', "kebabCase": '-'}[to])
			}
			b.WriteString(strings.ToLower(w))
		}
	}
	return b.String()
}

// caseState is ast-grep's CaseState: what the last characters were, when
// case changes separate words.
type caseState int

const (
	ignoreCase caseState = iota
	lower
	oneUpper
	multiUpper
)

// splitWords is ast-grep's split: words separated by the separators (nil:
// all of them), and by case changes when caseChange is one ("XMLHttp" is
// XML and Http).
func splitWords(s string, seps []string) []string {
	delims := map[rune]bool{}
	state := ignoreCase
	if seps == nil {
		seps = []string{"caseChange", "dash", "dot", "slash", "space", "underscore"}
	}
	for _, sep := range seps {
		switch sep {
		case "caseChange":
			state = lower
		case "dash":
			delims['-'] = true
		case "dot":
			delims['.'] = true
		case "slash":
			delims['/'] = true
		case "space":
			delims[' '] = true
		case "underscore":
			delims['_'] = true
		}
	}
	var words []string
	emit := func(from, to int) {
		if from != to {
			words = append(words, s[from:to])
		}
	}
	left, right := 0, 0
	var last rune // the last of consecutive upper-case characters
	for _, c := range s {
		size := utf8.RuneLen(c)
		switch {
		case delims[c]:
			emit(left, right)
			left = right + 1
			right = left
			if state != ignoreCase {
				state = lower
			}
			continue
		case state == lower && unicode.IsUpper(c):
			emit(left, right)
			left = right
			right = left + size
			state = oneUpper
			continue
		case state == multiUpper && unicode.IsLower(c):
			newLeft := right - utf8.RuneLen(last)
			emit(left, newLeft)
			left = newLeft
			right += size
			state = lower
			continue
		}
		right += size
		switch {
		case state == ignoreCase:
		case unicode.IsLower(c):
			state = lower
		case state == lower:
			state = oneUpper
		default:
			state, last = multiUpper, c
		}
	}
	if left < right && right <= len(s) {
		emit(left, right)
	}
	return words
}

package config

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// AstGrepGlob is one of an ast-grep rule's files or ignores globs, matched
// as ast-grep matches it: with the Rust globset crate's defaults, where `*`
// and `?` also match `/`, `**/` at the start matches no directory too, and
// the glob matches the whole path relative to the project (no leading ./).
// gauntlet's own globs (analysis.MatchGlob, doublestar) keep `*` within a
// directory, and no Go library implements globset's semantics, hence this
// translation to a regular expression, as globset itself compiles globs.
type AstGrepGlob struct {
	Glob string
	re   *regexp.Regexp
}

// Match reports whether the slash-separated relative path p matches.
func (g AstGrepGlob) Match(p string) bool { return g.re.MatchString(p) }

// compileAstGrepGlob is globset's Glob::new (GlobBuilder with
// case_insensitive) followed by to_regex.
func compileAstGrepGlob(glob string, caseInsensitive bool) (AstGrepGlob, error) {
	var b strings.Builder
	if caseInsensitive {
		b.WriteString("(?i)")
	}
	b.WriteString("(?s)^")
	inClass, alt := false, 0
	for i := 0; i < len(glob); i++ {
		c := glob[i]
		switch {
		case inClass:
			switch c {
			case ']':
				inClass = false
				b.WriteByte(']')
			case '\\', '[', '&', '~', '^':
				b.WriteByte('\\')
				b.WriteByte(c)
			default:
				_, size := utf8.DecodeRuneInString(glob[i:])
				b.WriteString(glob[i : i+size])
				i += size - 1
			}
		case c == '\\':
			if i+1 == len(glob) {
				return AstGrepGlob{}, fmt.Errorf("bad glob %q: a dangling \\", glob)
			}
			_, size := utf8.DecodeRuneInString(glob[i+1:])
			b.WriteString(regexp.QuoteMeta(glob[i+1 : i+1+size]))
			i += size
		case c == '?':
			b.WriteByte('.')
		case c == '*':
			if i+1 < len(glob) && glob[i+1] == '*' {
				start := i == 0 || glob[i-1] == '/'
				end := i+2 == len(glob) || glob[i+2] == '/'
				switch {
				case start && end && i == 0 && i+2 == len(glob): // **
					b.WriteString(".*")
					i++
					continue
				case start && end && i == 0: // **/ prefix
					b.WriteString("(?:/?|.*/)")
					i += 2
					continue
				case start && end && i+2 == len(glob): // /** suffix: the / is written
					b.WriteString(".*")
					i++
					continue
				case start && end: // /**/ inside: the first / is written
					s := b.String()
					b.Reset()
					b.WriteString(strings.TrimSuffix(s, "/"))
					b.WriteString("(?:/|/.*/)")
					i += 2
					continue
				}
				i++
			}
			b.WriteString(".*")
		case c == '[':
			inClass = true
			b.WriteByte('[')
			if i+1 < len(glob) && glob[i+1] == '!' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(glob) && glob[i+1] == ']' {
				b.WriteString(`\]`)
				i++
			}
		case c == '{':
			alt++
			b.WriteString("(?:")
		case c == '}' && alt > 0:
			alt--
			b.WriteByte(')')
		case c == ',' && alt > 0:
			b.WriteByte('|')
		default:
			_, size := utf8.DecodeRuneInString(glob[i:])
			b.WriteString(regexp.QuoteMeta(glob[i : i+size]))
			i += size - 1
		}
	}
	if inClass || alt > 0 {
		return AstGrepGlob{}, fmt.Errorf("bad glob %q: an unclosed %s", glob, map[bool]string{true: "[", false: "{"}[inClass])
	}
	b.WriteByte('$')
	re, err := regexp.Compile(b.String())
	if err != nil {
		return AstGrepGlob{}, fmt.Errorf("bad glob %q: %v", glob, err)
	}
	return AstGrepGlob{Glob: glob, re: re}, nil
}

// astGrepGlobs reads an ast-grep files or ignores list: globs, each a
// string or {glob, caseInsensitive}. A list given, even empty, is non-nil.
func (d *decoder) astGrepGlobs(n *yaml.Node, key string) []AstGrepGlob {
	out := []AstGrepGlob{}
	d.sequence(n, key, func(k string, _ int, item *yaml.Node) {
		glob, ci := "", false
		if item.Kind == yaml.MappingNode {
			d.mapping(item, k,
				field{"glob", func(k string, v *yaml.Node) { glob = d.str(v, k) }},
				field{"caseInsensitive", func(k string, v *yaml.Node) { ci = d.boolean(v, k) }},
			)
		} else {
			glob = d.str(item, k)
		}
		if glob == "" {
			return
		}
		g, err := compileAstGrepGlob(glob, ci)
		if err != nil {
			d.errorf(item, k, "%v", err)
			return
		}
		out = append(out, g)
	})
	return out
}

// AllowsPath reports whether the rule runs on the slash-separated path p
// (relative to the configuration's directory): its paths as gauntlet reads
// them, then an ast-grep rule's ignores and files as ast-grep does.
func (r *Rule) AllowsPath(p string) bool {
	included, includes := false, false
	for _, g := range r.Paths {
		if neg, ok := strings.CutPrefix(g, "!"); ok {
			if analysis.MatchGlob(neg, p) {
				return false
			}
			continue
		}
		includes = true
		included = included || analysis.MatchGlob(g, p)
	}
	if includes && !included {
		return false
	}
	if r.AstGrepFiles == nil && r.AstGrepIgnores == nil {
		return true
	}
	// ast-grep's globs are relative to its project's directory; a path
	// outside it is one ast-grep never scans.
	rel, inside := strings.CutPrefix(p, r.AstGrepBase)
	for _, g := range r.AstGrepIgnores {
		if inside && g.Match(rel) {
			return false
		}
	}
	if r.AstGrepFiles == nil {
		return true
	}
	for _, g := range r.AstGrepFiles {
		if inside && g.Match(rel) {
			return true
		}
	}
	return false
}

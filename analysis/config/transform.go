package config

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Transform is an entry of an ast-grep rule's transform: a new
// metavariable computed from another's text, which fix and message can
// use. Op is substring, replace or convert; the fields of the other
// operations are zero.
type Transform struct {
	Name   string // the new metavariable, without $
	Op     string
	Source string // the metavariable it reads: $A or $$$A
	Pos    Pos

	StartChar, EndChar *int // substring: character indexes, negative from the end

	Replace *regexp.Regexp // replace: every match of Replace by By ($1, ${name})
	By      string

	ToCase      string   // convert: lowerCase, upperCase, capitalize, camelCase, snakeCase, kebabCase or pascalCase
	SeparatedBy []string // convert: caseChange, dash, dot, slash, space, underscore (nil: all)
}

var metaVarRE = regexp.MustCompile(`^\$(\$\$)?[A-Z_][A-Z0-9_]*$`)

// transforms reads a rule's transform mapping, in file order.
func (d *decoder) transforms(n *yaml.Node, key string) []Transform {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, key, "want a mapping of metavariable names to transformations, not %s", describe(n))
		return nil
	}
	var out []Transform
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		sub := join(key, k.Value)
		if seen[k.Value] {
			d.errorf(k, sub, "given twice")
			continue
		}
		seen[k.Value] = true
		if v.Kind == yaml.ScalarNode {
			// the string form: substring($A, startChar=1, endChar=-1)
			m, err := transformString(v.Value)
			if err != nil {
				d.errorf(v, sub, "%v", err)
				continue
			}
			m.Line, m.Column = v.Line, v.Column
			for _, c := range m.Content {
				c.Line = v.Line
			}
			v = m
		}
		if t, ok := d.transform(v, sub); ok {
			t.Name = k.Value
			out = append(out, t)
		}
	}
	return out
}

// transform reads one transformation: a mapping with one key, the operation.
func (d *decoder) transform(n *yaml.Node, key string) (Transform, bool) {
	t := Transform{Pos: d.pos(n)}
	before := len(d.errs)
	source := func(k string, v *yaml.Node) {
		t.Source = d.str(v, k)
		if t.Source != "" && !metaVarRE.MatchString(t.Source) {
			d.errorf(v, k, "want a metavariable such as $A or $$$ARGS, not %q", t.Source)
		}
	}
	op := func(name string, fields ...field) field {
		return field{name, func(k string, v *yaml.Node) {
			if t.Op != "" {
				d.errorf(v, k, "one operation per transformation (%s is given too)", t.Op)
				return
			}
			t.Op = name
			d.mapping(v, k, append([]field{{"source", source}}, fields...)...)
			if t.Source == "" && len(d.errs) == before {
				d.errorf(v, k+".source", "missing: which metavariable to transform")
			}
		}}
	}
	index := func(p **int) func(k string, v *yaml.Node) {
		return func(k string, v *yaml.Node) {
			i := d.integer(v, k, math.MinInt32)
			*p = &i
		}
	}
	cases := []string{"lowerCase", "upperCase", "capitalize", "camelCase", "snakeCase", "kebabCase", "pascalCase"}
	d.mapping(n, key,
		op("substring", field{"startChar", index(&t.StartChar)}, field{"endChar", index(&t.EndChar)}),
		op("replace",
			field{"replace", func(k string, v *yaml.Node) {
				re, err := regexp.Compile(d.str(v, k))
				if err != nil {
					d.errorf(v, k, "%v", err)
				}
				t.Replace = re
			}},
			field{"by", func(k string, v *yaml.Node) { t.By = d.str(v, k) }},
		),
		op("convert",
			field{"toCase", func(k string, v *yaml.Node) { t.ToCase = d.oneOf(v, k, cases...) }},
			field{"separatedBy", func(k string, v *yaml.Node) {
				d.sequence(v, k, func(k string, _ int, item *yaml.Node) {
					t.SeparatedBy = append(t.SeparatedBy, d.oneOf(item, k, "caseChange", "dash", "dot", "slash", "space", "underscore"))
				})
				if t.SeparatedBy == nil {
					t.SeparatedBy = []string{}
				}
			}},
		),
		field{"rewrite", func(k string, v *yaml.Node) {
			d.errorf(v, k, "the ast-grep transformation rewrite is not supported by gauntlet (it needs rewriters)")
		}},
	)
	if len(d.errs) > before {
		return t, false
	}
	switch {
	case t.Op == "":
		d.errorf(n, key, "want one of substring, replace or convert")
	case t.Op == "replace" && (t.Replace == nil || !hasKey(n, "by")):
		d.errorf(n, key+".replace", "replace needs replace (a regular expression) and by")
	case t.Op == "convert" && t.ToCase == "":
		d.errorf(n, key+".convert", "missing: toCase")
	}
	return t, len(d.errs) == before
}

// hasKey says whether the one operation of a transformation has the key.
func hasKey(n *yaml.Node, key string) bool {
	if len(n.Content) < 2 {
		return false
	}
	op := resolve(n.Content[1])
	for i := 0; i+1 < len(op.Content); i += 2 {
		if op.Content[i].Value == key {
			return true
		}
	}
	return false
}

// transformString turns ast-grep's string form of a transformation,
// `op($SOURCE, key=value, ...)`, into its mapping form, as ast-grep's
// decompose_str splits it: values are YAML ('quoted', [lists], numbers).
func transformString(s string) (*yaml.Node, error) {
	bad := fmt.Errorf("cannot read the transformation %q: want op($SOURCE, key=value, ...)", s)
	s = strings.TrimSpace(s)
	op, rest, ok := strings.Cut(s, "(")
	if !ok {
		return nil, bad
	}
	rest = strings.TrimRight(rest, ")")
	src, rest, ok := strings.Cut(rest, ",")
	if !ok {
		return nil, bad
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s:\n  source: %q\n", strings.TrimSpace(op), strings.TrimSpace(src))
	rest = strings.TrimSpace(rest)
	for rest != "" {
		k, next, ok := strings.Cut(rest, "=")
		if !ok {
			return nil, bad
		}
		next = strings.TrimLeft(next, " \t\n")
		end := -1
		if next != "" && strings.ContainsRune(`'"[`, rune(next[0])) {
			closer := next[0]
			if closer == '[' {
				closer = ']'
			}
			if j := strings.IndexByte(next[1:], closer); j >= 0 {
				end = j + 2
			}
		} else if j := strings.IndexByte(next, ','); j >= 0 {
			end = j
		} else {
			end = len(next)
		}
		if end < 0 {
			return nil, bad
		}
		fmt.Fprintf(&b, "  %s: %s\n", strings.TrimSpace(k), next[:end])
		rest = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(next[end:]), ","))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(b.String()), &doc); err != nil || len(doc.Content) == 0 {
		return nil, bad
	}
	return doc.Content[0], nil
}

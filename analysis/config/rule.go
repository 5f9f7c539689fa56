package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// Rule is a team rule as written in YAML, checked for form but not compiled
// (package rules compiles the query):
//
//   - id: go-println                  # unique, [a-z0-9-]+
//     language: go                    # go | python | javascript | typescript | tsx
//     severity: warning               # error | warning | info | hint (default warning)
//     message: fmt.{{fn}} left in code     # {{name}} inserts a capture's text
//     doc: why this matters            # optional; the message when absent
//     query: |                        # a tree-sitter query
//     ((call_expression function: (selector_expression
//     operand: (identifier) @pkg field: (field_identifier) @fn)) @call
//     (#eq? @pkg "fmt") (#eq? @fn "Println"))
//     report: call                    # the capture the finding covers (default: the first)
//     fix:                            # optional
//     capture: call                 # the capture whose text is replaced (default: report)
//     replace: ""                   # {{name}} inserts a capture's text
//     title: Remove the call        # optional
//     paths: ["**/*.go"]              # optional include globs
//     url: https://example.org/rules/go-println
type Rule struct {
	ID        string
	Languages []string          // usually one; a list when one query suits several grammars
	Severity  analysis.Severity // 0 means warning
	Message   string
	Doc       string
	Query     string
	Report    string // capture name, without "@"; "" means the first capture
	Fix       *RuleFix
	Paths     []string
	// An ast-grep rule's files (nil: every file) and ignores, matched
	// against paths relative to AstGrepBase: the directory of its
	// sgconfig.yml relative to the configuration's, with a trailing slash
	// ("" when they are the same).
	AstGrepFiles, AstGrepIgnores []AstGrepGlob
	AstGrepBase                  string
	URL                          string

	// Pattern rules (ast-grep's rule objects): Object is the rule (a
	// `pattern:` shorthand is an Object with only a pattern); the whole
	// match is reported, and fix.replace is a template with $VAR.
	Object      *RuleObject
	Constraints map[string]*RuleObject
	Utils       map[string]*RuleObject // the rule's own utils
	GlobalUtils map[string]*RuleObject // an ast-grep project's utilDirs
	Transforms  []Transform            // ast-grep's transform, in file order
	AstGrep     bool                   // read from an ast-grep rule file
	Off         bool                   // ast-grep's severity: off

	Pos   Pos            // the rule's file and first line
	Lines map[string]int // the line of each key's value ("query", "fix.capture"...)

	queryBlock bool // the query is a literal block: its lines are the file's lines
}

// RuleFix replaces a capture's text.
type RuleFix struct {
	Capture string // "" means the rule's report capture
	Replace string // template: {{name}} inserts a capture's text
	Title   string // "" means a title made from the replacement
}

// PosOf returns where key (as in Lines) is written, or the rule's position.
func (r *Rule) PosOf(key string) Pos {
	if l := r.Lines[key]; l > 0 {
		return Pos{r.Pos.File, l}
	}
	return r.Pos
}

// QueryPos returns the file position of a byte offset into Query, exact for
// queries written as literal blocks (`query: |`), else the query's line.
func (r *Rule) QueryPos(offset int) Pos {
	p := r.PosOf("query")
	if r.queryBlock && offset >= 0 && offset <= len(r.Query) {
		p.Line += 1 + analysis.NewMapper([]byte(r.Query)).Line(offset)
	}
	return p
}

// LoadRules reads a rule file: a top-level `rules` list and nothing else.
func LoadRules(path string) ([]Rule, error) { return loadRules(path, path) }

// loadRules reads the rule file at path, naming it name in positions.
func loadRules(path, name string) ([]Rule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseRules(name, data)
}

// ParseRules reads a rule file's content; path names it in errors.
func ParseRules(path string, data []byte) ([]Rule, error) { return parseRules(path, data, nil) }

// parseRules reads gauntlet's form (a `rules` list) or ast-grep's (a rule
// per YAML document, with a top-level id); utils are an ast-grep
// project's global utility rules.
func parseRules(path string, data []byte, utils map[string]*RuleObject) ([]Rule, error) {
	return parseForms(path, data, "rules", func(d *decoder, doc *yaml.Node) (Rule, bool) {
		r, ok := d.astGrepRule(doc, utils)
		return r, ok && !r.Off
	}, (*decoder).rules)
}

// parseForms reads a file of items in ast-grep's form, one per YAML
// document (with a top-level id), each read by doc, which says whether to
// keep it, or in gauntlet's, a list under key read by list.
func parseForms[T any](path string, data []byte, key string, doc func(d *decoder, n *yaml.Node) (T, bool), list func(d *decoder, n *yaml.Node, key string) []T) ([]T, error) {
	docs, err := parseDocuments(path, data)
	if err != nil {
		return nil, err
	}
	d := &decoder{file: path}
	var out []T
	if len(docs) > 0 && isAstGrepRule(docs[0]) {
		for _, n := range docs {
			if v, ok := doc(d, n); ok {
				out = append(out, v)
			}
		}
	} else {
		root, err := parseYAML(path, data)
		if err != nil {
			return nil, err
		}
		d.mapping(root, "", field{key, func(k string, v *yaml.Node) { out = list(d, v, k) }})
	}
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	return out, nil
}

func (d *decoder) rules(n *yaml.Node, key string) []Rule {
	var out []Rule
	d.sequence(n, key, func(key string, _ int, item *yaml.Node) {
		if r, ok := d.rule(item, key); ok {
			out = append(out, r)
		}
	})
	return out
}

// rule reads one rule; ok is false when it is unusable.
func (d *decoder) rule(n *yaml.Node, key string) (Rule, bool) {
	r := Rule{Pos: d.pos(n), Lines: map[string]int{}}
	before := len(d.errs)
	at := func(k string, v *yaml.Node) { r.Lines[strings.TrimPrefix(k, key+".")] = v.Line }
	d.mapping(n, key,
		field{"id", func(k string, v *yaml.Node) { at(k, v); r.ID = d.id(v, k) }},
		field{"language", func(k string, v *yaml.Node) {
			at(k, v)
			if v.Kind == yaml.SequenceNode {
				d.sequence(v, k, func(k string, _ int, item *yaml.Node) {
					if l := d.oneOf(item, k, analysis.LanguageNames()...); l != "" && !slices.Contains(r.Languages, l) {
						r.Languages = append(r.Languages, l)
					}
				})
				if len(v.Content) == 0 {
					d.errorf(v, k, "empty list of languages")
				}
				return
			}
			if l := d.oneOf(v, k, analysis.LanguageNames()...); l != "" {
				r.Languages = []string{l}
			}
		}},
		field{"severity", func(k string, v *yaml.Node) { at(k, v); r.Severity = d.severity(v, k) }},
		field{"message", func(k string, v *yaml.Node) { at(k, v); r.Message = d.str(v, k) }},
		field{"doc", func(k string, v *yaml.Node) { at(k, v); r.Doc = d.str(v, k) }},
		field{"query", func(k string, v *yaml.Node) {
			at(k, v)
			r.Query = d.str(v, k)
			r.queryBlock = v.Style&yaml.LiteralStyle != 0
		}},
		field{"report", func(k string, v *yaml.Node) { at(k, v); r.Report = strings.TrimPrefix(d.str(v, k), "@") }},
		field{"pattern", func(k string, v *yaml.Node) {
			at(k, v)
			r.Object = &RuleObject{Pos: d.pos(v), Pattern: d.patternSpec(v, k), Set: map[string]int{"pattern": v.Line}}
		}},
		field{"rule", func(k string, v *yaml.Node) { at(k, v); r.Object = d.ruleObject(v, k) }},
		field{"constraints", func(k string, v *yaml.Node) { at(k, v); r.Constraints = d.ruleMap(v, k) }},
		field{"utils", func(k string, v *yaml.Node) { at(k, v); r.Utils = d.ruleMap(v, k) }},
		field{"fix", func(k string, v *yaml.Node) {
			at(k, v)
			if v.Kind == yaml.ScalarNode {
				// a pattern rule's template: fix: "log.Print($$$ARGS)"
				r.Fix = &RuleFix{Replace: v.Value}
				return
			}
			fix := &RuleFix{}
			replace := false
			d.mapping(v, k,
				field{"capture", func(k string, v *yaml.Node) { at(k, v); fix.Capture = strings.TrimPrefix(d.str(v, k), "@") }},
				field{"replace", func(k string, v *yaml.Node) { at(k, v); fix.Replace, replace = d.str(v, k), true }},
				field{"title", func(k string, v *yaml.Node) { at(k, v); fix.Title = d.str(v, k) }},
			)
			// `replace: ""` and `replace:` both mean delete; only a missing key is wrong.
			if !replace && v.Kind == yaml.MappingNode {
				for i := 0; i < len(v.Content); i += 2 {
					if v.Content[i].Value == "replace" {
						replace = true
					}
				}
				if !replace {
					d.errorf(v, k+".replace", "missing: a fix needs the replacement text (\"\" deletes)")
				}
			}
			r.Fix = fix
		}},
		field{"paths", func(k string, v *yaml.Node) { at(k, v); r.Paths = d.globs(v, k, true) }},
		field{"url", func(k string, v *yaml.Node) {
			at(k, v)
			s := d.str(v, k)
			if u, err := url.Parse(s); err != nil || u.Scheme == "" || u.Host == "" {
				d.errorf(v, k, "want an absolute URL, not %q", s)
				return
			}
			r.URL = s
		}},
	)
	if n.Kind != yaml.MappingNode {
		return r, false
	}
	name := key
	if r.ID != "" {
		name = "rule " + r.ID
	}
	for _, req := range []struct {
		key string
		set bool
	}{{"id", r.Lines["id"] > 0}, {"language", r.Lines["language"] > 0}, {"message", r.Lines["message"] > 0}, {"query", r.Lines["query"] > 0 || r.Object != nil}} {
		if !req.set {
			what := req.key
			if what == "query" {
				what = "pattern, rule or query"
			}
			d.errorf(n, key+"."+req.key, "missing: %s needs %s", name, what)
		}
	}
	if len(d.errs) > before {
		return r, false
	}
	if r.Object != nil && r.Lines["query"] > 0 {
		d.errorf(n, key+".query", "%s has both a query and a pattern or rule: give one", name)
	}
	if r.Object == nil && (r.Constraints != nil || r.Utils != nil) {
		d.errorf(n, key, "%s: constraints and utils need a pattern or rule", name)
	}
	if r.Lines["query"] > 0 && strings.TrimSpace(r.Query) == "" {
		d.errorf(n, key+".query", "%s has an empty query", name)
	}
	if r.Lines["message"] > 0 && strings.TrimSpace(r.Message) == "" {
		d.errorf(n, key+".message", "%s has an empty message", name)
	}
	return r, len(d.errs) == before
}

// RuleTest holds the test cases of one rule: code it must not report on
// (Valid) and code it must report on (Invalid).
type RuleTest struct {
	ID      string
	AstGrep bool // ast-grep's form: a top-level id
	Valid   []Case
	Invalid []Case
	Pos     Pos
}

// Case is one snippet of a rule test.
type Case struct {
	Code  string
	Path  string  // file name to analyse it as, whose extension picks the language; "" means test.EXT for each of the rule's languages
	Lines []int   // invalid cases: the 1-based lines findings must start on, exactly; nil means at least one finding
	Fixed *string // invalid cases: the code after applying every finding's fix, if checked
	Pos   Pos
}

// LoadTests reads a rule test file:
//
//	tests:
//	  - id: go-println
//	    valid:                  # snippets the rule must not report on
//	      - |
//	        package p
//	        func f() { log.Println("ok") }
//	    invalid:                # snippets it must report on
//	      - |                   # a bare snippet: at least one finding
//	        package p
//	        func f() { fmt.Println("x") }
//	      - code: |             # or a case with expectations
//	          package p
//	          func f() { fmt.Println("x") }
//	        lines: [2]          # findings start on exactly these lines
//	        fixed: |            # the code once every fix is applied
//	          package p
//	          func f() {  }
//	        path: main_test.go  # the file name the snippet is analysed as
func LoadTests(path string) ([]RuleTest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseTests(path, data)
}

// ParseTests reads a rule test file's content; path names it in errors.
func ParseTests(path string, data []byte) ([]RuleTest, error) {
	return parseForms(path, data, "tests", func(d *decoder, doc *yaml.Node) (RuleTest, bool) {
		return d.astGrepTests(doc), true
	}, (*decoder).ruleTests)
}

func (d *decoder) ruleTests(n *yaml.Node, key string) []RuleTest {
	var tests []RuleTest
	d.sequence(n, key, func(key string, _ int, item *yaml.Node) {
		t := RuleTest{Pos: d.pos(item)}
		d.mapping(item, key,
			field{"id", func(k string, v *yaml.Node) { t.ID = d.id(v, k) }},
			field{"valid", func(k string, v *yaml.Node) { t.Valid = d.cases(v, k, false) }},
			field{"invalid", func(k string, v *yaml.Node) { t.Invalid = d.cases(v, k, true) }},
		)
		if item.Kind == yaml.MappingNode && t.ID == "" && len(d.errs) == 0 {
			d.errorf(item, key+".id", "missing: which rule these cases test")
		}
		tests = append(tests, t)
	})
	return tests
}

func (d *decoder) cases(n *yaml.Node, key string, invalid bool) []Case {
	var out []Case
	d.sequence(n, key, func(key string, _ int, item *yaml.Node) {
		c := Case{Pos: d.pos(item)}
		if item.Kind == yaml.ScalarNode {
			c.Code = item.Value
			if item.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
				c.Pos.Line++
			}
			out = append(out, c)
			return
		}
		fields := []field{
			{"code", func(k string, v *yaml.Node) {
				c.Code = d.str(v, k)
				c.Pos = d.pos(v)
				if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
					c.Pos.Line++
				}
			}},
			{"path", func(k string, v *yaml.Node) {
				c.Path = d.str(v, k)
				if c.Path == "" || filepath.IsAbs(c.Path) || strings.Contains(c.Path, "..") {
					d.errorf(v, k, "want a relative file name, not %q", c.Path)
				}
			}},
		}
		if invalid {
			fields = append(fields,
				field{"lines", func(k string, v *yaml.Node) {
					c.Lines = []int{}
					d.sequence(v, k, func(k string, _ int, item *yaml.Node) {
						if l := d.integer(item, k, 1); l > 0 {
							c.Lines = append(c.Lines, l)
						}
					})
				}},
				field{"fixed", func(k string, v *yaml.Node) { s := d.str(v, k); c.Fixed = &s }},
			)
		}
		d.mapping(item, key, fields...)
		if item.Kind == yaml.MappingNode && c.Code == "" {
			d.errorf(item, key+".code", "missing: the snippet to analyse")
		}
		out = append(out, c)
	})
	return out
}

// String names a case for messages: FILE:LINE.
func (c Case) String() string { return fmt.Sprint(c.Pos) }

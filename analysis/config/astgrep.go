package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// RuleObject is a rule object as ast-grep defines it
// (https://ast-grep.github.io/reference/rule.html): the keys given are
// ANDed, atomic ones first, then composite, then relational, as ast-grep
// evaluates them. Package rules compiles it.
type RuleObject struct {
	Pos      Pos
	Pattern  *PatternSpec
	Kind     string
	Regex    string
	Inside   *Relation
	Has      *Relation
	Precedes *Relation
	Follows  *Relation
	All      []*RuleObject
	Any      []*RuleObject
	Not      *RuleObject
	Matches  string
	// Set says which keys were given ("kind", "all"...), so that an empty
	// value is told apart from an absent one.
	Set map[string]int // key -> line
}

// PatternSpec is a pattern: a snippet, or a context and the kind of the
// node in it that is the pattern (selector).
type PatternSpec struct {
	Context    string
	Selector   string
	Strictness string // "" or smart
	Pos        Pos
}

// Relation is the argument of inside, has, precedes and follows.
type Relation struct {
	Rule     *RuleObject
	StopBy   string      // neighbor (default) or end; "" with StopRule set
	StopRule *RuleObject // stopBy given as a rule
	Field    string
	Pos      Pos
}

// languageAliases are the language names ast-grep accepts, lower-cased.
var languageAliases = map[string]string{
	"go": "go", "golang": "go",
	"python": "python", "py": "python",
	"javascript": "javascript", "js": "javascript", "jsx": "javascript",
	"typescript": "typescript", "ts": "typescript",
	"tsx": "tsx",
}

// ruleObject reads an ast-grep rule object.
func (d *decoder) ruleObject(n *yaml.Node, key string) *RuleObject {
	o := &RuleObject{Pos: d.pos(n), Set: map[string]int{}}
	at := func(k string, v *yaml.Node) { o.Set[k[strings.LastIndex(k, ".")+1:]] = v.Line }
	rel := func(k string, v *yaml.Node) *Relation {
		at(k, v)
		return d.relation(v, k)
	}
	list := func(k string, v *yaml.Node) []*RuleObject {
		at(k, v)
		var out []*RuleObject
		d.sequence(v, k, func(k string, _ int, item *yaml.Node) {
			out = append(out, d.ruleObject(item, k))
		})
		return out
	}
	unsupported := func(name, why string) field {
		return field{name, func(k string, v *yaml.Node) {
			d.errorf(v, k, "the ast-grep rule key %s is not supported by gauntlet (%s)", name, why)
		}}
	}
	d.mapping(n, key,
		field{"pattern", func(k string, v *yaml.Node) { at(k, v); o.Pattern = d.patternSpec(v, k) }},
		field{"kind", func(k string, v *yaml.Node) { at(k, v); o.Kind = d.str(v, k) }},
		field{"regex", func(k string, v *yaml.Node) { at(k, v); o.Regex = d.str(v, k) }},
		field{"inside", func(k string, v *yaml.Node) { o.Inside = rel(k, v) }},
		field{"has", func(k string, v *yaml.Node) { o.Has = rel(k, v) }},
		field{"precedes", func(k string, v *yaml.Node) { o.Precedes = rel(k, v) }},
		field{"follows", func(k string, v *yaml.Node) { o.Follows = rel(k, v) }},
		field{"all", func(k string, v *yaml.Node) { o.All = list(k, v) }},
		field{"any", func(k string, v *yaml.Node) { o.Any = list(k, v) }},
		field{"not", func(k string, v *yaml.Node) { at(k, v); o.Not = d.ruleObject(v, k) }},
		field{"matches", func(k string, v *yaml.Node) { at(k, v); o.Matches = d.str(v, k) }},
		unsupported("nthChild", "use a query rule"),
		unsupported("range", "use a query rule"),
	)
	if n.Kind == yaml.MappingNode && len(o.Set) == 0 && len(n.Content) == 0 {
		d.errorf(n, key, "empty rule object: give at least one of pattern, kind, regex, inside, has, precedes, follows, all, any, not, matches")
	}
	return o
}

func (d *decoder) relation(n *yaml.Node, key string) *Relation {
	r := &Relation{Pos: d.pos(n)}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, key, "want a rule object, not %s", describe(n))
		return r
	}
	// The relation's own keys, then the rest as the rule.
	rest := &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		switch k.Value {
		case "stopBy":
			sub := key + ".stopBy"
			if v.Kind == yaml.ScalarNode {
				r.StopBy = d.oneOf(v, sub, "neighbor", "end")
			} else {
				r.StopRule = d.ruleObject(v, sub)
			}
		case "field":
			r.Field = d.str(v, key+".field")
		default:
			rest.Content = append(rest.Content, n.Content[i], n.Content[i+1])
		}
	}
	r.Rule = d.ruleObject(rest, key)
	return r
}

func (d *decoder) patternSpec(v *yaml.Node, key string) *PatternSpec {
	p := &PatternSpec{Pos: d.pos(v)}
	if v.Kind == yaml.ScalarNode {
		p.Context = v.Value
		if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			p.Pos.Line++
		}
		if strings.TrimSpace(p.Context) == "" {
			d.errorf(v, key, "empty pattern")
		}
		return p
	}
	d.mapping(v, key,
		field{"context", func(k string, v *yaml.Node) { p.Context = d.str(v, k) }},
		field{"selector", func(k string, v *yaml.Node) { p.Selector = d.str(v, k) }},
		field{"strictness", func(k string, v *yaml.Node) {
			s := d.oneOf(v, k, "cst", "smart", "ast", "relaxed", "signature", "template")
			if s != "" && s != "smart" {
				d.errorf(v, k, "strictness %s is not supported by gauntlet (only smart, ast-grep's default)", s)
			}
			p.Strictness = s
		}},
	)
	if v.Kind == yaml.MappingNode && p.Context == "" {
		d.errorf(v, key+".context", "missing: a pattern object needs context (and usually selector)")
	}
	return p
}

// IsAstGrepFile reports whether a parsed rule file is in ast-grep's form (a
// top-level id rather than a rules list).
func isAstGrepRule(root *yaml.Node) bool {
	if root == nil || root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "id" {
			return true
		}
	}
	return false
}

// parseDocuments parses every YAML document of data (ast-grep rule files
// may hold several rules separated by ---).
func parseDocuments(path string, data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			// the same message as parseYAML gives
			_, perr := parseYAML(path, data)
			if perr == nil {
				perr = Errors{{Pos: Pos{path, 0}, Msg: "invalid YAML: " + err.Error()}}
			}
			return nil, perr
		}
		if len(doc.Content) > 0 {
			out = append(out, doc.Content[0])
		}
	}
}

// astGrepRule reads one rule in ast-grep's file form.
func (d *decoder) astGrepRule(n *yaml.Node, utils map[string]*RuleObject) (Rule, bool) {
	r := Rule{Pos: d.pos(n), Lines: map[string]int{}, AstGrep: true}
	before := len(d.errs)
	at := func(k string, v *yaml.Node) { r.Lines[k] = v.Line }
	unsupported := func(name, why string) field {
		return field{name, func(k string, v *yaml.Node) {
			d.errorf(v, k, "the ast-grep key %s is not supported by gauntlet (%s)", name, why)
		}}
	}
	d.mapping(n, "",
		field{"id", func(k string, v *yaml.Node) { at(k, v); r.ID = d.id(v, k) }},
		field{"language", func(k string, v *yaml.Node) {
			at(k, v)
			s := d.str(v, k)
			if l, ok := languageAliases[strings.ToLower(s)]; ok {
				r.Languages = []string{l}
			} else if s != "" {
				d.errorf(v, k, "language %q is not one gauntlet parses (want one of: %s)", s, strings.Join(analysis.LanguageNames(), ", "))
			}
		}},
		field{"rule", func(k string, v *yaml.Node) { at(k, v); r.Object = d.ruleObject(v, k) }},
		field{"message", func(k string, v *yaml.Node) { at(k, v); r.Message = d.str(v, k) }},
		field{"note", func(k string, v *yaml.Node) { at(k, v); r.Doc = d.str(v, k) }},
		field{"severity", func(k string, v *yaml.Node) {
			at(k, v)
			s := d.oneOf(v, k, "error", "warning", "info", "hint", "off")
			if s == "off" {
				r.Off = true
			} else if s != "" {
				r.Severity, _ = analysis.ParseSeverity(s)
			}
		}},
		field{"fix", func(k string, v *yaml.Node) {
			at(k, v)
			if v.Kind == yaml.ScalarNode {
				r.Fix = &RuleFix{Replace: v.Value}
				return
			}
			if v.Kind == yaml.SequenceNode {
				d.errorf(v, k, "a list of fixes is not supported by gauntlet (give one fix)")
				return
			}
			fix := &RuleFix{}
			d.mapping(v, k,
				field{"template", func(k string, v *yaml.Node) { fix.Replace = d.str(v, k) }},
				field{"title", func(k string, v *yaml.Node) { fix.Title = d.str(v, k) }},
				unsupported("expandStart", "widen the rule's match instead"),
				unsupported("expandEnd", "widen the rule's match instead"),
			)
			r.Fix = fix
		}},
		field{"constraints", func(k string, v *yaml.Node) { at(k, v); r.Constraints = d.ruleMap(v, k) }},
		field{"utils", func(k string, v *yaml.Node) { at(k, v); r.Utils = d.ruleMap(v, k) }},
		field{"files", func(k string, v *yaml.Node) { at(k, v); r.AstGrepFiles = d.astGrepGlobs(v, k) }},
		field{"ignores", func(k string, v *yaml.Node) { at(k, v); r.AstGrepIgnores = d.astGrepGlobs(v, k) }},
		field{"url", func(k string, v *yaml.Node) { at(k, v); r.URL = d.str(v, k) }},
		field{"metadata", func(k string, v *yaml.Node) {}},
		field{"transform", func(k string, v *yaml.Node) { at(k, v); r.Transforms = d.transforms(v, k) }},
		unsupported("rewriters", "not implemented"),
		unsupported("labels", "not implemented"),
	)
	r.GlobalUtils = utils
	for _, req := range []string{"id", "language", "rule"} {
		if r.Lines[req] == 0 {
			d.errorf(n, req, "missing: an ast-grep rule needs %s", req)
		}
	}
	if r.Message == "" {
		r.Message = r.ID
	}
	return r, len(d.errs) == before
}

// ruleMap reads a mapping of names to rule objects (constraints, utils).
func (d *decoder) ruleMap(n *yaml.Node, key string) map[string]*RuleObject {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, key, "want a mapping of names to rule objects, not %s", describe(n))
		return nil
	}
	out := map[string]*RuleObject{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		sub := join(key, k.Value)
		if _, dup := out[k.Value]; dup {
			d.errorf(k, sub, "given twice")
			continue
		}
		out[k.Value] = d.ruleObject(v, sub)
	}
	return out
}

// AstGrepProject is an sgconfig.yml: where an ast-grep project keeps its
// rules, utility rules and rule tests.
type AstGrepProject struct {
	Path      string
	RuleFiles []string               // *.yml and *.yaml under ruleDirs, sorted
	TestFiles []string               // under testConfigs' testDir
	Utils     map[string]*RuleObject // from utilDirs, by id
}

// LoadAstGrepProject reads an sgconfig.yml and lists its files.
func LoadAstGrepProject(path string) (*AstGrepProject, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	root, err := parseYAML(path, data)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	p := &AstGrepProject{Path: path, Utils: map[string]*RuleObject{}}
	d := &decoder{file: path}
	var ruleDirs, utilDirs, testDirs []string
	d.mapping(root, "",
		field{"ruleDirs", func(k string, v *yaml.Node) { ruleDirs = d.strs(v, k) }},
		field{"utilDirs", func(k string, v *yaml.Node) { utilDirs = d.strs(v, k) }},
		field{"testConfigs", func(k string, v *yaml.Node) {
			d.sequence(v, k, func(k string, _ int, item *yaml.Node) {
				d.mapping(item, k,
					field{"testDir", func(k string, v *yaml.Node) { testDirs = append(testDirs, d.str(v, k)) }},
					field{"snapshotDir", func(k string, v *yaml.Node) {}},
				)
			})
		}},
		field{"languageGlobs", func(k string, v *yaml.Node) {
			d.errorf(v, k, "the ast-grep key languageGlobs is not supported by gauntlet (languages follow file extensions)")
		}},
		field{"customLanguages", func(k string, v *yaml.Node) {
			d.errorf(v, k, "the ast-grep key customLanguages is not supported by gauntlet")
		}},
		field{"languageInjections", func(k string, v *yaml.Node) {
			d.errorf(v, k, "the ast-grep key languageInjections is not supported by gauntlet")
		}},
	)
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	list := func(dirs []string) []string {
		var out []string
		for _, rd := range dirs {
			base := filepath.Join(dir, rd)
			_ = filepath.WalkDir(base, func(p string, e os.DirEntry, err error) error {
				if err != nil {
					d.errs = append(d.errs, &Error{Pos: Pos{path, 0}, Msg: err.Error()})
					return nil
				}
				if !e.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
					out = append(out, p)
				}
				return nil
			})
		}
		sort.Strings(out)
		return out
	}
	p.RuleFiles = list(ruleDirs)
	p.TestFiles = list(testDirs)
	for _, f := range list(utilDirs) {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		docs, err := parseDocuments(f, data)
		if err != nil {
			return nil, err
		}
		ud := &decoder{file: f}
		for _, doc := range docs {
			var id string
			var obj *RuleObject
			ud.mapping(doc, "",
				field{"id", func(k string, v *yaml.Node) { id = ud.str(v, k) }},
				field{"language", func(k string, v *yaml.Node) {}},
				field{"rule", func(k string, v *yaml.Node) { obj = ud.ruleObject(v, k) }},
				field{"constraints", func(k string, v *yaml.Node) {
					ud.errorf(v, k, "constraints in a global utility rule are not supported by gauntlet")
				}},
				field{"utils", func(k string, v *yaml.Node) {
					ud.errorf(v, k, "utils in a global utility rule are not supported by gauntlet")
				}},
			)
			if id == "" || obj == nil {
				ud.errorf(doc, "", "a utility rule needs id and rule")
				continue
			}
			p.Utils[id] = obj
		}
		d.errs = append(d.errs, ud.errs...)
	}
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	return p, nil
}

// LoadAstGrepRules reads the rules of an ast-grep project.
func (p *AstGrepProject) LoadRules(display func(string) string) ([]Rule, error) {
	var out []Rule
	var errs Errors
	for _, f := range p.RuleFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, &Error{Pos: Pos{File: display(f)}, Msg: err.Error()})
			continue
		}
		rs, err := parseRules(display(f), data, p.Utils)
		if err != nil {
			var es Errors
			if errors.As(err, &es) {
				errs = append(errs, es...)
			} else {
				errs = append(errs, &Error{Pos: Pos{File: display(f)}, Msg: err.Error()})
			}
			continue
		}
		out = append(out, rs...)
	}
	if len(errs) > 0 {
		return out, errs
	}
	return out, nil
}

// IsAstGrepConfig reports whether name is an ast-grep project file.
func IsAstGrepConfig(name string) bool {
	b := filepath.Base(name)
	return b == "sgconfig.yml" || b == "sgconfig.yaml"
}

// astGrepTests reads ast-grep's rule test form: id, valid, invalid (lists
// of snippets).
func (d *decoder) astGrepTests(n *yaml.Node) RuleTest {
	t := RuleTest{Pos: d.pos(n), AstGrep: true}
	d.mapping(n, "",
		field{"id", func(k string, v *yaml.Node) { t.ID = d.id(v, k) }},
		field{"valid", func(k string, v *yaml.Node) { t.Valid = d.cases(v, k, false) }},
		field{"invalid", func(k string, v *yaml.Node) { t.Invalid = d.cases(v, k, true) }},
	)
	if t.ID == "" && len(d.errs) == 0 {
		d.errorf(n, "id", "missing: which rule these cases test")
	}
	return t
}

var _ = fmt.Sprint

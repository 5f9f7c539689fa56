// Package config reads .gauntlet.yaml, the file in which a team configures
// gauntlet, and the rule files and rule test files it refers to.
//
// Every key is optional; an unknown key or a bad value is an *Error that
// names the file, the line and the key (FILE:LINE: key: message), and Load
// reports every such problem at once, as Errors. Decoding goes through
// yaml.Node so that positions survive: every rule keeps its file and line so
// that later errors (a query that does not compile) point at it.
//
// The whole file, with defaults:
//
//	rules: []            # rules written inline (see Rule)
//	rule_files: []       # globs relative to this file; each file holds a top-level `rules` list
//	                     # (rule test files, NAME_test.yaml, are skipped); an ast-grep rule
//	                     # file (top-level id) or an sgconfig.yml is read as ast-grep reads it
//	disable: []          # rule or analyzer ids; `builtin` turns off every built-in rule and
//	                     # analyzer except syntax
//	enable: []           # ids of built-in rules that are off by default (go-println...);
//	                     # also turns a built-in back on after `disable: [builtin]`
//	severity: {}         # id -> error | warning | info | hint
//	ignore: []           # path globs (relative to this file) that are never analysed
//	plugins:             # analyzer processes
//	  - name: my-checks  # [a-z0-9-]+, unique
//	    path: ./bin/my-checks   # relative to this file
//	    args: []
//	    env: {}          # NAME: value
//	    sha256: ""       # hex digest the executable must have, if given
//	    timeout: 10s     # per request
//	tests:
//	  timeout: 10m       # one test run, every language
//	  go: {flags: [], timeout: 0}   # extra `go test` flags; timeout 0 means tests.timeout
//	  python: {command: [python3, -m, pytest]}   # or python: .venv/bin/python (the interpreter)
//	  runner: ""         # jest | vitest | mocha | node ("" = from package.json)
//	  node: {command: [npx, jest]}
//	  env: []            # names of variables test processes get beyond the allowlist
//	  max_output: 1MiB   # output kept per test (bytes, KiB, MiB); a run keeps 8 times as much
//	  hang_after: 10s    # a Go, Python or mocha test of an edit still running after this runs alone on the code
//	                     # before it; if it passes there in t, the edit's run stops at 10s + 10·t
//	                     # and the test fails as hanging ("off": wait for tests.timeout)
//	model:
//	  provider: ""       # openai | anthropic | ollama | none ("" = from GAUNTLET_MODEL)
//	  name: ""
//	  base_url: ""
//	  api_key_env: ""    # the environment variable holding the key
//	  timeout: 2m
//	  max_tokens: 0      # 0 = the provider's default
//	  temperature: null  # 0..2; unset = the provider's default
//	loop:
//	  gates: [apply, parse, analyzers, build, tests, coverage]
//	  fail_on: warning   # analyzer findings at or above this reject an edit
//	  coverage_drop:     # unset: a drop in coverage is only reported; N: more than N points rejects
//	  max_attempts: 3
//	  timeout: 20m       # one whole fix loop
//	  build_timeout: 5m
//	  test_timeout: 0    # 0 means tests.timeout
//	  allow_test_edits: null # true: a fix may change tests; false: verify refuses edits of tests too
//	  sandbox: auto      # auto | bwrap | none: how edited code runs (requests may only ask for stricter)
//
// Find is for the command line (walk up from the current directory); the
// LSP calls Load on the workspace root's file.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// FileName is the configuration file's name.
const FileName = ".gauntlet.yaml"

// Config is a loaded .gauntlet.yaml with defaults filled in.
type Config struct {
	Path string // absolute path of the file; "" when there is none
	Dir  string // absolute directory the file's relative paths and globs refer to

	Rules     []Rule                       // inline rules, then those of RuleFiles, in order
	RuleFiles []string                     // the files rule_files matched, absolute, sorted
	Disable   []string                     // ids, and possibly "builtin"
	Enable    []string                     // ids of built-in rules to run that are off by default
	Severity  map[string]analysis.Severity // id -> severity override
	Ignore    []string                     // path globs relative to Dir
	Plugins   []Plugin
	Tests     Tests
	Model     Model
	Loop      Loop

	// RuleTestFiles are the rule tests of the ast-grep projects (sgconfig.yml)
	// rule_files names, from their testConfigs.
	RuleTestFiles []string
}

// Plugin is one analyzer process.
type Plugin struct {
	Name    string
	Path    string // absolute
	Args    []string
	Env     map[string]string
	SHA256  string // lower-case hex, or "" for no check
	Timeout time.Duration
	Pos     Pos
}

// Tests configures the test runners.
type Tests struct {
	Timeout time.Duration // one test run
	Go      GoTests
	Python  Runner
	Node    Runner
	// Runner is the JavaScript test framework (jest, vitest, mocha, node);
	// "" detects it from package.json.
	Runner string
	// PythonPath is the Python interpreter of the project's tests
	// (tests.python: a path, relative to the workspace root, or a command).
	PythonPath string
	// Env names the variables of gauntlet's environment that test
	// processes get beyond the allowlist (PATH, locale, toolchains).
	Env []string
	// MaxOutput is the output kept per test, in bytes (0: 1 MiB).
	MaxOutput int64
	// HangAfter is how long a test of an edit runs before it is compared
	// with the code before the edit (testrun.Settings.HangAfter); negative
	// when hang_after is "off".
	HangAfter time.Duration
}

// GoTests configures `go test`.
type GoTests struct {
	Flags   []string      // extra flags, such as -tags=integration
	Timeout time.Duration // 0 means Tests.Timeout
}

// Runner is a test command for a language; nil Command means the default.
type Runner struct {
	Command []string
}

// Model configures the model that proposes edits.
type Model struct {
	Provider    string // "openai", "anthropic", "ollama", "none", or "" (from GAUNTLET_MODEL)
	Name        string
	BaseURL     string
	APIKeyEnv   string
	Timeout     time.Duration
	MaxTokens   int      // 0 = the provider's default
	Temperature *float64 // nil = the provider's default
}

// Gate names, in the order the closed loop runs them.
var Gates = []string{"apply", "parse", "analyzers", "build", "tests", "coverage"}

// Loop configures the closed loop that verifies edits.
type Loop struct {
	Gates        []string          // a subset of Gates, in Gates' order
	FailOn       analysis.Severity // findings at or above this reject an edit
	CoverageDrop float64           // percentage points an edit may lose
	MaxAttempts  int
	Timeout      time.Duration // one whole fix loop
	BuildTimeout time.Duration
	TestTimeout  time.Duration
	// AllowTestEdits (allow_test_edits): whether a fix may change or delete
	// a test that existed before it; nil when not set (fix refuses, verify
	// reports them); false makes verify refuse them too.
	AllowTestEdits *bool
	// Sandbox is how builds and tests of edited code run: "auto" (or
	// unset, ""), "bwrap" or "none". Only "none" lets a model's edit run
	// without bubblewrap; a request may only ask for stricter.
	Sandbox string

	// CoverageDropSet: coverage_drop is given; without it a drop in coverage
	// is reported and never rejects an edit.
	CoverageDropSet bool
}

// Gate reports whether the loop runs the named gate.
func (l Loop) Gate(name string) bool { return slices.Contains(l.Gates, name) }

// Defaults.
const (
	DefaultPluginTimeout = 10 * time.Second
	DefaultTestTimeout   = 10 * time.Minute
	DefaultModelTimeout  = 2 * time.Minute
	DefaultMaxAttempts   = 3
	DefaultLoopTimeout   = 20 * time.Minute
	DefaultBuildTimeout  = 5 * time.Minute
	DefaultHangAfter     = 10 * time.Second
)

// Default returns the configuration used when there is no file, rooted at dir.
func Default(dir string) *Config {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	c := &Config{Dir: dir, Severity: map[string]analysis.Severity{}}
	c.fillDefaults()
	return c
}

func (c *Config) fillDefaults() {
	if c.Tests.Timeout == 0 {
		c.Tests.Timeout = DefaultTestTimeout
	}
	if c.Tests.Go.Timeout == 0 {
		c.Tests.Go.Timeout = c.Tests.Timeout
	}
	if c.Tests.HangAfter == 0 {
		c.Tests.HangAfter = DefaultHangAfter
	}
	if c.Model.Timeout == 0 {
		c.Model.Timeout = DefaultModelTimeout
	}
	if c.Loop.Gates == nil {
		c.Loop.Gates = slices.Clone(Gates)
	}
	if c.Loop.FailOn == 0 {
		c.Loop.FailOn = analysis.SeverityWarning
	}
	if c.Loop.MaxAttempts == 0 {
		c.Loop.MaxAttempts = DefaultMaxAttempts
	}
	if c.Loop.Timeout == 0 {
		c.Loop.Timeout = DefaultLoopTimeout
	}
	if c.Loop.BuildTimeout == 0 {
		c.Loop.BuildTimeout = DefaultBuildTimeout
	}
	if c.Loop.TestTimeout == 0 {
		c.Loop.TestTimeout = c.Tests.Timeout
	}
	for i := range c.Plugins {
		if c.Plugins[i].Timeout == 0 {
			c.Plugins[i].Timeout = DefaultPluginTimeout
		}
	}
}

// Find looks for FileName in dir and each of its parents and loads the first
// it finds. With none, it returns Default(dir) and no error. When dir is
// relative, errors and rule positions name files relative to it, as a person
// at the command line reads them; Config.Path and Dir are absolute anyway.
func Find(dir string) (*Config, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	for d := abs; ; d = filepath.Dir(d) {
		p := filepath.Join(d, FileName)
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			name := p
			if !filepath.IsAbs(dir) {
				if r, err := filepath.Rel(abs, p); err == nil {
					name = filepath.Join(dir, r)
				}
			}
			return Load(name)
		}
		// An ast-grep project without .gauntlet.yaml is read as if one named it.
		for _, sg := range []string{"sgconfig.yml", "sgconfig.yaml"} {
			if info, err := os.Stat(filepath.Join(d, sg)); err == nil && !info.IsDir() {
				name := filepath.Join(d, FileName)
				if !filepath.IsAbs(dir) {
					if r, err := filepath.Rel(abs, name); err == nil {
						name = filepath.Join(dir, r)
					}
				}
				// Its rules alone, as ast-grep would run them (syntax errors still show).
				c, err := parse(name, []byte("rule_files: ["+sg+"]\ndisable: [builtin]\n"))
				if c != nil {
					c.Path = filepath.Join(d, sg)
				}
				return c, err
			}
		}
		if filepath.Dir(d) == d {
			return Default(abs), nil
		}
	}
}

// Load reads the configuration file at path and the rule files it names.
// A problem in either is an Errors value listing every problem found;
// errors name files as path does (relative paths stay relative).
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parse(path, data)
}

func parse(name string, data []byte) (*Config, error) {
	path, err := filepath.Abs(name)
	if err != nil {
		return nil, err
	}
	// display names a file of the configuration's directory as name does.
	display := func(abs string) string {
		if filepath.IsAbs(name) {
			return abs
		}
		r, err := filepath.Rel(filepath.Dir(path), abs)
		if err != nil {
			return abs
		}
		return filepath.Join(filepath.Dir(name), r)
	}
	c := &Config{Path: path, Dir: filepath.Dir(path), Severity: map[string]analysis.Severity{}}
	d := &decoder{file: name}
	root, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	var ruleFiles []string
	var ruleFilesNode *yaml.Node
	d.mapping(root, "",
		field{"rules", func(k string, v *yaml.Node) { c.Rules = append(c.Rules, d.rules(v, k)...) }},
		field{"rule_files", func(k string, v *yaml.Node) { ruleFiles, ruleFilesNode = d.globs(v, k, false), v }},
		field{"disable", func(k string, v *yaml.Node) {
			d.sequence(v, k, func(k string, _ int, item *yaml.Node) {
				if s, ok := d.scalar(item, k, "an id"); ok {
					if s != "builtin" && !ValidID(s) {
						d.errorf(item, k, "invalid id %q (want a rule or analyzer id, or builtin)", s)
						return
					}
					c.Disable = append(c.Disable, s)
				}
			})
		}},
		field{"enable", func(k string, v *yaml.Node) {
			d.sequence(v, k, func(k string, _ int, item *yaml.Node) {
				if s := d.id(item, k); s != "" {
					c.Enable = append(c.Enable, s)
				}
			})
		}},
		field{"severity", func(k string, v *yaml.Node) {
			if v.Kind != yaml.MappingNode {
				d.errorf(v, k, "want a mapping of id: severity, not %s", describe(v))
				return
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				kn, vn := resolve(v.Content[i]), resolve(v.Content[i+1])
				sub := join(k, kn.Value)
				if !ValidID(kn.Value) {
					d.errorf(kn, sub, "invalid id %q", kn.Value)
					continue
				}
				if _, dup := c.Severity[kn.Value]; dup {
					d.errorf(kn, sub, "given twice")
					continue
				}
				if s := d.severity(vn, sub); s != 0 {
					c.Severity[kn.Value] = s
				}
			}
		}},
		field{"ignore", func(k string, v *yaml.Node) { c.Ignore = d.globs(v, k, false) }},
		field{"plugins", func(k string, v *yaml.Node) { c.Plugins = d.plugins(v, k, c.Dir) }},
		field{"tests", func(k string, v *yaml.Node) { d.tests(v, k, &c.Tests) }},
		field{"model", func(k string, v *yaml.Node) { d.model(v, k, &c.Model) }},
		field{"loop", func(k string, v *yaml.Node) { d.loop(v, k, &c.Loop) }},
	)
	for i, g := range ruleFiles {
		key := fmt.Sprintf("rule_files[%d]", i)
		item := resolve(ruleFilesNode.Content[i])
		matches, err := expandGlob(c.Dir, g)
		if err != nil {
			d.errorf(item, key, "%v", err)
			continue
		}
		if len(matches) == 0 {
			d.errorf(item, key, "%q matches no file in %s", g, c.Dir)
			continue
		}
		for _, m := range matches {
			if IsTestFile(m) {
				continue // rule tests live beside the rules they test
			}
			if !slices.Contains(c.RuleFiles, m) {
				c.RuleFiles = append(c.RuleFiles, m)
			}
		}
	}
	sort.Strings(c.RuleFiles)
	for _, f := range c.RuleFiles {
		if IsAstGrepConfig(f) {
			p, err := LoadAstGrepProject(f)
			if err == nil {
				var rs []Rule
				rs, err = p.LoadRules(display)
				if rel, rerr := filepath.Rel(c.Dir, filepath.Dir(f)); rerr == nil && rel != "." {
					for i := range rs {
						rs[i].AstGrepBase = filepath.ToSlash(rel) + "/"
					}
				}
				c.Rules = append(c.Rules, rs...)
				c.RuleTestFiles = append(c.RuleTestFiles, p.TestFiles...)
			}
			d.loadError(display(f), err)
			continue
		}
		rs, err := loadRules(f, display(f))
		if err != nil {
			d.loadError(display(f), err)
			continue
		}
		c.Rules = append(c.Rules, rs...)
	}
	d.checkUnique(c)
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	c.fillDefaults()
	return c, nil
}

// IsTestFile reports whether a file name is a rule test file's: NAME_test.yaml
// or NAME_test.yml.
func IsTestFile(name string) bool {
	return strings.HasSuffix(name, "_test.yaml") || strings.HasSuffix(name, "_test.yml")
}

// parseYAML parses one YAML document; a syntax error names the file and line.
func parseYAML(path string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// yaml.v3 says "yaml: line N: message".
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if _, err := fmt.Sscanf(msg, "line %d:", &line); err == nil {
			msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
		}
		return nil, Errors{{Pos: Pos{path, line}, Msg: "invalid YAML: " + msg}}
	}
	if len(doc.Content) == 0 {
		return nil, nil // an empty file is an empty configuration
	}
	return doc.Content[0], nil
}

// checkUnique reports rule ids and plugin names given twice.
func (d *decoder) checkUnique(c *Config) {
	ids := map[string]Pos{}
	for _, r := range c.Rules {
		if r.ID == "" {
			continue
		}
		if p, dup := ids[r.ID]; dup {
			d.errs = append(d.errs, &Error{Pos: r.Pos, Key: "id", Msg: fmt.Sprintf("rule %s is defined twice (first at %s)", r.ID, p)})
			continue
		}
		ids[r.ID] = r.Pos
	}
	names := map[string]Pos{}
	for i, p := range c.Plugins {
		if p.Name == "" {
			continue
		}
		if first, dup := names[p.Name]; dup {
			d.errs = append(d.errs, &Error{Pos: p.Pos, Key: fmt.Sprintf("plugins[%d].name", i), Msg: fmt.Sprintf("plugin %s is defined twice (first at %s)", p.Name, first)})
			continue
		}
		names[p.Name] = p.Pos
	}
}

func (d *decoder) plugins(n *yaml.Node, key, dir string) []Plugin {
	var out []Plugin
	d.sequence(n, key, func(key string, _ int, item *yaml.Node) {
		p := Plugin{Pos: d.pos(item)}
		d.mapping(item, key,
			field{"name", func(k string, v *yaml.Node) { p.Name = d.id(v, k) }},
			field{"path", func(k string, v *yaml.Node) {
				if s := d.str(v, k); s != "" {
					if !filepath.IsAbs(s) {
						s = filepath.Join(dir, filepath.FromSlash(s))
					}
					p.Path = filepath.Clean(s)
				}
			}},
			field{"args", func(k string, v *yaml.Node) { p.Args = d.strs(v, k) }},
			field{"env", func(k string, v *yaml.Node) {
				p.Env = d.stringMap(v, k)
				for _, name := range sortedKeys(p.Env) {
					if !envName(name) {
						d.errorf(v, join(k, name), "invalid environment variable name")
					}
				}
			}},
			field{"sha256", func(k string, v *yaml.Node) {
				s := strings.ToLower(d.str(v, k))
				if len(s) != 64 || strings.Trim(s, "0123456789abcdef") != "" {
					d.errorf(v, k, "want 64 hexadecimal digits, not %q", v.Value)
					return
				}
				p.SHA256 = s
			}},
			field{"timeout", func(k string, v *yaml.Node) { p.Timeout = d.duration(v, k) }},
		)
		if item.Kind == yaml.MappingNode {
			if p.Name == "" {
				d.errorf(item, key+".name", "missing: every plugin needs a name")
			}
			if p.Path == "" {
				d.errorf(item, key+".path", "missing: every plugin needs the path of its executable")
			}
		}
		out = append(out, p)
	})
	return out
}

func envName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (d *decoder) tests(n *yaml.Node, key string, t *Tests) {
	d.mapping(n, key,
		field{"timeout", func(k string, v *yaml.Node) { t.Timeout = d.duration(v, k) }},
		field{"go", func(k string, v *yaml.Node) {
			d.mapping(v, k,
				field{"flags", func(k string, v *yaml.Node) { t.Go.Flags = d.command(v, k) }},
				field{"timeout", func(k string, v *yaml.Node) { t.Go.Timeout = d.duration(v, k) }},
			)
		}},
		field{"python", func(k string, v *yaml.Node) {
			if v.Kind == yaml.ScalarNode {
				t.PythonPath = d.str(v, k)
				return
			}
			d.mapping(v, k, field{"command", func(k string, v *yaml.Node) { t.Python.Command = d.command(v, k) }})
		}},
		field{"runner", func(k string, v *yaml.Node) { t.Runner = d.oneOf(v, k, "jest", "vitest", "mocha", "node") }},
		field{"node", func(k string, v *yaml.Node) {
			d.mapping(v, k, field{"command", func(k string, v *yaml.Node) { t.Node.Command = d.command(v, k) }})
		}},
		field{"env", func(k string, v *yaml.Node) {
			for _, name := range d.strs(v, k) {
				if !envName(name) {
					d.errorf(v, k, "%q is not a variable name", name)
					continue
				}
				t.Env = append(t.Env, name)
			}
		}},
		field{"max_output", func(k string, v *yaml.Node) { t.MaxOutput = d.size(v, k) }},
		field{"hang_after", func(k string, v *yaml.Node) {
			if v.Kind == yaml.ScalarNode && v.Value == "off" {
				t.HangAfter = -1
				return
			}
			t.HangAfter = d.duration(v, k)
		}},
	)
}

// Providers are the model providers a configuration may name.
var Providers = []string{"openai", "anthropic", "ollama", "none"}

func (d *decoder) model(n *yaml.Node, key string, m *Model) {
	d.mapping(n, key,
		field{"provider", func(k string, v *yaml.Node) { m.Provider = d.oneOf(v, k, Providers...) }},
		field{"name", func(k string, v *yaml.Node) { m.Name = d.str(v, k) }},
		field{"base_url", func(k string, v *yaml.Node) {
			s := d.str(v, k)
			if s != "" && !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
				d.errorf(v, k, "want an http:// or https:// URL, not %q", s)
				return
			}
			m.BaseURL = s
		}},
		field{"api_key_env", func(k string, v *yaml.Node) {
			s := d.str(v, k)
			if s != "" && !envName(s) {
				d.errorf(v, k, "want the name of an environment variable, not %q", s)
				return
			}
			m.APIKeyEnv = s
		}},
		field{"timeout", func(k string, v *yaml.Node) { m.Timeout = d.duration(v, k) }},
		field{"max_tokens", func(k string, v *yaml.Node) { m.MaxTokens = d.integer(v, k, 1) }},
		field{"temperature", func(k string, v *yaml.Node) {
			t := d.number(v, k, 0, 2)
			m.Temperature = &t
		}},
	)
}

func (d *decoder) loop(n *yaml.Node, key string, l *Loop) {
	d.mapping(n, key,
		field{"gates", func(k string, v *yaml.Node) {
			set := map[string]bool{}
			d.sequence(v, k, func(k string, _ int, item *yaml.Node) {
				g := d.oneOf(item, k, Gates...)
				if g == "" {
					return
				}
				if set[g] {
					d.errorf(item, k, "gate %s is listed twice", g)
				}
				set[g] = true
			})
			l.Gates = []string{}
			for _, g := range Gates {
				if set[g] {
					l.Gates = append(l.Gates, g)
				}
			}
		}},
		field{"fail_on", func(k string, v *yaml.Node) { l.FailOn = d.severity(v, k) }},
		field{"coverage_drop", func(k string, v *yaml.Node) { l.CoverageDrop, l.CoverageDropSet = d.number(v, k, 0, 100), true }},
		field{"max_attempts", func(k string, v *yaml.Node) { l.MaxAttempts = d.integer(v, k, 1) }},
		field{"timeout", func(k string, v *yaml.Node) { l.Timeout = d.duration(v, k) }},
		field{"build_timeout", func(k string, v *yaml.Node) { l.BuildTimeout = d.duration(v, k) }},
		field{"test_timeout", func(k string, v *yaml.Node) { l.TestTimeout = d.duration(v, k) }},
		field{"allow_test_edits", func(k string, v *yaml.Node) {
			b := d.boolean(v, k)
			l.AllowTestEdits = &b
		}},
		field{"sandbox", func(k string, v *yaml.Node) { l.Sandbox = d.oneOf(v, k, "auto", "bwrap", "none") }},
	)
}

// expandGlob lists the regular files under dir that match the glob pattern
// (relative to dir, slash-separated, `**` for any depth), sorted.
func expandGlob(dir, pattern string) ([]string, error) {
	pattern = filepath.ToSlash(pattern)
	if filepath.IsAbs(filepath.FromSlash(pattern)) {
		rel, err := filepath.Rel(dir, filepath.FromSlash(pattern))
		if err != nil {
			return nil, err
		}
		pattern = filepath.ToSlash(rel)
	}
	// Walk only below the pattern's literal prefix.
	segs := strings.Split(strings.TrimPrefix(pattern, "./"), "/")
	base := dir
	for len(segs) > 1 && !strings.ContainsAny(segs[0], "*?[") {
		base = filepath.Join(base, segs[0])
		segs = segs[1:]
	}
	rest := strings.Join(segs, "/")
	if !strings.ContainsAny(rest, "*?[") {
		p := filepath.Join(base, rest)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return []string{p}, nil
		}
		return nil, nil
	}
	var out []string
	err := filepath.WalkDir(base, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == base && errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipAll
			}
			return err
		}
		if e.IsDir() {
			if p != base && (e.Name() == ".git" || e.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(base, p)
		if err != nil {
			return nil
		}
		if matchAnchored(rest, filepath.ToSlash(rel)) {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// matchAnchored matches a glob against the whole relative path: unlike
// analysis.MatchGlob, a pattern without a slash does not match at any depth.
func matchAnchored(pattern, rel string) bool {
	if strings.Contains(pattern, "/") {
		return analysis.MatchGlob(pattern, rel)
	}
	return !strings.Contains(rel, "/") && analysis.MatchGlob(pattern, rel)
}

// Ignored reports whether the path (slash-separated, relative to Dir) matches
// an ignore glob, or lies under a directory that does.
func (c *Config) Ignored(rel string) bool {
	for _, g := range c.Ignore {
		if analysis.MatchGlob(g, rel) || analysis.MatchGlob(strings.TrimSuffix(g, "/")+"/**", rel) {
			return true
		}
	}
	return false
}

// Disabled reports whether the rule or analyzer id, on by default, is turned
// off. builtin says whether gauntlet itself provides it (a built-in rule or
// analyzer, not a team's rule or a plugin's): those are also off when
// Disable lists "builtin", unless Enable lists them. The syntax analyzer is
// never off.
func (c *Config) Disabled(id string, builtin bool) bool {
	switch {
	case id == "syntax":
		return false
	case slices.Contains(c.Disable, id):
		return true
	case builtin && slices.Contains(c.Disable, "builtin"):
		return !slices.Contains(c.Enable, id)
	}
	return false
}

// Enabled reports whether a built-in rule that is off by default is turned
// on: Enable lists it and Disable does not.
func (c *Config) Enabled(id string) bool {
	return slices.Contains(c.Enable, id) && !slices.Contains(c.Disable, id)
}

// Apply returns the analyzers of as that are not disabled, with the
// severities the configuration overrides; overridden analyzers are copies,
// as is never modified. builtin is as for Disabled.
func (c *Config) Apply(as []*analysis.Analyzer, builtin bool) []*analysis.Analyzer {
	out := make([]*analysis.Analyzer, 0, len(as))
	for _, a := range as {
		if c.Disabled(a.Name, builtin) {
			continue
		}
		if s, ok := c.Severity[a.Name]; ok && s != a.Severity {
			cp := *a
			cp.Severity = s
			a = &cp
		}
		out = append(out, a)
	}
	return out
}

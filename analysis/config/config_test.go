package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFull(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "rules/go.yaml", `rules:
  - id: go-println
    language: go
    message: fmt.{{fn}} left in code
    query: |
      ((call_expression
         function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)) @call
       (#eq? @pkg "fmt") (#eq? @fn "Println"))
    report: call
    fix: {capture: call, replace: ""}
    paths: ["**/*.go"]
    url: https://example.org/rules/go-println
`)
	p := write(t, dir, FileName, `# team config
rules:
  - id: py-print
    language: python
    severity: info
    message: print left in code
    query: '((call function: (identifier) @f) (#eq? @f "print"))'
rule_files: ["rules/*.yaml"]
disable: [builtin, js-debugger]
enable: [go-println, js-debugger]
severity: {go-println: error}
ignore: ["testdata/**", "*.pb.go"]
plugins:
  - name: my-checks
    path: bin/my-checks
    args: [--fast]
    env: {LEVEL: "2"}
    sha256: ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789
tests:
  go: {flags: -race -count=1}
  python: {command: [python3, -m, pytest, -q]}
model: {provider: openai, name: gpt-4o, api_key_env: OPENAI_API_KEY, temperature: 0.2}
loop:
  gates: [tests, apply, parse]
  fail_on: error
  coverage_drop: 0.5
`)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) != 2 || c.Rules[0].ID != "py-print" || c.Rules[1].ID != "go-println" {
		t.Fatalf("rules: %+v", c.Rules)
	}
	gp := c.Rules[1]
	if gp.Pos.File != filepath.Join(dir, "rules/go.yaml") || gp.Pos.Line != 2 {
		t.Errorf("rule position %v", gp.Pos)
	}
	// The query is a literal block starting on line 6: offset 0 is line 6.
	if qp := gp.QueryPos(len("((call_expression\n   ")); qp.Line != 7 {
		t.Errorf("query offset maps to line %d, want 7", qp.Line)
	}
	if gp.Fix == nil || gp.Fix.Capture != "call" || gp.Fix.Replace != "" {
		t.Errorf("fix %+v", gp.Fix)
	}
	if c.Rules[0].Severity != analysis.SeverityInfo {
		t.Errorf("severity %v", c.Rules[0].Severity)
	}
	if !c.Disabled("go-nil-error", true) || c.Disabled("go-nil-error", false) || !c.Disabled("js-debugger", false) || c.Disabled("syntax", true) {
		t.Error("Disabled")
	}
	// enable beats `builtin`, an explicit disable beats enable.
	if c.Disabled("go-println", true) || !c.Enabled("go-println") || c.Enabled("js-debugger") || !c.Disabled("js-debugger", true) {
		t.Error("Enabled")
	}
	if c.Severity["go-println"] != analysis.SeverityError {
		t.Error("severity override")
	}
	if !c.Ignored("testdata/a/b.go") || !c.Ignored("x/y.pb.go") || c.Ignored("x/y.go") {
		t.Error("Ignored")
	}
	pl := c.Plugins[0]
	if pl.Path != filepath.Join(dir, "bin/my-checks") || pl.Timeout != DefaultPluginTimeout || pl.Env["LEVEL"] != "2" || pl.SHA256[:6] != "abcdef" {
		t.Errorf("plugin %+v", pl)
	}
	if c.Tests.Timeout != 10*time.Minute || c.Tests.Go.Timeout != 10*time.Minute || strings.Join(c.Tests.Go.Flags, " ") != "-race -count=1" || len(c.Tests.Python.Command) != 4 {
		t.Errorf("tests %+v", c.Tests)
	}
	if c.Model.Temperature == nil || *c.Model.Temperature != 0.2 || c.Model.Timeout != DefaultModelTimeout {
		t.Errorf("model %+v", c.Model)
	}
	if strings.Join(c.Loop.Gates, ",") != "apply,parse,tests" || c.Loop.FailOn != analysis.SeverityError || c.Loop.CoverageDrop != 0.5 || c.Loop.MaxAttempts != 3 || c.Loop.TestTimeout != 10*time.Minute {
		t.Errorf("loop %+v", c.Loop)
	}

	as := c.Apply([]*analysis.Analyzer{{Name: "go-println"}, {Name: "js-debugger"}, {Name: "other"}}, false)
	if len(as) != 2 || as[0].Severity != analysis.SeverityError || as[1].Name != "other" {
		t.Errorf("Apply: %+v", as)
	}
}

func TestDefaults(t *testing.T) {
	c := Default(t.TempDir())
	if c.Loop.FailOn != analysis.SeverityWarning || len(c.Loop.Gates) != 6 || c.Tests.Timeout != DefaultTestTimeout || c.Loop.CoverageDrop != 0 {
		t.Errorf("%+v", c)
	}
	// An empty file is an empty configuration.
	p := write(t, t.TempDir(), FileName, "# nothing yet\n")
	if _, err := Load(p); err != nil {
		t.Fatal(err)
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, FileName, "disable: [builtin]\n")
	sub := filepath.Join(dir, "a", "b")
	os.MkdirAll(sub, 0o755)
	c, err := Find(sub)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != filepath.Join(dir, FileName) || c.Dir != dir {
		t.Errorf("found %s (dir %s)", c.Path, c.Dir)
	}
}

// Every error names the file, the line and the key.
func TestErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", "rules: []\nrulez: []\n", ":2: rulez: unknown key (want one of: rules, rule_files,"},
		{"nested unknown key", "tests:\n  go:\n    flagz: [-v]\n", ":3: tests.go.flagz: unknown key (want one of: flags, timeout)"},
		{"bad duration", "tests:\n  timeout: soon\n", `:2: tests.timeout: want a duration such as 30s or 10m, not "soon"`},
		{"bad severity", "loop:\n  fail_on: fatal\n", `:2: loop.fail_on: unknown severity "fatal"`},
		{"bad gate", "loop:\n  gates: [apply, lint]\n", `:2: loop.gates[1]: unknown value "lint" (want one of: apply, parse, analyzers, build, tests, coverage)`},
		{"bad number", "loop:\n  coverage_drop: lots\n", `:2: loop.coverage_drop: want a number, not "lots"`},
		{"wrong kind", "disable: builtin\n", `:1: disable: want a list, not "builtin"`},
		{"bad severity value", "severity:\n  go-println: loud\n", `:2: severity.go-println: unknown severity "loud"`},
		{"bad provider", "model:\n  provider: skynet\n", `:2: model.provider: unknown value "skynet"`},
		{"bad sha", "plugins:\n  - name: p\n    path: x\n    sha256: abc\n", `:4: plugins[0].sha256: want 64 hexadecimal digits, not "abc"`},
		{"plugin without path", "plugins:\n  - name: p\n", `:2: plugins[0].path: missing`},
		{"duplicate key", "disable: []\ndisable: [x]\n", `:2: disable: given twice (first on line 1)`},
		{"rule bad id", "rules:\n  - id: Go_Println\n    language: go\n    message: m\n    query: (identifier)\n", `:2: rules[0].id: invalid id "Go_Println"`},
		{"rule unknown language", "rules:\n  - id: r\n    language: cobol\n    message: m\n    query: (x)\n", `:3: rules[0].language: unknown value "cobol" (want one of: go, javascript, python, tsx, typescript)`},
		{"rule missing query", "rules:\n  - id: r\n    language: go\n    message: m\n", `:2: rules[0].query: missing: rule r needs pattern, rule or query`},
		{"rule query and pattern", "rules:\n  - id: r\n    language: go\n    message: m\n    query: (x)\n    pattern: x\n", `:2: rules[0].query: rule r has both a query and a pattern or rule: give one`},
		{"rule unsupported ast-grep key", "rules:\n  - id: r\n    language: go\n    message: m\n    rule:\n      nthChild: 1\n", `:6: rules[0].rule.nthChild: the ast-grep rule key nthChild is not supported by gauntlet`},
		{"rule unknown key", "rules:\n  - id: r\n    language: go\n    message: m\n    query: (x)\n    patern: x\n", `:6: rules[0].patern: unknown key`},
		{"rule fix without replace", "rules:\n  - id: r\n    language: go\n    message: m\n    query: (x) @x\n    fix: {capture: x}\n", `:6: rules[0].fix.replace: missing`},
		{"duplicate rule", "rules:\n  - {id: r, language: go, message: m, query: (x)}\n  - {id: r, language: go, message: m, query: (x)}\n", `:3: id: rule r is defined twice (first at `},
		{"rule files glob matches nothing", "rule_files: [rules/*.yaml]\n", `:1: rule_files[0]: "rules/*.yaml" matches no file`},
		{"yaml syntax", "rules: [\n", `: invalid YAML: `},
		{"negated ignore", "ignore: [\"!keep/**\"]\n", `:1: ignore[0]: bad glob "!keep/**": a leading ! (exclusion) is allowed only in a rule's paths`},
		{"bad url", "rules:\n  - {id: r, language: go, message: m, query: (x), url: not-a-url}\n", `:2: rules[0].url: want an absolute URL, not "not-a-url"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, t.TempDir(), FileName, tc.yaml)
			_, err := Load(p)
			if err == nil {
				t.Fatal("no error")
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %T is not Errors: %v", err, err)
			}
			if !strings.HasPrefix(err.Error(), p+":") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got  %s\nwant %s%s", err, p, tc.want)
			}
		})
	}
}

func TestRuleFileErrorsNameTheRuleFile(t *testing.T) {
	dir := t.TempDir()
	rf := write(t, dir, "rules/bad.yaml", "rules:\n  - id: r\n    language: go\n    message: m\n    query: (x)\n    severity: loud\n")
	p := write(t, dir, FileName, "rule_files: [\"rules/**/*.yaml\"]\n")
	_, err := Load(p)
	if err == nil || !strings.HasPrefix(err.Error(), rf+":6: rules[0].severity:") {
		t.Fatalf("got %v", err)
	}
}

func TestTests(t *testing.T) {
	p := write(t, t.TempDir(), "go_test.yaml", `tests:
  - id: go-println
    valid:
      - |
        package p
    invalid:
      - |
        package p
        func f() { fmt.Println() }
      - code: |
          package p
          func f() { fmt.Println() }
        lines: [2]
        fixed: "package p\nfunc f() {  }\n"
        path: a_test.go
`)
	ts, err := LoadTests(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || len(ts[0].Valid) != 1 || len(ts[0].Invalid) != 2 {
		t.Fatalf("%+v", ts)
	}
	c := ts[0].Invalid[1]
	if c.Path != "a_test.go" || len(c.Lines) != 1 || c.Lines[0] != 2 || c.Fixed == nil || c.Pos.Line != 11 {
		t.Errorf("%+v", c)
	}
	if ts[0].Invalid[0].Pos.Line != 8 || ts[0].Invalid[0].Lines != nil {
		t.Errorf("%+v", ts[0].Invalid[0])
	}
	if _, err := ParseTests("t.yaml", []byte("tests:\n  - id: x\n    invalid:\n      - code: a\n        line: 3\n")); err == nil || !strings.Contains(err.Error(), "t.yaml:5: tests[0].invalid[0].line: unknown key") {
		t.Errorf("got %v", err)
	}
}

func TestTestsEnvAndMaxOutput(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, FileName), []byte("tests:\n  env: [DATABASE_URL, MY_TOKEN]\n  max_output: 2MiB\n"), 0o644)
	c, err := Load(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Tests.Env, ",") != "DATABASE_URL,MY_TOKEN" || c.Tests.MaxOutput != 2<<20 {
		t.Fatalf("env %v, max_output %d", c.Tests.Env, c.Tests.MaxOutput)
	}
	os.WriteFile(filepath.Join(dir, FileName), []byte("tests:\n  max_output: lots\n  env: [\"A B\"]\n"), 0o644)
	_, err = Load(filepath.Join(dir, FileName))
	if err == nil || !strings.Contains(err.Error(), "tests.max_output") || !strings.Contains(err.Error(), "tests.env") || !strings.Contains(err.Error(), ":2:") {
		t.Fatalf("error %v should name tests.max_output on line 2 and tests.env", err)
	}
}

// tests.hang_after: 10s when unset, a duration, or "off"; anything else
// is an error naming the key and its line.
func TestTestsHangAfter(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		yaml string
		want time.Duration
	}{
		{"tests:\n  timeout: 1m\n", DefaultHangAfter},
		{"tests:\n  hang_after: 3s\n", 3 * time.Second},
		{"tests:\n  hang_after: off\n", -1},
	} {
		os.WriteFile(filepath.Join(dir, FileName), []byte(tc.yaml), 0o644)
		c, err := Load(filepath.Join(dir, FileName))
		if err != nil || c.Tests.HangAfter != tc.want {
			t.Errorf("%q: hang_after %v, %v; want %v", tc.yaml, c.Tests.HangAfter, err, tc.want)
		}
	}
	os.WriteFile(filepath.Join(dir, FileName), []byte("tests:\n  timeout: 1m\n  hang_after: soon\n"), 0o644)
	if _, err := Load(filepath.Join(dir, FileName)); err == nil || !strings.Contains(err.Error(), ":3: tests.hang_after: ") {
		t.Fatalf("error %v should name tests.hang_after on line 3", err)
	}
}

// The sgconfig.yml keys gauntlet does not implement (ast-grep's
// AstGrepConfig: languageGlobs, customLanguages, languageInjections) are
// errors naming the key and its line, never ignored.
func TestAstGrepProjectUnsupportedKeys(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"languageGlobs", "ruleDirs: [rules]\nlanguageGlobs:\n  ts: ['*.mts']\n", "sgconfig.yml:3: languageGlobs: the ast-grep key languageGlobs is not supported by gauntlet"},
		{"customLanguages", "ruleDirs: [rules]\ncustomLanguages:\n  mojo: {libraryPath: mojo.so, extensions: [mojo]}\n", "sgconfig.yml:3: customLanguages: the ast-grep key customLanguages is not supported by gauntlet"},
		{"languageInjections", "ruleDirs: [rules]\nlanguageInjections:\n  - {hostLanguage: js, rule: {pattern: styled.$A`$CSS`}, injected: css}\n", "sgconfig.yml:3: languageInjections: the ast-grep key languageInjections is not supported by gauntlet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "sgconfig.yml")
			if err := os.Mkdir(filepath.Join(dir, "rules"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadAstGrepProject(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// An sgconfig.yml listed in rule_files from another directory keeps its
// rules' files and ignores relative to its own directory, as ast-grep run
// there reads them.
func TestAstGrepGlobsRelativeToTheProject(t *testing.T) {
	dir := t.TempDir()
	for path, text := range map[string]string{
		FileName:                "rule_files: [proj/sgconfig.yml]\n",
		"proj/sgconfig.yml":     "ruleDirs: [rules]\n",
		"proj/rules/r.yml":      "id: r\nlanguage: ts\nrule: {kind: identifier}\nfiles: [\"src/*.ts\"]\nignores: [\"src/gen/*\"]\n",
		"proj/rules/r-open.yml": "id: r-open\nlanguage: ts\nrule: {kind: identifier}\nignores: [\"src/gen/*\"]\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Load(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]bool{
		"r":      {"proj/src/a.ts": true, "proj/src/x/b.ts": true, "proj/src/gen/c.ts": false, "src/a.ts": false, "proj/lib/d.ts": false},
		"r-open": {"proj/src/a.ts": true, "proj/src/gen/c.ts": false, "src/gen/c.ts": true},
	}
	for _, r := range c.Rules {
		for path, ok := range want[r.ID] {
			if got := r.AllowsPath(path); got != ok {
				t.Errorf("rule %s on %s: %v, want %v", r.ID, path, got, ok)
			}
		}
		delete(want, r.ID)
	}
	if len(want) > 0 {
		t.Errorf("rules missing: %v", want)
	}
}

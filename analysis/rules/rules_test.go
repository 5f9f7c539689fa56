package rules

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
)

const printlnRule = `rules:
  - id: go-println
    language: go
    severity: warning
    message: fmt.{{fn}} left in code
    query: |
      ((call_expression
         function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)) @call
       (#eq? @pkg "fmt") (#eq? @fn "Println"))
    report: call
    fix:
      capture: call
      replace: ""
    url: https://example.org/rules/go-println
  - id: go-sprintf-any
    language: go
    message: "{{pkg}}.{{fn}} with %v"
    query: |
      ((call_expression
         function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
         arguments: (argument_list . (interpreted_string_literal) @format))
       (#any-of? @fn "Sprintf" "Errorf")
       (#match? @format "%v"))
  - id: go-self-assign
    language: go
    message: "{{lhs}} is assigned to itself"
    query: |
      ((assignment_statement left: (expression_list . (_) @lhs .) right: (expression_list . (_) @rhs .)) @stmt
       (#eq? @lhs @rhs))
    report: stmt
  - id: py-print
    language: python
    message: print() left in code
    query: '((call function: (identifier) @f) @c (#eq? @f "print"))'
    report: c
    fix: {replace: "pass"}
`

func compile(t *testing.T, yaml string) *Set {
	t.Helper()
	rs, err := config.ParseRules("rules.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compile(rs)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func check(t *testing.T, s *Set, path, src string) []analysis.Diagnostic {
	t.Helper()
	f := analysis.NewFile(path, []byte(src), 1)
	diags, errs := analysis.Run(context.Background(), f, s.Analyzers())
	for _, e := range errs {
		t.Fatal(e)
	}
	return diags
}

func summary(f string, diags []analysis.Diagnostic) string {
	m := analysis.NewMapper([]byte(f))
	var out []string
	for _, d := range diags {
		l, c := m.Position(d.Start, analysis.UTF8)
		out = append(out, fmt.Sprintf("%s:%02d:%02d:%s", d.Code, l+1, c+1, d.Message))
	}
	return strings.Join(out, "\n")
}

// wantSummary checks a summary against its lines.
func wantSummary(t *testing.T, got string, lines ...string) {
	t.Helper()
	if want := strings.Join(lines, "\n"); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestRulesReport(t *testing.T) {
	s := compile(t, printlnRule)
	src := `package p

import "fmt"

func f(x int) {
	fmt.Println("debug", x)
	log.Println("fine")
	fmt.Printf("fine\n")
	_ = fmt.Sprintf("%v", x)
	_ = fmt.Sprintf("%d", x)
	_ = errors.Errorf("wrap %v", x)
	x = x
	x = x + 1
}
`
	diags := check(t, s, "p.go", src)
	got := summary(src, diags)
	wantSummary(t, got,
		"go-println:06:02:fmt.Println left in code",
		"go-sprintf-any:09:06:fmt.Sprintf with %v",
		"go-sprintf-any:11:06:errors.Errorf with %v",
		"go-self-assign:12:02:x is assigned to itself",
	)
	d := diags[0]
	if d.Severity != analysis.SeverityWarning || d.URL != "https://example.org/rules/go-println" || len(d.Fixes) != 1 {
		t.Fatalf("%+v", d)
	}
	fixed, err := analysis.ApplyEdits([]byte(src), d.Fixes[0].Edits)
	if err != nil || !strings.Contains(string(fixed), "\t\n\tlog.Println") {
		t.Errorf("fix gave %q, %v", fixed, err)
	}
	if d.Fixes[0].Title != "Delete `fmt.Println(\"debug\", x)`" {
		t.Errorf("title %q", d.Fixes[0].Title)
	}

	py := "print('x')\nlogger.print(1)\n"
	pd := check(t, s, "a.py", py)
	if len(pd) != 1 || pd[0].Code != "py-print" || pd[0].Fixes[0].Edits[0].NewText != "pass" {
		t.Errorf("python: %+v", pd)
	}
}

func TestAnalyzers(t *testing.T) {
	s := compile(t, printlnRule)
	as := s.Analyzers()
	if len(as) != 4 || as[0].Name != "go-println" || as[0].Languages[0] != "go" || as[0].Doc != "fmt.{{fn}} left in code" || as[3].Languages[0] != "python" {
		t.Fatalf("%+v", as[0])
	}
}

// A file without the literals a rule's predicates need is not parsed.
func TestFilterSkipsParsing(t *testing.T) {
	s := compile(t, printlnRule)
	a := s.Analyzer("go-println")
	no := analysis.NewFile("a.go", []byte("package p\nfunc f() { fmt.Printf(\"x\") }\n"), 1)
	yes := analysis.NewFile("a.go", []byte("package p\nfunc f() { fmt.Println(\"x\") }\n"), 1)
	if a.Filter(no) || !a.Filter(yes) {
		t.Errorf("Filter: %v %v", a.Filter(no), a.Filter(yes))
	}
	if a := s.Analyzer("go-sprintf-any"); a.Filter(analysis.NewFile("a.go", []byte("fmt.Sprintf(\"%d\")"), 1)) {
		t.Errorf("go-sprintf-any: %q is required by #match?, the filter should reject", "%v")
	}
	if a := s.Analyzer("go-self-assign"); !a.Filter(no) {
		t.Error("go-self-assign needs no literal")
	}
	// Only rules whose filter passes run: a file with no literal and no
	// other analyzer is never parsed.
	bad := analysis.NewFile("b.go", []byte("package p\nfunc (((( {\n"), 1)
	diags, errs := analysis.Run(context.Background(), bad, []*analysis.Analyzer{a})
	if len(diags) != 0 || len(errs) != 0 {
		t.Errorf("%v %v", diags, errs)
	}
}

func TestPaths(t *testing.T) {
	s := compile(t, `rules:
  - id: test-only
    language: go
    message: m
    query: (call_expression) @c
    paths: ["**/*_test.go"]
`)
	src := "package p\nfunc f() { g() }\n"
	if d := check(t, s, "a/b.go", src); len(d) != 0 {
		t.Errorf("%v", d)
	}
	if d := check(t, s, "a/b_test.go", src); len(d) != 1 {
		t.Errorf("%v", d)
	}
	// A leading ! excludes.
	s = compile(t, `rules:
  - id: not-tests
    language: go
    message: m
    query: (call_expression) @c
    paths: ["!*_test.go", "!gen/**"]
`)
	for path, want := range map[string]int{"a/b.go": 1, "a/b_test.go": 0, "gen/x/y.go": 0} {
		if d := check(t, s, path, src); len(d) != want {
			t.Errorf("%s: %v", path, d)
		}
	}
}

func TestPredicates(t *testing.T) {
	s := compile(t, `rules:
  - id: not-any-of
    language: javascript
    message: "{{f}}"
    query: '((call_expression function: (identifier) @f) (#not-any-of? @f "require" "define"))'
  - id: not-match
    language: javascript
    message: "{{n}}"
    query: '((variable_declarator name: (identifier) @n) (#not-match? @n "^[a-z]"))'
  - id: not-eq-captures
    language: javascript
    message: "{{a}} {{b}}"
    query: '((binary_expression left: (identifier) @a right: (identifier) @b) @e (#not-eq? @a @b))'
    report: e
  - id: optional
    language: javascript
    message: "new {{c}}"
    query: '((new_expression constructor: (identifier) @c arguments: (arguments (identifier)? @arg)) (#eq? @arg "x"))'
`)
	src := "require('a')\nfoo()\nconst Big = 1, small = 2\na + b\na + a\nnew A()\nnew B(x)\nnew C(y)\n"
	got := summary(src, check(t, s, "a.js", src))
	wantSummary(t, got,
		"not-any-of:02:01:foo",
		"not-match:03:07:Big",
		"not-eq-captures:04:01:a b",
		"optional:06:05:new A",
		"optional:07:05:new B",
	)
}

// A broken rule is reported as FILE:LINE: rule ID: reason, and the others
// still compile and run.
func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct{ name, rule, want string }{
		{"bad query", "    query: |\n      (call_expression\n        function: (nope) @f)\n", "rules.yaml:8: rule r: bad query at offset 30: invalid node type 'nope'"},
		{"unclosed", "    query: (call_expression\n", "rules.yaml:6: rule r: bad query at offset"},
		{"unknown field", "    query: '(call_expression wat: (identifier)) @c'\n", "rules.yaml:6: rule r: bad query at offset 17: invalid field 'wat'"},
		{"unknown report capture", "    query: (call_expression) @c\n    report: call\n", "rules.yaml:7: rule r: report: unknown capture @call (the query captures @c)"},
		{"unknown message capture", "    query: (call_expression) @c\n", "rules.yaml:5: rule r: message: unknown capture {{fn}}"},
		{"unknown fix capture", "    query: (call_expression) @c\n    fix: {capture: x, replace: y}\n", "rules.yaml:7: rule r: fix.capture: unknown capture @x"},
		{"bad regex", "    query: '((identifier) @c (#match? @c \"(\"))'\n", "rules.yaml:6: rule r: pattern 1: bad regex in #match?: error parsing regexp: missing closing )"},
		{"unknown predicate", "    query: '((identifier) @c (#lua-match? @c \"x\"))'\n", "rules.yaml:6: rule r: pattern 1: unsupported predicate #lua-match?"},
		{"no capture", "    query: (identifier)\n", "rules.yaml:6: rule r: pattern 1 captures nothing to report"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := `"{{fn}}"`
			if tc.name != "unknown message capture" {
				msg = "m"
			}
			yaml := "rules:\n  - id: r\n    language: go\n    severity: error\n    message: " + msg + "\n" + tc.rule +
				"  - id: ok\n    language: go\n    message: ok\n    query: (call_expression) @c\n"
			rs, err := config.ParseRules("rules.yaml", []byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			s, err := Compile(rs)
			var es Errors
			if !errors.As(err, &es) || len(es) != 1 {
				t.Fatalf("want one Error, got %v", err)
			}
			if !strings.HasPrefix(es[0].Error(), tc.want) {
				t.Errorf("got  %s\nwant %s", es[0], tc.want)
			}
			if s == nil || len(s.Analyzers()) != 1 || s.Analyzers()[0].Name != "ok" {
				t.Errorf("the good rule was lost")
			}
		})
	}
}

func TestRegexpLiterals(t *testing.T) {
	for re, want := range map[string]string{
		"^Println$":        "Println",
		"Println|Printf":   "Print",
		"^(foo|bar)baz":    "baz",
		"^(foo|barr)baz":   "baz",
		"^(fooo|barr)baz":  "fooo barr",
		"(?i)println":      "",
		"a*":               "",
		"[Pp]rint(ln)?":    "rint",
		"^console\\.(log)": "console.log",
	} {
		var got []string
		for _, l := range regexpLiterals(mustRE(re)) {
			got = append(got, string(l))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s: got %q, want %q", re, got, want)
		}
	}
}

func mustRE(s string) *regexp.Regexp { return regexp.MustCompile(s) }

func TestSeveralLanguages(t *testing.T) {
	s := compile(t, `rules:
  - id: js-debugger
    language: [javascript, typescript, tsx]
    message: debugger statement
    query: (debugger_statement) @d
    fix: {replace: ""}
`)
	a := s.Analyzer("js-debugger")
	if strings.Join(a.Languages, ",") != "javascript,typescript,tsx" {
		t.Errorf("languages %v", a.Languages)
	}
	for _, p := range []string{"a.js", "a.ts", "a.tsx"} {
		if d := check(t, s, p, "let x = 1;\ndebugger;\n"); len(d) != 1 {
			t.Errorf("%s: %v", p, d)
		}
	}
	if d := check(t, s, "a.py", "debugger\n"); len(d) != 0 {
		t.Errorf("python: %v", d)
	}

	rs, err := config.ParseRules("r.yaml", []byte("rules:\n  - id: ts-only\n    language: [typescript, javascript]\n    message: m\n    query: (type_annotation) @t\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(rs)
	if err == nil || err.Error() != "r.yaml:5: rule ts-only: bad query at offset 1: invalid node type 'type_annotation' (javascript)" {
		t.Errorf("got %v", err)
	}
}

// Rules compiled together keep their own patterns, captures and first
// capture, even when they share capture names.
func TestCombinedQuery(t *testing.T) {
	s := compile(t, `rules:
  - id: a
    language: go
    message: "a {{name}}"
    query: |
      ((identifier) @name (#eq? @name "alpha"))
      ((identifier) @name (#eq? @name "beta"))
  - id: b
    language: go
    message: "b {{call}}"
    query: '((call_expression function: (identifier) @name) @call (#eq? @name "gamma"))'
  - id: c
    language: go
    message: "c"
    query: |
      ((identifier) @other (#eq? @other "delta"))   ; a comment with ( unbalanced "quotes
`)
	src := "package p\nfunc f() { alpha(); beta(); gamma() }\n"
	got := summary(src, check(t, s, "p.go", src))
	for _, w := range []string{"a:02:12:a alpha", "a:02:21:a beta", "b:02:29:b gamma()"} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %s in\n%s", w, got)
		}
	}
	// b reports its first capture in its own text, @call, not @name.
	if strings.Count(got, "b:") != 1 {
		t.Errorf("b reported twice:\n%s", got)
	}
}

func TestUnbalancedQuery(t *testing.T) {
	rs, _ := config.ParseRules("r.yaml", []byte("rules:\n  - {id: a, language: go, message: m, query: '(call_expression'}\n  - {id: b, language: go, message: m, query: ') @x (identifier) @y'}\n  - {id: c, language: go, message: m, query: '(identifier) @i'}\n"))
	s, err := Compile(rs)
	if err == nil || !strings.Contains(err.Error(), "r.yaml:2: rule a: bad query") || !strings.Contains(err.Error(), "r.yaml:3: rule b: bad query") {
		t.Errorf("got %v", err)
	}
	if len(s.Analyzers()) != 1 {
		t.Errorf("rule c was lost")
	}
}

// Query shapes that crash or hang tree-sitter's query compiler are errors,
// found before tree-sitter sees them.
func TestQueryShapesTreeSitterCannotTake(t *testing.T) {
	for _, q := range []string{`((#0))@0))`, `((#0)) @a`, `((#0))?`, `((#0))+`, `((#0) (#1)) @a`, `(((#0))) @a`, `((#0))`, `(#eq? @a "b")`, `[((#0))] @a`} {
		_, err := Compile([]config.Rule{{ID: "r", Languages: []string{"go"}, Message: "m", Query: q, Pos: config.Pos{File: "r.yaml", Line: 1}}})
		if err == nil || !strings.Contains(err.Error(), "rule r: bad query at offset") {
			t.Errorf("%s: got %v", q, err)
		}
	}
	for _, q := range []string{`((_) (#eq? @x "y")) @x`, `((identifier) @i (#match? @i "a"))`, `[(identifier) "func"] @a`, `(block . (_) @first .)`, `((identifier)+ @ids)`, `(call_expression !arguments) @c`, `(call_expression function: (_) @f)`} {
		if _, err := checkStructure(q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}

// One Set serves many files at once, as the engine's workers use it, and
// each analyzer sees its own rule's findings once per file.
func TestConcurrentFiles(t *testing.T) {
	s := compile(t, printlnRule)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := fmt.Sprintf("package p\n\nfunc f(x int) {\n\tfmt.Println(%d)\n\tx = x\n}\n", i)
			f := analysis.NewFile(fmt.Sprintf("f%d.go", i), []byte(src), 1)
			diags, errs := analysis.Run(context.Background(), f, s.Analyzers())
			if len(errs) > 0 || len(diags) != 2 || diags[0].Code != "go-println" || diags[1].Code != "go-self-assign" {
				t.Errorf("%s: %v %v", f.Path, diags, errs)
			}
		}()
	}
	wg.Wait()
}

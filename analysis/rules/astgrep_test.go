package rules

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// astGrep returns the path of the real ast-grep binary: $AST_GREP, or
// ast-grep on PATH. Outside CI a missing binary skips; under CI=true it
// fails (.ci/run installs @ast-grep/cli).
func astGrep(t *testing.T) string {
	t.Helper()
	return testenv.NeedTool(t, "ast-grep")
}

// operatorCases are ast-grep's documented examples
// (https://ast-grep.github.io/reference/rule.html, guide/rule-config,
// guide/pattern-syntax), one or more per operator, each run through the
// real ast-grep and through gauntlet.
var operatorCases = []struct {
	name, lang, rule, src string
}{
	{"pattern-metavar", "javascript", `
rule: {pattern: console.log($MATCH)}
fix: logger.log($MATCH)`, `console.log("hello"); console.log(a, b); foo.log(1)
console.log(
  123)
`},
	{"pattern-multi-metavar", "javascript", `
rule: {pattern: console.log($$$ARGS)}
fix: logger.info($$$ARGS)`, `console.log(); console.log(a); console.log(a, b, /* c */ d)
`},
	{"pattern-same-name-twice", "javascript", `
rule: {pattern: $A == $A}`, `if (a == a) {}; if (a == b) {}; if (a.b(1) == a.b( 1 )) {}
`},
	{"pattern-dropped", "python", `
rule: {pattern: $_($_)}`, `f(1)
g(1, 2)
h()
print(x)
`},
	{"pattern-ellipsis-middle", "javascript", `
rule: {pattern: 'foo($$$A, last)'}
fix: bar($$$A)`, `foo(last); foo(a, last); foo(a, b, last); foo(a, b)
`},
	{"pattern-context-selector-go", "go", `
rule:
  pattern:
    context: 'func t() { fmt.Println($$$ARGS) }'
    selector: call_expression
fix: log.Print($$$ARGS)`, `package p

func f() {
	fmt.Println("a", b)
	if x {
		fmt.Println()
	}
	fmt.Printf("x")
}
`},
	{"pattern-context-selector-ts", "typescript", `
rule:
  pattern:
    context: 'class A { $F = $I }'
    selector: public_field_definition`, `class B { x = 1; y: number; z = f() }
`},
	{"pattern-go-statement", "go", `
rule: {pattern: 'if err != nil { return $$$R }'}`, `package p

func f() error {
	if err != nil {
		return err
	}
	if err != nil {
		log(err)
		return nil, err
	}
	return nil
}
`},
	{"kind", "python", `
rule: {kind: call}`, `f(g(1))
x = a.b(2)
`},
	{"regex", "javascript", `
rule: {kind: identifier, regex: '^[a-z]+_[a-z]+$'}`, `let snake_case = camelCase + other_one + Not_this
`},
	{"inside-stopby-end", "javascript", `
rule:
  pattern: await $PROMISE
  inside:
    any:
      - kind: for_in_statement
      - kind: for_statement
      - kind: while_statement
    stopBy: end`, `async function f() {
  await a;
  for (const x of xs) { await g(x); if (y) { await h(); } }
  while (true) await i();
}
`},
	{"inside-neighbor", "javascript", `
rule:
  kind: identifier
  inside: {kind: arguments}`, `f(a, b.c, g(d))
`},
	{"inside-field", "javascript", `
rule:
  kind: identifier
  inside:
    kind: member_expression
    field: object`, `a.b; c.d.e; f[g]
`},
	{"has-stopby-end", "javascript", `
rule:
  kind: function_declaration
  has: {pattern: await $X, stopBy: end}`, `async function a() { if (x) { await y; } }
async function b() { return 1 }
function c() { return async () => { await z } }
`},
	{"has-neighbor", "python", `
rule:
  kind: function_definition
  has: {kind: parameters, regex: self}`, `def a(self): pass
def b(x): pass
class C:
    def d(self, y): pass
`},
	{"has-field", "javascript", `
rule:
  kind: pair
  has:
    field: key
    regex: prototype`, `x = {prototype: 1, a: 2, "prototype": 3, b: prototype}
`},
	{"has-stopby-rule", "javascript", `
rule:
  kind: function_declaration
  has:
    kind: identifier
    regex: ^secret$
    stopBy: {kind: statement_block}`, `function secret() { secret }
function other(secret) { }
function third() { secret }
`},
	{"precedes-follows", "javascript", `
rule:
  pattern: console.log('hello');
  follows:
    pattern: console.log('world');`, `console.log('world');
console.log('hello');
console.log('hello');
`},
	{"precedes-end", "javascript", `
rule:
  kind: expression_statement
  precedes:
    stopBy: end
    pattern: return $X;`, `function f() { a(); b(); return 1; }
function g() { a(); }
`},
	{"inside-stopby-rule", "javascript", `
rule:
  pattern: console.log($$$)
  inside:
    kind: if_statement
    stopBy: {kind: function_declaration}`, `if (a) { function f() { console.log(1) } }
if (b) { function g() { if (c) { console.log(2) } } }
if (d) { console.log(3) }
`},
	{"follows-end", "javascript", `
rule:
  pattern: use($A);
  follows:
    pattern: let $A = $B;
    stopBy: end`, `let x = 1;
foo();
use(x);
use(y);
let y = 2;
`},
	{"follows-stopby-rule", "javascript", `
rule:
  pattern: use($A);
  follows:
    pattern: init();
    stopBy: {pattern: reset();}`, `init();
a();
use(1);
reset();
b();
use(2);
init();
use(3);
`},
	{"precedes-neighbor", "python", `
rule:
  kind: expression_statement
  precedes: {kind: return_statement}`, `def f():
    a()
    b()
    return 1
`},
	{"precedes-stopby-rule", "javascript", `
rule:
  kind: expression_statement
  precedes:
    pattern: done();
    stopBy: {kind: if_statement}`, `a(); b(); if (x) {} c(); done();
`},
	{"has-field-end", "javascript", `
rule:
  kind: call_expression
  has:
    field: arguments
    stopBy: end
    kind: number`, `f(1); g(h(2)); k(x); m[3](y)
`},
	{"pattern-non-capturing", "javascript", `
rule: {pattern: $_FUNC($_FUNC)}`, `test(a); testFunc(1 + 1); f(f)
`},
	{"pattern-smart-unnamed", "javascript", `
rule: {pattern: 'function $A() {}'}`, `function foo() {}
async function bar() {}
function baz(x) {}
`},
	{"pattern-smart-keyword", "javascript", `
rule: {pattern: 'async function $A() {}'}`, `function foo() {}
async function bar() {}
`},
	{"pattern-unnamed-metavar", "javascript", `
rule: {pattern: 'return $$A'}
message: got $$A`, `function f() { return; }
function g() { return 1; }
`},
	{"pattern-multi-empty", "python", `
rule: {pattern: 'f($$$)'}
fix: g()`, `f()
f(1)
f(1, *a, **k)
`},
	{"regex-multiline", "javascript", `
rule: {kind: string, regex: 'a.b'}`, `x = "a\nb"; y = "axb"; z = ` + "`a\nb`" + `
`},
	{"kind-not-has", "go", `
rule:
  kind: function_declaration
  not:
    has: {kind: comment, stopBy: end}`, `package p

func a() {
	// note
}

func b() {}
`},
	{"inside-field-stopby-end", "javascript", `
rule:
  kind: identifier
  inside:
    kind: call_expression
    field: function
    stopBy: end`, `a.b(c); d(e.f)
`},
	{"matches-recursive-utils", "javascript", `
utils:
  lit: {any: [{kind: number}, {kind: string}]}
  lit-or-arr:
    any:
      - matches: lit
      - {kind: array, has: {matches: lit}}
rule:
  pattern: f($A)
constraints:
  A: {matches: lit-or-arr}`, `f(1); f([2]); f([x]); f(y)
`},
	{"any-metavars-in-fix", "python", `
rule:
  any:
    - pattern: $A == None
    - pattern: None == $A
fix: $A is None`, `if x == None: pass
if None == y: pass
if z == 1: pass
`},
	{"metavar-shared-with-has", "javascript", `
rule:
  pattern: 'if ($A) { $$$ }'
  has: {pattern: return $A, stopBy: end}`, `if (x) { return x }
if (y) { return z }
if (w) { f(); if (q) { return w } }
`},
	{"multi-same-name-twice", "javascript", `
rule: {pattern: 'f($$$A) || g($$$A)'}`, `f(1, 2) || g(1, 2); f(1) || g(2); f() || g()
`},
	{"comment-in-target", "javascript", `
rule: {pattern: console.log($A)}
fix: log($A)`, `console.log(/* c */ a); console.log(a /* d */); console.log(
  // e
  b)
`},
	{"go-statements-ellipsis", "go", `
rule:
  pattern:
    context: 'func t() { $$$BEFORE; return $X }'
    selector: block
fix: '{ return $X }'`, `package p

func f() int {
	a()
	b()
	return 1
}

func g() int { return 2 }
`},
	{"not-inside-any", "typescript", `
rule:
  pattern: $X!
  not:
    inside:
      any: [{kind: if_statement}, {kind: ternary_expression}]
      stopBy: end`, `const a = b!; if (c) { d! }; const e = f ? g! : h
`},
	{"py-kwargs", "python", `
rule: {pattern: 'open($F, $$$, mode=$M, $$$)'}
message: mode $M`, `open(p, mode="r")
open(p, "r")
open(p, encoding="u", mode="w", newline="")
`},
	{"py-decorator", "python", `
rule:
  kind: function_definition
  inside:
    kind: decorated_definition
    has: {kind: decorator, regex: ^@pytest\.fixture$}`, `import pytest
@pytest.fixture
def a(): pass
@other
def b(): pass
`},
	{"js-arrow", "javascript", `
rule: {pattern: '($$$P) => { return $E }'}
fix: '($$$P) => $E'`, `const f = (a, b) => { return a + b }
const g = () => { return 1 }
const h = x => { return x }
`},
	{"js-object", "javascript", `
rule: {pattern: {context: 'x = { $$$, debug: true, $$$ }', selector: object}}`, `a({debug: true}); b({x: 1, debug: true, y}); c({debug: false})
`},
	{"js-optional-chain", "javascript", `
rule: {pattern: '$A?.$B'}`, `a?.b; c.d; e?.f?.g
`},
	{"ts-type-annotation", "typescript", `
rule: {pattern: 'let $A: any = $B'}
fix: 'let $A: unknown = $B'`, `let a: any = 1; let b: string = "x"; let c: any = f()
`},
	{"tsx-self-closing-attrs", "tsx", `
rule: {pattern: '<img $$$A />', not: {has: {kind: jsx_attribute, regex: ^alt, stopBy: end}}}`, `const a = <img src="x" />
const b = <img src="y" alt="z" />
`},
	{"go-if-err", "go", `
rule:
  pattern:
    context: 'func t() { if $E := $C; $E != nil { $$$B } }'
    selector: if_statement`, `package p

func f() {
	if err := g(); err != nil {
		return
	}
	if x := g(); err != nil {
	}
}
`},
	{"go-method-call-has", "go", `
rule:
  kind: function_declaration
  has:
    stopBy: end
    pattern:
      context: 'func t() { defer $F($$$) }'
      selector: defer_statement`, `package p

func a() { defer f() }
func b() { g() }
func c() { if x { defer m.Close() } }
`},
	{"nested-matches-fix", "javascript", `
rule: {pattern: f($A)}
fix: g($A)`, `f(f(1)); f(2)
`},
	{"py-fix-indent", "python", `
rule: {pattern: 'if $C: $$$B'}
fix: |-
  if not ($C):
      pass
  else:
      $$$B`, `def f():
    if x:
        a()
        if y:
            b()
`},
	{"semicolon-optional", "javascript", `
rule: {pattern: console.log($A);}`, `console.log(1)
console.log(2);
x = console.log(3)
`},
	{"constraints-not", "javascript", `
rule: {pattern: $F($$$)}
constraints:
  F: {not: {regex: ^(require|import)$}, kind: identifier}`, `require("x"); load(1); a.b(2); import_(3)
`},
	{"follows-metavar", "javascript", `
rule:
  pattern: $X.close();
  follows: {pattern: $X.open();, stopBy: end}`, `a.open();
b.close();
a.close();
`},
	{"regex-unicode", "javascript", `
rule: {kind: string, regex: 'é+'}
fix: '"x"'`, `a = "café"; b = "cafe"; c = "éé"
`},
	{"transform-replace-groups", "javascript", `
rule: {pattern: 'f($A)'}
transform:
  B: {replace: {source: $A, replace: '(?P<w>[a-z]+)(\d+)', by: '${2}_$w'}}
fix: g($B)`, `f(abc12); f(x9y8); f(Q)
`},
	{"transform-unicode-substring", "javascript", `
rule: {pattern: 'f($A)'}
transform:
  B: {substring: {source: $A, startChar: 1, endChar: -1}}
fix: g($B)`, `f("héllo"); f('ü')
`},
	{"fix-dollar-digits", "javascript", `
rule: {pattern: price($A)}
message: costs $A or $5
fix: price($A, "$1 $$ $ $2B")`, `price(x)
`},
	{"constraints-multi", "javascript", `
rule: {pattern: f($$$A)}
constraints:
  A: {kind: number}`, `f(1); f(x); f(1, 2); f()
`},
	{"constraints-in-has", "javascript", `
rule:
  kind: call_expression
  has: {pattern: $X, kind: identifier, field: function}
constraints:
  X: {regex: ^log}`, `logger(1); print(2); logIt()
`},
	{"metavar-in-string", "javascript", `
rule: {pattern: "require('$M')"}
message: module $M`, `require('fs'); require("path"); require(x); require('a b')
`},
	{"trailing-comma", "javascript", `
rule: {pattern: 'f($A, $B)'}`, `f(1, 2,); f(1, 2); f(1,
  2,
)
`},
	{"py-trailing-comma-multi", "python", `
rule: {pattern: 'f($$$A, x=$X)'}
fix: g($X)`, `f(1, x=2)
f(x=3,)
f(1, 2, x=4,)
`},
	{"go-composite-literal", "go", `
rule:
  pattern:
    context: 'var _ = $T{$$$F}'
    selector: composite_literal`, `package p

var a = T{1, 2}
var b = []int{}
var c = map[string]int{"a": 1}
`},
	{"go-selector-method", "go", `
rule:
  pattern:
    context: 'func t() { $X.Close() }'
    selector: call_expression
message: close $X`, `package p

func f() {
	f.Close()
	a.b.Close()
	Close()
	defer r.Close()
}
`},
	{"js-template-string", "javascript", `
rule: {pattern: 'console.log(` + "`$$$S`" + `)'}`, "console.log(`a ${b}`); console.log(`c`); console.log('d')\n"},
	{"follows-over-comment", "javascript", `
rule:
  pattern: b();
  follows: {pattern: a();}`, `a();
// c
b();
a(); /* d */ b();
a(); b();
`},
	{"precedes-unnamed-sibling", "go", `
rule:
  kind: identifier
  inside: {kind: parameter_declaration}
  precedes: {kind: type_identifier}`, `package p

func f(a, b int, c string) {}
`},
	{"fix-object-template", "javascript", `
rule: {pattern: var $A = $B}
fix:
  template: let $A = $B`, `var a = 1; var b = c
`},
	{"all", "javascript", `
rule:
  all:
    - pattern: console.log('Hello World');
    - kind: expression_statement`, `console.log('Hello World');
let x = console.log('Hello World');
`},
	{"any", "javascript", `
rule:
  any:
    - pattern: var a = $A
    - pattern: const a = $A
    - pattern: let a = $A
fix: let a = $A`, `var a = 1
const a = 2
let b = 3
`},
	{"not", "javascript", `
rule:
  pattern: console.log($GREETING)
  not: {pattern: console.log('Hello World')}`, `console.log('Hello World'); console.log('hi'); console.log(x)
`},
	{"matches-utils", "javascript", `
utils:
  is-literal:
    any: [{kind: string}, {kind: number}, {kind: 'true'}, {kind: 'false'}]
rule:
  pattern: f($A)
  has:
    matches: is-literal
    stopBy: end`, `f(1); f("s"); f(x); f(true); f([2])
`},
	{"constraints", "javascript", `
rule: {pattern: console.log($ARG)}
constraints:
  ARG: {kind: number}
fix: ''`, `console.log(1); console.log("a"); console.log(2.5)
`},
	{"constraints-regex", "python", `
rule: {pattern: $F($$$)}
constraints:
  F: {regex: ^(print|pprint)$}
message: call of $F`, `print(1)
pprint(x, y)
printer(2)
`},
	{"python-def-in-class", "python", `
rule:
  pattern: 'def $F(self, $$$A): $$$B'
  inside: {kind: class_definition, stopBy: end}`, `class C:
    def a(self, x):
        return x
    def b(self):
        pass
def c(self, y):
    pass
`},
	{"tsx-jsx", "tsx", `
rule: {pattern: '<$T onClick={$H} />'}`, `const a = <Button onClick={go} />
const b = <Input value={v} />
`},
	{"ts-as-any", "typescript", `
rule: {pattern: $A as any}
fix: $A as unknown`, `const x = y as any; const z = (w as any).q
`},
	{"fix-multiline", "javascript", `
rule: {pattern: 'if ($C) { $$$B }'}
fix: |-
  if (!($C)) {
    return
  }
  $$$B`, `function f() {
  if (ok) {
    a()
    b()
  }
}
`},
	// transform (https://ast-grep.github.io/reference/yaml/transformation.html):
	// substring, replace and convert, in both forms, chained, in fix and message
	{"transform-substring", "javascript", `
rule: {pattern: "let $A = $B"}
message: "rename $A to $NEW"
transform:
  NEW:
    substring: {source: $A, startChar: 1, endChar: -1}
  TAIL:
    substring: {source: $A, startChar: -2}
fix: "const $NEW = $B /* $TAIL */"`, `let fooBar = 12
let x = 3
let ab = 1
let abcdef = 2
`},
	{"transform-replace", "python", `
rule: {pattern: "$F = $V"}
transform:
  DIGITS:
    replace: {source: $V, replace: '(\d)(\d)?', by: '<$1|$2>'}
  NAME:
    replace: {source: $F, replace: '^_+', by: ''}
fix: "$NAME = $DIGITS"`, `__x = 123
y = 'a1b22c333'
_z = w
`},
	{"transform-convert", "javascript", `
rule: {pattern: "f($A)"}
transform:
  L: {convert: {source: $A, toCase: lowerCase}}
  U: {convert: {source: $A, toCase: upperCase}}
  C: {convert: {source: $A, toCase: capitalize}}
  CC: {convert: {source: $A, toCase: camelCase}}
  S: {convert: {source: $A, toCase: snakeCase}}
  K: {convert: {source: $A, toCase: kebabCase}}
  P: {convert: {source: $A, toCase: pascalCase}}
  SD: {convert: {source: $A, toCase: snakeCase, separatedBy: [dash]}}
  SC: {convert: {source: $A, toCase: kebabCase, separatedBy: [caseChange]}}
fix: "g($L, $U, $C, $CC, $S, $K, $P, $SD, $SC)"`, `f(fooBar)
f(XMLHttpRequest)
f(snake_case_name)
f("some-kebab.dot/slash name")
f(HTTP2Server)
f(already_Mixed_CASE_x)
f(a1B2c3)
`},
	{"transform-string-form", "javascript", `
rule: {pattern: "let $A = $B"}
transform:
  NEW: substring($A, startChar=1, endChar=-1)
  SNAKE: convert($A, toCase=snakeCase, separatedBy=[caseChange, underscore])
  UP: convert($NEW, toCase=upperCase)
  R: replace($B, replace='\d', by='#')
fix: "const $UP = $R // $SNAKE"`, `let fooBar = 12
let myHTTPThing = f(1, 22)
`},
	{"transform-multi", "go", `
rule:
  pattern:
    context: 'func t() { fmt.Println($$$ARGS) }'
    selector: call_expression
message: "print $ARGS2"
transform:
  ARGS2:
    replace: {source: $$$ARGS, replace: ', ', by: ' + '}
fix: log.Print($ARGS2)`, `package p

func f() {
	fmt.Println(a, b, "c")
	fmt.Println()
}
`},
}

var langExt = map[string]string{"go": ".go", "python": ".py", "javascript": ".js", "typescript": ".ts", "tsx": ".tsx"}

type span struct {
	Start, End int
	Message    string
}

// TestOperatorsAgreeWithAstGrep runs every documented operator example
// through the real ast-grep and through gauntlet: the same matched ranges,
// and the same text once every fix is applied.
func TestOperatorsAgreeWithAstGrep(t *testing.T) {
	sg := astGrep(t)
	for _, tc := range operatorCases {
		t.Run(tc.name, func(t *testing.T) {
			head := "id: t\nlanguage: " + tc.lang + "\nseverity: warning\n"
			if !strings.Contains(tc.rule, "\nmessage:") {
				head += "message: m\n"
			}
			want, got, wantFixed, gotFixed := runBoth(t, sg, head+strings.TrimPrefix(tc.rule, "\n")+"\n", tc.lang, tc.src)
			if !slices.Equal(got, want) {
				t.Errorf("matched ranges differ\n  ast-grep: %v (%s)\n  gauntlet: %v (%s)", want, texts(tc.src, want), got, texts(tc.src, got))
			}
			if len(want) == 0 {
				t.Errorf("ast-grep found nothing: the case tests nothing")
			}
			t.Logf("%d matches: %s", len(want), texts(tc.src, want))
			if gotFixed != wantFixed {
				t.Errorf("fixed text differs\n--- ast-grep\n%s\n--- gauntlet\n%s", wantFixed, gotFixed)
			}
		})
	}
}

// runBoth runs a rule file's text on a source through ast-grep and
// through gauntlet, and returns their findings and fixed texts.
func runBoth(t *testing.T, sg, ruleText, lang, src string) (want, got []span, wantFixed, gotFixed string) {
	t.Helper()
	dir := t.TempDir()
	rulePath := filepath.Join(dir, "rule.yml")
	srcPath := filepath.Join(dir, "src"+langExt[lang])
	must(t, os.WriteFile(rulePath, []byte(ruleText), 0o644))
	must(t, os.WriteFile(srcPath, []byte(src), 0o644))
	want, wantFixed = runAstGrep(t, sg, dir, rulePath, srcPath)
	got, gotFixed = runGauntlet(t, ruleText, srcPath, src)
	return want, got, wantFixed, gotFixed
}

func texts(src string, ss []span) string {
	var out []string
	for _, s := range ss {
		out = append(out, fmt.Sprintf("%q", src[s.Start:s.End]))
	}
	return strings.Join(out, ", ")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// runAstGrep returns ast-grep's matches and the file after `scan -U`.
func runAstGrep(t *testing.T, sg, dir, rulePath, srcPath string) ([]span, string) {
	t.Helper()
	cmd := exec.Command(sg, "scan", "--rule", rulePath, "--json=stream", srcPath)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("ast-grep scan: %v\n%s", err, stderr.String())
	}
	var spans []span
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m struct {
			Message string `json:"message"`
			Range   struct {
				ByteOffset struct{ Start, End int } `json:"byteOffset"`
			} `json:"range"`
		}
		must(t, json.Unmarshal(sc.Bytes(), &m))
		spans = append(spans, span{m.Range.ByteOffset.Start, m.Range.ByteOffset.End, m.Message})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading ast-grep's output: %v", err)
	}
	sortSpans(spans)
	fix := exec.Command(sg, "scan", "--rule", rulePath, "-U", srcPath)
	fix.Dir = dir
	if b, err := fix.CombinedOutput(); err != nil && fix.ProcessState.ExitCode() != 1 {
		t.Fatalf("ast-grep scan -U: %v\n%s", err, b)
	}
	fixed, err := os.ReadFile(srcPath)
	must(t, err)
	return spans, string(fixed)
}

func sortSpans(s []span) {
	slices.SortFunc(s, func(a, b span) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return a.End - b.End
	})
}

// runGauntlet returns gauntlet's findings (without those a comment
// suppresses) and the source with every
// non-overlapping fix applied (ast-grep skips a fix overlapping an earlier one).
func runGauntlet(t *testing.T, ruleText, path, src string) ([]span, string) {
	t.Helper()
	rs, err := config.ParseRules("rule.yml", []byte(ruleText))
	must(t, err)
	set, err := Compile(rs)
	must(t, err)
	f := analysis.NewFileLang(filepath.Base(path), []byte(src), 1, analysis.LanguageForPath(path))
	diags, errs := analysis.Run(context.Background(), f, set.Analyzers())
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	diags = analysis.Suppress(f, diags) // as every driver does
	var spans []span
	var edits []analysis.TextEdit
	last := -1
	slices.SortStableFunc(diags, func(a, b analysis.Diagnostic) int { return a.Start - b.Start })
	for _, d := range diags {
		spans = append(spans, span{d.Start, d.End, d.Message})
		if len(d.Fixes) > 0 && d.Start >= last {
			edits = append(edits, d.Fixes[0].Edits...)
			last = d.End
		}
	}
	sortSpans(spans)
	fixed, err := analysis.ApplyEdits([]byte(src), edits)
	must(t, err)
	return spans, string(fixed)
}

// suppressionCases are ast-grep-ignore comments where ast-grep documents
// them (https://ast-grep.github.io/guide/project/severity.html) and where
// its reading of them is less obvious: a trailing comment covers the line
// its statement starts on, a comment alone on its line the next line (and,
// on the first line before a blank one, the whole file), ids follow a
// colon, anything else after the marker silences every rule, and the
// marker counts only in a comment.
var suppressionCases = []struct {
	name, lang, rule, src string
}{
	{"documented", "javascript", "rule: {pattern: console.log($A)}", `console.log('hello')  // match
// ast-grep-ignore
console.log('suppressed') // suppressed
// ast-grep-ignore: no-console
console.log('suppressed') // suppressed
// ast-grep-ignore: other-rule
console.log('world') // match
console.log('x') // ast-grep-ignore
console.log('y') // ast-grep-ignore: other-rule
console.log('z') // ast-grep-ignore: other-rule, no-console
`},
	{"reading", "javascript", "rule: {pattern: console.log($A)}", `console.log(1)
// ast-grep-ignore:no-console
console.log(3)
/* ast-grep-ignore */ console.log(4)
console.log(5)
// ast-grep-ignore

console.log(8)
foo(console.log(9), // ast-grep-ignore
  console.log(10))
// ast-grep-ignore: no-console -- why
console.log(12)
// ast-grep-ignore: other no-console, no-console reason
console.log(14)
// ast-grep-ignored
console.log(16)
// ast-grep-ignore: no-console-x
console.log(18)
// ast-grep-ignore-start
console.log(20)
console.log(
  21
) // ast-grep-ignore
console.log(24) // ast-grep-ignore foo
console.log(25)
let x = ` + "`" + `
// ast-grep-ignore` + "`" + `
console.log(28)
// ast-grep-ignore:
console.log(30)
`},
	{"file", "javascript", "rule: {pattern: console.log($A)}", "// ast-grep-ignore\n\nconsole.log(3)\n"},
	{"file-other-id", "javascript", "rule: {pattern: console.log($A)}", "// ast-grep-ignore: other\n\nconsole.log(3)\nconsole.log(4)\n"},
	{"file-id", "javascript", "rule: {pattern: console.log($A)}", "// ast-grep-ignore: no-console\n\nconsole.log(3)\n"},
	{"first-line", "javascript", "rule: {pattern: console.log($A)}", "// ast-grep-ignore\nconsole.log(2)\nconsole.log(3)\n"},
	{"python", "python", "rule: {pattern: print($$$A)}", "print(1)  # ast-grep-ignore\nprint(2)\n# ast-grep-ignore: no-console\nprint(4)\n# ast-grep-ignore: other\nprint(6)\ns = '# ast-grep-ignore'\nprint(8)\n"},
	{"go", "go", "rule: {pattern: {context: 'func t() { fmt.Println($$$A) }', selector: call_expression}}", "package p\n\nfunc f() {\n\tfmt.Println(1) // ast-grep-ignore\n\t// ast-grep-ignore: no-console\n\tfmt.Println(2)\n\tfmt.Println(3) /* ast-grep-ignore: other */\n\tfmt.Println(4)\n}\n"},
}

// TestSuppressionAgreesWithAstGrep runs each case through the real ast-grep
// and through gauntlet, whose findings pass analysis.Suppress as every
// driver's do: the same findings are left.
func TestSuppressionAgreesWithAstGrep(t *testing.T) {
	sg := astGrep(t)
	for _, tc := range suppressionCases {
		t.Run(tc.name, func(t *testing.T) {
			want, got, _, _ := runBoth(t, sg, "id: no-console\nlanguage: "+tc.lang+"\nseverity: warning\nmessage: m\n"+tc.rule+"\n", tc.lang, tc.src)
			if !slices.Equal(got, want) {
				t.Errorf("findings differ\n  ast-grep: %s\n  gauntlet: %s", lineList(tc.src, want), lineList(tc.src, got))
			}
			t.Logf("findings on lines %s", lineList(tc.src, want))
		})
	}
}

// lineList names the lines findings start on.
func lineList(src string, ss []span) string {
	m := analysis.NewMapper([]byte(src))
	var out []string
	for _, s := range ss {
		out = append(out, fmt.Sprint(m.Line(s.Start)+1))
	}
	return strings.Join(out, " ")
}

// A pattern that does not parse is an error naming the rule file's line and
// the problem; the other rules of the set still compile and run.
func TestBrokenPatternRuleKeepsOthers(t *testing.T) {
	rs, err := config.ParseRules("rules.yaml", []byte(`rules:
  - id: broken
    language: go
    message: m
    pattern: 'x := fmt.Println($A,'
  - id: good
    language: go
    message: call of $F
    pattern:
      context: 'func t() { $F($$$) }'
      selector: call_expression
  - id: good-query
    language: go
    message: m
    query: '(call_expression) @c'
`))
	must(t, err)
	set, err := Compile(rs)
	if err == nil || !strings.Contains(err.Error(), "rules.yaml:5: rule broken: pattern: the pattern does not parse as go") {
		t.Fatalf("error %v, want one naming rules.yaml:5 and the parse problem", err)
	}
	if set.Analyzer("good") == nil || set.Analyzer("good-query") == nil || set.Analyzer("broken") != nil {
		t.Fatalf("analyzers %v: want good and good-query only", set.Analyzers())
	}
	f := analysis.NewFileLang("a.go", []byte("package p\nfunc f() { g(1) }\n"), 1, analysis.LanguageNamed("go"))
	diags, _ := analysis.Run(context.Background(), f, set.Analyzers())
	if len(diags) != 2 || diags[0].Message != "call of g" && diags[1].Message != "call of g" {
		t.Errorf("diags %+v", diags)
	}
}

// A transform gauntlet cannot compute is an error naming it and its line,
// never a rule that silently fixes differently.
func TestTransformErrors(t *testing.T) {
	for _, tc := range []struct{ name, transform, want string }{
		{"rewrite", "  B:\n    rewrite: {source: $A, rewriters: [r]}\n", "r.yml:7: transform.B.rewrite: the ast-grep transformation rewrite is not supported by gauntlet"},
		{"rewrite string", "  B: rewrite($A, rewriters=[r])\n", "r.yml:6: transform.B.rewrite: the ast-grep transformation rewrite is not supported by gauntlet"},
		{"unknown op", "  B:\n    reverse: {source: $A}\n", "r.yml:7: transform.B.reverse: unknown key (want one of: substring, replace, convert, rewrite)"},
		{"bad source", "  B:\n    substring: {source: A}\n", "r.yml:7: transform.B.substring.source: want a metavariable such as $A or $$$ARGS"},
		{"bad regexp", "  B:\n    replace: {source: $A, replace: '(', by: x}\n", "r.yml:7: transform.B.replace.replace: error parsing regexp"},
		{"no by", "  B:\n    replace: {source: $A, replace: x}\n", "r.yml:7: transform.B.replace: replace needs replace (a regular expression) and by"},
		{"bad case", "  B:\n    convert: {source: $A, toCase: screamCase}\n", "r.yml:7: transform.B.convert.toCase: unknown value \"screamCase\""},
		{"bad string", "  B: substring\n", "r.yml:6: transform.B: cannot read the transformation \"substring\""},
		{"cycle", "  B:\n    substring: {source: $C}\n  C:\n    substring: {source: $B}\n", "r.yml:6: rule t: transform.B: a cyclic dependency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := "id: t\nlanguage: javascript\nmessage: m\nrule: {pattern: f($A)}\ntransform:\n" + tc.transform + "fix: g($B)\n"
			wantCompileError(t, "r.yml", text, tc.want)
		})
	}
}

// An ast-grep feature gauntlet does not implement is an error naming it
// and its line, never a silently different rule; the real ast-grep accepts
// each rule file, so each is a feature, not a typo.
func TestUnsupportedAstGrepFeatures(t *testing.T) {
	sg := astGrep(t)
	for _, tc := range []struct{ name, rule, want string }{
		{"nthChild", "rule: {kind: identifier, nthChild: 1}\n", "r.yml:5: rule.nthChild: the ast-grep rule key nthChild is not supported by gauntlet"},
		{"range", "rule:\n  kind: identifier\n  range: {start: {line: 0, column: 0}, end: {line: 0, column: 1}}\n", "r.yml:7: rule.range: the ast-grep rule key range is not supported by gauntlet"},
		{"strictness", "rule:\n  pattern: {context: f($A), strictness: cst}\n", "r.yml:6: rule.pattern.strictness: strictness cst is not supported by gauntlet"},
		{"expandEnd", "rule: {pattern: f($A)}\nfix:\n  template: g($A)\n  expandEnd: {regex: ','}\n", "r.yml:8: fix.expandEnd: the ast-grep key expandEnd is not supported by gauntlet"},
		{"fix list", "rule: {pattern: f($A)}\nfix:\n  - {template: g($A), title: G}\n  - {template: h($A), title: H}\n", "r.yml:7: fix: a list of fixes is not supported by gauntlet"},
		{"rewriters", "rule: {pattern: f($A)}\nrewriters:\n  - {id: r, rule: {kind: identifier}, fix: y}\n", "r.yml:7: rewriters: the ast-grep key rewriters is not supported by gauntlet"},
		{"labels", "rule: {pattern: f($A)}\nlabels:\n  A: {style: primary, message: arg}\n", "r.yml:7: labels: the ast-grep key labels is not supported by gauntlet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := "id: t\nlanguage: javascript\nmessage: m\nseverity: warning\n" + tc.rule
			dir := writeProject(t, map[string]string{"r.yml": text, "src.js": "f(a, b)\n"})
			cmd := exec.Command(sg, "scan", "--rule", "r.yml", "src.js")
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil && cmd.ProcessState.ExitCode() != 1 {
				t.Fatalf("ast-grep rejects the rule file: %v\n%s", err, out)
			}
			wantCompileError(t, "r.yml", text, tc.want)
		})
	}
}

// A metavariable that constraints, transform or fix use must be one the
// rule defines, and a transformation may not redefine one, as ast-grep
// checks (check_var.rs): each rule file is rejected by both or accepted by
// both.
func TestUndefinedMetavariablesAgreeWithAstGrep(t *testing.T) {
	sg := astGrep(t)
	for _, tc := range []struct{ name, rule, want string }{
		{"fix", "rule: {pattern: f($A)}\nfix: g($Q)\n", "r.yml:5: rule t: fix: $Q is not a metavariable of the rule"},
		{"fix dropped", "rule: {pattern: f($_)}\nfix: g($_)\n", "r.yml:5: rule t: fix: $_ is not a metavariable of the rule"},
		{"fix digits are text", "rule: {pattern: f($A)}\nfix: g($A, $1)\n", ""},
		{"constraints", "rule: {pattern: f($A)}\nconstraints:\n  Z: {kind: number}\n", "r.yml:6: rule t: constraints: $Z is not a metavariable of the rule"},
		{"transform source", "rule: {pattern: f($A)}\ntransform:\n  B: {substring: {source: $C, startChar: 1}}\n", "r.yml:6: rule t: transform.B: $C is not a metavariable of the rule"},
		{"transform redefines", "rule: {pattern: 'f($A, $B)'}\ntransform:\n  B: {substring: {source: $A, startChar: 1}}\n", "r.yml:6: rule t: transform.B: $B is already a metavariable of the rule"},
		{"fix from a project util", "rule: {matches: util-a}\nfix: g($A)\n", "r.yml:5: rule t: fix: $A is not a metavariable of the rule"},
		{"message is not checked", "rule: {pattern: f($A)}\nmessage: m $Q\n", ""},
		{"defined in has", "rule: {kind: call_expression, has: {pattern: $X, stopBy: end, kind: identifier}}\nfix: g($X)\n", ""},
		{"defined in stopBy", "rule: {kind: identifier, inside: {kind: call_expression, stopBy: {pattern: f($S)}}}\nfix: $S\n", ""},
		{"defined in not", "rule: {pattern: f($A), not: {pattern: f($N)}}\nfix: $N\n", ""},
		{"defined in a local util", "utils:\n  u: {pattern: f($U)}\nrule: {pattern: f($A)}\nfix: $U\n", ""},
		{"defined in a constraint", "rule: {pattern: f($A)}\nconstraints:\n  A: {pattern: $C}\nfix: $C\n", ""},
		{"unnamed capture", "rule: {pattern: f($$A)}\nfix: $A\n", ""},
		{"transform of transform", "rule: {pattern: f($A)}\ntransform:\n  B: {substring: {source: $A, startChar: 1}}\n  C: {substring: {source: $B, startChar: 1}}\nfix: $C\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := "id: t\nlanguage: javascript\nseverity: warning\n" + tc.rule
			if !strings.Contains(tc.rule, "message:") {
				text = "id: t\nlanguage: javascript\nmessage: m\n" + tc.rule
			}
			dir := writeProject(t, map[string]string{
				"sgconfig.yml":     "ruleDirs: [rules]\nutilDirs: [utils]\n",
				"utils/util-a.yml": "id: util-a\nlanguage: javascript\nrule: {pattern: f($A)}\n",
				"rules/r.yml":      text,
				"src.js":           "f(a)\n",
			})
			cmd := exec.Command(sg, "scan", "src.js")
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			sgRejects := err != nil && cmd.ProcessState.ExitCode() != 1
			if sgRejects != (tc.want != "") {
				t.Fatalf("ast-grep rejects the rule: %v, want %v\n%s", sgRejects, tc.want != "", out)
			}
			_, err = compileProject(t, dir)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// files and ignores globs select files as ast-grep's do (the globset
// crate: `*` and `?` cross directories, `**/` may match none, the glob
// matches the whole relative path): for each, the same files are reported.
func TestFilesGlobsAgreeWithAstGrep(t *testing.T) {
	sg := astGrep(t)
	paths := []string{"a.ts", "src/b.ts", "src/sub/c.ts", "src/x.d.ts", "lib/Up.TS.ts", "src/[x].ts"}
	for i, globs := range []string{
		`files: ["*.ts"]`, `files: ["src/*.ts"]`, `files: ["**/*.ts"]`, `files: ["src/**"]`, `files: ["sub/*.ts"]`,
		`files: ["./src/*.ts"]`, `files: ["src"]`, `files: ["src/**/c.ts"]`, `files: ["?.ts"]`, `files: ["src/{b,sub/c}.ts"]`,
		`files: ["src/[a-c].ts"]`, `files: ["src/[!b].ts"]`, `files: ["src/\\[x\\].ts"]`, `files: []`,
		`files: [{glob: "LIB/*.ts", caseInsensitive: true}]`, `files: ["LIB/*.ts"]`,
		`ignores: ["*.d.ts"]`, `ignores: ["src/*"]`, `files: ["src/**"]` + "\nignores: [\"**/sub/**\"]",
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			files := map[string]string{
				"sgconfig.yml": "ruleDirs: [rules]\n",
				"rules/r.yml":  "id: t\nlanguage: ts\nseverity: warning\nmessage: m\n" + globs + "\nrule: {pattern: $E as any}\n",
			}
			for _, p := range paths {
				files[p] = "const q = y as any\n"
			}
			dir := writeProject(t, files)
			cmd := exec.Command(sg, "scan", "--json=stream")
			cmd.Dir = dir
			out, err := cmd.Output()
			if err != nil && cmd.ProcessState.ExitCode() != 1 {
				t.Fatalf("ast-grep scan: %v", err)
			}
			var want []string
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				var m struct{ File string }
				if line != "" {
					must(t, json.Unmarshal([]byte(line), &m))
					want = append(want, m.File)
				}
			}
			slices.Sort(want)

			set, err := compileProject(t, dir)
			must(t, err)
			var got []string
			for _, path := range paths {
				f := analysis.NewFileLang(path, []byte("const q = y as any\n"), 1, analysis.LanguageForPath(path))
				if diags, _ := analysis.Run(context.Background(), f, set.Analyzers()); len(diags) > 0 {
					got = append(got, path)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s\n  ast-grep: %v\n  gauntlet: %v", globs, want, got)
			}
			t.Logf("%s: %v", globs, want)
		})
	}
}

// writeProject writes files (slash-separated paths to contents) into a new
// directory and returns it.
func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(p))
		must(t, os.MkdirAll(filepath.Dir(path), 0o755))
		must(t, os.WriteFile(path, []byte(text), 0o644))
	}
	return dir
}

// compileProject compiles the rules of the ast-grep project in dir.
func compileProject(t *testing.T, dir string) (*Set, error) {
	t.Helper()
	p, err := config.LoadAstGrepProject(filepath.Join(dir, "sgconfig.yml"))
	must(t, err)
	rs, err := p.LoadRules(func(s string) string { return s })
	if err != nil {
		return nil, err
	}
	return Compile(rs)
}

// wantCompileError reads and compiles a rule file's text: it must fail
// with an error that contains want.
func wantCompileError(t *testing.T, path, text, want string) {
	t.Helper()
	rs, err := config.ParseRules(path, []byte(text))
	if err == nil {
		_, err = Compile(rs)
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want %q", err, want)
	}
}

// A pattern rule in gauntlet's own form (a `rules` list) reports and fixes
// the whole match, as the same rule in ast-grep's form does: deleting a
// Go call deletes all of it, not its first node.
func TestGauntletFormPatternRuleAgreesWithAstGrep(t *testing.T) {
	sg := astGrep(t)
	const src = "package p\n\nfunc f() {\n\tfmt.Println(\"debug\", x)\n\tg()\n}\n"
	dir := writeProject(t, map[string]string{
		"rule.yml": "id: go-println\nlanguage: go\nseverity: warning\nmessage: m\n" +
			"rule:\n  pattern:\n    context: 'func t() { fmt.Println($$$A) }'\n    selector: call_expression\nfix: ''\n",
		"src.go": src,
	})
	want, wantFixed := runAstGrep(t, sg, dir, filepath.Join(dir, "rule.yml"), filepath.Join(dir, "src.go"))
	got, gotFixed := runGauntlet(t, `rules:
  - id: go-println
    language: go
    message: m
    pattern:
      context: 'func t() { fmt.Println($$$A) }'
      selector: call_expression
    fix: {replace: ""}
`, filepath.Join(dir, "src.go"), src)
	if len(want) != 1 || !slices.Equal(got, want) {
		t.Errorf("matched ranges\n  ast-grep: %v (%s)\n  gauntlet: %v (%s)", want, texts(src, want), got, texts(src, got))
	}
	if gotFixed != wantFixed {
		t.Errorf("fixed text differs\n--- ast-grep\n%s\n--- gauntlet\n%s", wantFixed, gotFixed)
	}
}

package rules

import (
	"context"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
)

// TestCompileLazily: the lazy rules of a set compile on the first file of
// their language and then report as Compile's would; the others compile at
// once, with their errors; a lazy rule that does not compile fails when it
// runs, and only on its language's files.
func TestCompileLazily(t *testing.T) {
	rs, err := config.ParseRules("rules.yaml", []byte(printlnRule+`
  - id: js-broken
    language: javascript
    message: never compiles
    query: '(no_such_node) @x'
`))
	if err != nil {
		t.Fatal(err)
	}
	eager, err := Compile(rs[:len(rs)-1])
	if err != nil {
		t.Fatal(err)
	}
	s, err := CompileLazily(rs, len(rs))
	if err != nil {
		t.Fatalf("lazy rules are not compiled by CompileLazily, so cannot fail it: %v", err)
	}
	for _, r := range s.rules {
		for _, p := range r.parts {
			if p.ls != nil {
				t.Fatalf("%s (%s) compiled before any file of its language", r.src.ID, p.lang.Name)
			}
		}
	}
	goSrc := "package p\n\nimport \"fmt\"\n\nfunc f(x int) {\n\tfmt.Println(x)\n\tx = x\n}\n"
	want := summary(goSrc, check(t, eager, "p.go", goSrc))
	if got := summary(goSrc, check(t, s, "p.go", goSrc)); got != want || want == "" {
		t.Errorf("lazily compiled rules report\n%s\nwant, as compiled at once,\n%s", got, want)
	}
	for _, r := range s.rules {
		for _, p := range r.parts {
			if compiled := p.ls != nil; compiled != (p.lang.Name == "go") {
				t.Errorf("%s (%s): compiled %v after a Go file only", r.src.ID, p.lang.Name, compiled)
			}
		}
	}
	pySrc := "print(1)\n"
	if got := summary(pySrc, check(t, s, "a.py", pySrc)); !strings.Contains(got, "py-print") {
		t.Errorf("the Python rule did not report on its first file: %q", got)
	}
	f := analysis.NewFile("a.js", []byte("f(1)\n"), 1)
	_, errs := analysis.Run(context.Background(), f, s.Analyzers())
	if len(errs) == 0 || !strings.Contains(errs[0].Error(), "js-broken") {
		t.Errorf("the broken lazy rule ran without an error naming it: %v", errs)
	}
	if _, err := Compile(rs); err == nil || !strings.Contains(err.Error(), "rules.yaml") {
		t.Errorf("compiled at once, the broken rule is an error naming its file: %v", err)
	}
}

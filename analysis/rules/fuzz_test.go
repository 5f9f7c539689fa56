package rules

import (
	"context"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
)

// Any query compiles or fails with an Error; a compiled one runs on code
// without panicking.
func FuzzCompile(f *testing.F) {
	for _, q := range []string{
		`((call_expression function: (identifier) @f) (#eq? @f "g"))`,
		`((identifier) @a (#match? @a "^x") (#any-of? @a "x" "y"))`,
		`[(identifier) (int_literal)] @x`,
		`((binary_expression left: (_) @l right: (_) @r) @e (#not-eq? @l @r))`,
		`(block . (_) @first)`,
		`((comment) @c (#set! x))`,
		`(`,
		`"func" @kw`,
	} {
		f.Add(q, "{{x}}")
	}
	src := []byte("package p\n\nfunc g(x int) int {\n\t// c\n\tif x == 1 { return g(x) }\n\treturn x + 1\n}\n")
	f.Fuzz(func(t *testing.T, query, message string) {
		r := config.Rule{ID: "fuzz", Languages: []string{"go"}, Message: message, Query: query, Pos: config.Pos{File: "f.yaml", Line: 1},
			Fix: &config.RuleFix{Replace: message}}
		s, err := Compile([]config.Rule{r})
		if err != nil {
			if _, ok := err.(Errors); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		f := analysis.NewFile("p.go", src, 1)
		_, errs := analysis.Run(context.Background(), f, s.Analyzers())
		for _, e := range errs {
			t.Errorf("%v", e)
		}
	})
}

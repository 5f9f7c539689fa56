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

// Any pattern compiles or fails with an Error; a compiled one matches any
// code (here JavaScript, whose grammar takes $ in identifiers) without
// panicking, and its findings and fixes lie inside the file.
func FuzzPattern(f *testing.F) {
	for _, s := range [][2]string{
		{"console.log($$$A)", "console.log(1, 2); console.log()"},
		{"$A == $A", "if (a == a) {}"},
		{"foo($$$A, last)", "foo(a, b, last)"},
		{"$F($_, $$$)", "f(1, 2, 3)"},
		{"{ $$$A; return $B }", "function f() { a(); return b }"},
		{"(", "x"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, code string) {
		r := config.Rule{ID: "fuzz", Languages: []string{"javascript"}, Message: "m $A", Pos: config.Pos{File: "f.yaml", Line: 1},
			Object: &config.RuleObject{Pattern: &config.PatternSpec{Context: pattern}, Set: map[string]int{"pattern": 1}},
			Fix:    &config.RuleFix{Replace: "x($$$A, $B)"}}
		s, err := Compile([]config.Rule{r})
		if err != nil {
			if _, ok := err.(Errors); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		file := analysis.NewFile("a.js", []byte(code), 1)
		diags, errs := analysis.Run(context.Background(), file, s.Analyzers())
		for _, e := range errs {
			t.Errorf("%v", e)
		}
		for _, d := range diags {
			if d.Start < 0 || d.End > len(code) || d.Start > d.End {
				t.Fatalf("finding %d-%d outside the file (%d bytes)", d.Start, d.End, len(code))
			}
		}
	})
}

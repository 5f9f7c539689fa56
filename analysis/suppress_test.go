package analysis

import (
	"fmt"
	"strings"
	"testing"
)

func TestSuppress(t *testing.T) {
	src := `package p

func f() {
	a() // gauntlet:ignore rule-a
	// gauntlet:ignore rule-a, rule-b -- reason
	b()
	c() // gauntlet:ignore
	d()
	/* gauntlet:ignore rule-c */ e()
	s := "// gauntlet:ignore"
	g() // gauntlet:ignored rule-a
}
`
	f := NewFile("p.go", []byte(src), 1)
	at := func(line int, code string) Diagnostic {
		off := f.Mapper().LineStart(line - 1)
		return Diagnostic{Path: "p.go", Start: off + 1, End: off + 2, Code: code}
	}
	diags := []Diagnostic{
		at(4, "rule-a"),  // suppressed by its trailing comment
		at(4, "rule-b"),  // kept: another id
		at(6, "rule-a"),  // suppressed from the line above
		at(6, "rule-b"),  // suppressed from the line above
		at(6, "rule-c"),  // kept
		at(7, "rule-x"),  // suppressed: bare marker
		at(8, "rule-x"),  // kept: a trailing comment covers only its own line
		at(9, "rule-c"),  // suppressed: block comment
		at(10, "rule-x"), // suppressed: the scan is textual, so "//" in a string counts too
		at(11, "rule-a"), // kept: not the marker
	}
	var got []string
	for _, d := range Suppress(f, diags) {
		got = append(got, fmt.Sprintf("%d:%s", f.Mapper().Line(d.Start)+1, d.Code))
	}
	want := "4:rule-b 6:rule-c 8:rule-x 11:rule-a"
	if strings.Join(got, " ") != want {
		t.Errorf("kept %v, want %s", got, want)
	}
}

func TestSuppressPython(t *testing.T) {
	src := "try:\n    x()\nexcept:  # gauntlet:ignore py-bare-except\n    pass\n// gauntlet:ignore\ny = 1\n"
	f := NewFile("a.py", []byte(src), 1)
	line := func(n int) int { return f.Mapper().LineStart(n - 1) }
	diags := []Diagnostic{
		{Start: line(3), End: line(3) + 6, Code: "py-bare-except"},
		{Start: line(6), End: line(6) + 1, Code: "any"}, // "//" is not a Python comment
	}
	got := Suppress(f, diags)
	if len(got) != 1 || got[0].Code != "any" {
		t.Errorf("got %+v", got)
	}
}

// ast-grep's suppression comments are honoured beside gauntlet's.
func TestSuppressAstGrep(t *testing.T) {
	src := `console.log(1) // ast-grep-ignore
// ast-grep-ignore: no-console, other
console.log(2)
// ast-grep-ignore: other
console.log(3)
// ast-grep-ignore-start
console.log(4)
`
	f := NewFile("a.js", []byte(src), 1)
	line := func(n int) int { return f.Mapper().LineStart(n - 1) }
	var diags []Diagnostic
	for _, l := range []int{1, 3, 5, 7} {
		diags = append(diags, Diagnostic{Start: line(l), End: line(l) + 1, Code: "no-console"})
	}
	var got []int
	for _, d := range Suppress(f, diags) {
		got = append(got, f.Mapper().Line(d.Start)+1)
	}
	// ast-grep reads any comment containing its marker: with no colon
	// after it, as ast-grep-ignore-start here, it silences every rule
	// (see rules.TestSuppressionAgreesWithAstGrep, which asks ast-grep).
	if fmt.Sprint(got) != "[5]" {
		t.Errorf("kept findings on lines %v, want [5] (another id)", got)
	}
}

package fixup

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// del deletes the first occurrence of s in src, as a rule's `replace: ""`.
func del(src, s string) analysis.TextEdit {
	i := strings.Index(src, s)
	return analysis.TextEdit{Path: "a.go", Start: i, End: i + len(s)}
}

func apply(t *testing.T, src string, edits []analysis.TextEdit) string {
	t.Helper()
	f := analysis.NewFile("a.go", []byte(src), 0)
	out, err := analysis.ApplyEdits(f.Content, Edits(f, edits))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestFixRemovesLastUseImport(t *testing.T) {
	src := "package p\n\nimport \"fmt\"\n\n// F says hi.\nfunc F(s string) string {\n\tfmt.Println(s)\n\treturn s\n}\n"
	got := apply(t, src, []analysis.TextEdit{del(src, "fmt.Println(s)")})
	want := "package p\n\n// F says hi.\nfunc F(s string) string {\n\treturn s\n}\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := parser.ParseFile(token.NewFileSet(), "a.go", got, 0); err != nil {
		t.Error(err)
	}
}

func TestFixKeepsImportsStillUsed(t *testing.T) {
	src := "package p\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n\tyaml \"gopkg.in/yaml.v3\"\n)\n\nfunc F(s string) string {\n\tfmt.Println(s)\n\t_ = yaml.Marshal\n\treturn strings.TrimSpace(fmt.Sprint(s))\n}\n\nfunc G(s string) {\n\tfmt.Println(s)\n\tyaml.Unmarshal(nil, nil)\n}\n"
	got := apply(t, src, []analysis.TextEdit{del(src, "fmt.Println(s)")})
	if !strings.Contains(got, "\t\"fmt\"\n") || !strings.Contains(got, "yaml \"gopkg.in/yaml.v3\"") {
		t.Errorf("an import still used was removed:\n%s", got)
	}
	if strings.Contains(got, "\n\t\n") {
		t.Errorf("a whitespace-only line is left:\n%s", got)
	}
	// Removing the last use of one import of a group takes only its line.
	src2 := "package p\n\nimport (\n\t\"fmt\"\n\t\"strings\" // trims\n)\n\nfunc F(s string) string {\n\ts = strings.TrimSpace(s)\n\treturn fmt.Sprint(s)\n}\n"
	got = apply(t, src2, []analysis.TextEdit{del(src2, "s = strings.TrimSpace(s)")})
	want := "package p\n\nimport (\n\t\"fmt\"\n)\n\nfunc F(s string) string {\n\treturn fmt.Sprint(s)\n}\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestFixDeletesWholeLineOnly(t *testing.T) {
	src := "package p\n\nfunc F(x int) int {\n\tx = x\n\ty := x; x = x\n\treturn x\n}\n"
	first := del(src, "x = x")
	i := strings.LastIndex(src, "x = x")
	second := analysis.TextEdit{Path: "a.go", Start: i, End: i + 5}
	got := apply(t, src, []analysis.TextEdit{first, second})
	want := "package p\n\nfunc F(x int) int {\n\ty := x; \n\treturn x\n}\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	// Other languages: the line goes too; a replacement stays as it is.
	js := analysis.NewFile("a.js", []byte("function f(a) {\n  a = a;\n  return a;\n}\n"), 0)
	es := Edits(js, []analysis.TextEdit{{Path: "a.js", Start: 18, End: 23}})
	out, _ := analysis.ApplyEdits(js.Content, es)
	if string(out) != "function f(a) {\n  return a;\n}\n" {
		t.Errorf("js: %q", out)
	}
	es = Edits(js, []analysis.TextEdit{{Path: "a.js", Start: 18, End: 23, NewText: "b = a"}})
	if len(es) != 1 || es[0].Start != 18 || es[0].End != 23 {
		t.Errorf("a replacement changed: %+v", es)
	}
}

// Edits completes edits of f the way Fix does.
func Edits(f *analysis.File, edits []analysis.TextEdit) []analysis.TextEdit {
	return Fix(f, analysis.Fix{Edits: edits}).Edits
}

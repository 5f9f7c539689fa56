package analysis

import (
	"context"
	"strings"
	"testing"
)

func TestSameOutsideBodies(t *testing.T) {
	const src = "package p\n\nimport \"strings\"\n\n// N is a limit.\nconst N = 3\n\nvar f = func() int { return N }\n\n// F returns 1.\nfunc F(s string) int {\n\tif strings.HasPrefix(s, \"x\") {\n\t\treturn 1\n\t}\n\treturn 0\n}\n\ntype T struct{}\n\nfunc (T) M() int { return 2 }\n"
	edit := func(old, new string) string {
		if !strings.Contains(src, old) {
			t.Fatalf("%q is not in the source", old)
		}
		return strings.Replace(src, old, new, 1)
	}
	for _, c := range []struct {
		name, after string
		want        bool
	}{
		{"function body", edit("return 1", "return 2"), true},
		{"method body", edit("return 2 }", "return 3 }"), true},
		{"body grows lines", edit("\treturn 0\n", "\tn := 0\n\tn++\n\treturn n\n"), true},
		{"doc comment", edit("// F returns 1.", "// F returns one."), true},
		{"signature", edit("func F(s string) int", "func F(s string) int64"), false},
		{"method receiver", edit("func (T) M()", "func (*T) M()"), false},
		{"constant", edit("const N = 3", "const N = 4"), false},
		{"function literal outside a function", edit("var f = func() int { return N }", "var f = func() int { return N + 1 }"), false},
		{"blank declaration added", edit("type T struct{}", "type T struct{}\n\nvar _ = 0\n\nvar (\n\t_ fmt.Stringer = nil\n\t_, _ = 1, 2\n)"), true},
		{"named beside blank", edit("type T struct{}", "type T struct{}\n\nvar _, x = 0, 1"), false},
		{"unexported function added", edit("type T struct{}", "type T struct{}\n\nfunc helper(s string) bool { return s == \"\" }"), true},
		{"exported function added", edit("type T struct{}", "type T struct{}\n\nfunc Helper() {}"), false},
		{"unexported method added", edit("type T struct{}", "type T struct{}\n\nfunc (T) m() {}"), false},
		{"type", edit("type T struct{}", "type T struct{ x int }"), false},
		{"import", edit("import \"strings\"", "import strings \"bytes\""), false},
		{"directive", edit("// F returns 1.", "//go:noinline"), false},
		{"syntax error", edit("return 1", "return 1 +"), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, _ := SameOutsideBodies(context.Background(), NewFile("p.go", []byte(src), 1), NewFile("p.go", []byte(c.after), 2))
			if got != c.want {
				t.Errorf("SameOutsideBodies = %v, want %v", got, c.want)
			}
		})
	}
	t.Run("cgo", func(t *testing.T) {
		const cgo = "package p\n\n// int one(void) { return 1; }\nimport \"C\"\n\nfunc F() int { return int(C.one()) }\n"
		if same, _ := SameOutsideBodies(context.Background(), NewFile("p.go", []byte(cgo), 1), NewFile("p.go", []byte(strings.Replace(cgo, "int(C", "1+int(C", 1)), 2)); same {
			t.Error("a cgo file's body edit counts as only bodies")
		}
	})
	t.Run("python", func(t *testing.T) {
		const py = "def f():\n    return 1\n"
		if same, _ := SameOutsideBodies(context.Background(), NewFile("p.py", []byte(py), 1), NewFile("p.py", []byte("def f():\n    return 2\n"), 2)); same {
			t.Error("a Python file counts as only bodies")
		}
	})
	t.Run("private functions and who names them", func(t *testing.T) {
		const before = "package p\n\nfunc helper() int { return 1 }\n\nfunc F() int { return helper() }\n"
		after := strings.Replace(before, "func helper() int { return 1 }", "func helper() int64 { return 1 }\n\nfunc other() {}", 1)
		same, private := SameOutsideBodies(context.Background(), NewFile("p.go", []byte(before), 1), NewFile("p.go", []byte(after), 2))
		if !same || strings.Join(private, " ") != "helper other" {
			t.Fatalf("SameOutsideBodies = %v, %q; want true, [helper other]", same, private)
		}
		// helper as it was: not listed.
		if same, private := SameOutsideBodies(context.Background(), NewFile("p.go", []byte(before), 1), NewFile("p.go", []byte(strings.Replace(before, "return helper()", "return helper() + 1", 1)), 2)); !same || len(private) != 0 {
			t.Errorf("a body edit beside an unchanged helper: %v, %q; want true, none", same, private)
		}
		for src, want := range map[string]bool{
			after:                             false, // F's body names helper: not outside a body
			"package p\n\nvar V = helper()\n": true,
			"package p\n\nfunc init() { _ = helper() }\n": false,
		} {
			names, ok := NamesOutsideBodies(context.Background(), NewFile("q.go", []byte(src), 1))
			if !ok || names["helper"] != want {
				t.Errorf("NamesOutsideBodies(%q)[helper] = %v, want %v", src, names["helper"], want)
			}
		}
	})
}

package prompt

import (
	"context"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// TestEnclosing: in each source, ‸ marks the problem's offset; want is the
// span's description and its first and last lines.
func TestEnclosing(t *testing.T) {
	cases := []struct {
		path, src   string
		want        string
		first, last string
	}{
		{"a.go", "package p\n\n// Add adds.\n// Really.\nfunc Add(a, b int) int {\n\treturn a ‸- b\n}\n", "function Add", "// Add adds.", "}"},
		{"a.go", "package p\n\nfunc (c *Calc) Add(a int) int {\n\tf := func() int { return ‸a }\n\treturn f()\n}\n", "method (*Calc).Add", "func (c *Calc) Add(a int) int {", "}"},
		{"a.go", "package p\n\nvar f = func() int {\n\treturn ‸1\n}\n", "function f", "var f = func() int {", "}"},
		{"a.go", "package p\n\ntype T struct {\n\tA ‸int\n}\n", "type T", "type T struct {", "}"},
		{"a.go", "package p\n\nconst (\n\tA = ‸1\n\tB = 2\n)\n", "declaration", "const (", ")"},
		{"a.py", "import os\n\nclass Calc:\n    @staticmethod\n    def add(a, b):\n        return a ‸- b\n", "method Calc.add", "    @staticmethod", "        return a - b"},
		{"a.py", "class Calc:\n    rate = ‸1\n\n    def f(self):\n        pass\n", "class Calc", "class Calc:", "        pass"},
		{"a.py", "x = 1\nf = lambda y: y ‸+ x\n", "function f", "f = lambda y: y + x", "f = lambda y: y + x"},
		{"a.js", "// doubles\nexport function f(a) {\n  return a ‸* 3\n}\n", "function f", "// doubles", "}"},
		{"a.js", "const g = (x) => {\n  return x ‸* 3\n}\n", "function g", "const g = (x) => {", "}"},
		{"a.js", "module.exports.double = function (x) {\n  return x ‸* 2\n}\n", "function module.exports.double", "module.exports.double = function (x) {", "}"},
		{"a.js", "class C {\n  m() {\n    return [1].map(x => x ‸+ 1)\n  }\n}\n", "method C.m", "  m() {", "  }"},
		{"a.ts", "export class Shop {\n  total(items: number[]): number {\n    return items.length ‸- 1\n  }\n}\n", "method Shop.total", "  total(items: number[]): number {", "  }"},
		{"a.ts", "interface I {\n  a: ‸number\n}\n", "type I", "interface I {", "}"},
		{"a.txt", strings.Repeat("line\n", 40) + "‸here\n" + strings.Repeat("line\n", 40), "lines", "line", "line"},
	}
	for _, c := range cases {
		off := strings.Index(c.src, "‸")
		src := strings.Replace(c.src, "‸", "", 1)
		f := analysis.NewFile(c.path, []byte(src), 0)
		s := Enclosing(context.Background(), f, off, off+1)
		text := src[s.Start:s.End]
		lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		if s.String() != c.want || lines[0] != c.first || lines[len(lines)-1] != c.last {
			t.Errorf("%s %q:\n got %s: %q … %q\nwant %s: %q … %q", c.path, c.src, s, lines[0], lines[len(lines)-1], c.want, c.first, c.last)
		}
		if c.path == "a.txt" && len(lines) != 2*maxContextLines+1 {
			t.Errorf("window of %d lines, want %d", len(lines), 2*maxContextLines+1)
		}
	}
}

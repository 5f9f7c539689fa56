package patch

import (
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// applyAnswer parses answer, computes its edits against files and returns
// the files afterwards (only those that changed).
func applyAnswer(t *testing.T, files map[string]string, answer string) (map[string]string, []FileEdit, error) {
	t.Helper()
	blocks, err := ParseAnswer(answer)
	if err != nil {
		return nil, nil, err
	}
	fes, err := Edits(blocks, mapReader(files))
	if err != nil {
		return nil, nil, err
	}
	out := map[string]string{}
	for _, fe := range fes {
		for _, e := range fe.Edits {
			if e.Path != fe.Path {
				t.Fatalf("edit of %s grouped under %s", e.Path, fe.Path)
			}
		}
		if _, ok := files[fe.Path]; ok == fe.New {
			t.Errorf("%s: New = %v, but the file exists: %v", fe.Path, fe.New, ok)
		}
		b, err := analysis.ApplyEdits([]byte(files[fe.Path]), fe.Edits)
		if err != nil {
			t.Fatalf("ApplyEdits(%s): %v", fe.Path, err)
		}
		out[fe.Path] = string(b)
	}
	return out, fes, nil
}

func mapReader(files map[string]string) ReadFunc {
	return func(p string) ([]byte, error) {
		s, ok := files[p]
		if !ok {
			return nil, fmt.Errorf("open %s: %w", p, fs.ErrNotExist)
		}
		return []byte(s), nil
	}
}

const calc = `package calc

// Add adds.
func Add(a, b int) int {
	return a - b
}

// Mul multiplies.
func Mul(a, b int) int {
	return a + b
}
`

func block(path, search, replace string) string {
	return path + "\n```go\n<<<<<<< SEARCH\n" + search + "=======\n" + replace + ">>>>>>> REPLACE\n```\n"
}

func TestEdits(t *testing.T) {
	cases := []struct {
		name   string
		files  map[string]string
		answer string
		want   map[string]string
	}{
		{
			name:   "exact",
			files:  map[string]string{"calc.go": calc},
			answer: block("calc.go", "func Add(a, b int) int {\n\treturn a - b\n}\n", "func Add(a, b int) int {\n\treturn a + b\n}\n"),
			want:   map[string]string{"calc.go": strings.Replace(calc, "a - b", "a + b", 1)},
		},
		{
			name:  "whitespace-insensitive, re-indented",
			files: map[string]string{"calc.go": calc},
			// The model lost the tab, left a trailing space and added a
			// blank line of context.
			answer: block("calc.go", "\nreturn a - b  \n", "\nif a == 0 {\n    return b\n}\nreturn a + b\n"),
			want:   map[string]string{"calc.go": strings.Replace(calc, "\treturn a - b\n", "\tif a == 0 {\n\t    return b\n\t}\n\treturn a + b\n", 1)},
		},
		{
			name:   "CRLF file",
			files:  map[string]string{"a.py": "def f():\r\n    return 1\r\n"},
			answer: block("a.py", "    return 1\n", "    return 2\n"),
			want:   map[string]string{"a.py": "def f():\r\n    return 2\r\n"},
		},
		{
			name:   "no final newline",
			files:  map[string]string{"a.py": "x = 1\ny = 2"},
			answer: block("a.py", "y = 2\n", "y = 3\n"),
			want:   map[string]string{"a.py": "x = 1\ny = 3"},
		},
		{
			name:   "create a file",
			files:  map[string]string{"calc.go": calc},
			answer: block("calc/doc.go", "", "// Package calc adds.\npackage calc\n"),
			want:   map[string]string{"calc/doc.go": "// Package calc adds.\npackage calc\n"},
		},
		{
			name:  "two blocks, the second matching what the first wrote",
			files: map[string]string{"calc.go": calc},
			answer: block("calc.go", "\treturn a - b\n", "\treturn a + b // fixed\n") +
				block("calc.go", "\treturn a + b // fixed\n}\n", "\treturn a + b\n}\n"),
			want: map[string]string{"calc.go": strings.Replace(calc, "a - b", "a + b", 1)},
		},
		{
			name:   "a hunk's line number picks among exact matches",
			files:  map[string]string{"calc.go": calc},
			answer: "```diff\n--- a/calc.go\n+++ b/calc.go\n@@ -11,1 +11,1 @@\n-}\n+} // Mul\n```\n",
			want:   map[string]string{"calc.go": strings.Replace(calc, "a + b\n}\n", "a + b\n} // Mul\n", 1)},
		},
		{
			name:   "deleting lines",
			files:  map[string]string{"calc.go": calc},
			answer: block("calc.go", "// Mul multiplies.\nfunc Mul(a, b int) int {\n\treturn a + b\n}\n", ""),
			want:   map[string]string{"calc.go": strings.TrimSuffix(calc, "// Mul multiplies.\nfunc Mul(a, b int) int {\n\treturn a + b\n}\n")},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _, err := applyAnswer(t, c.files, c.answer)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got\n%q\nwant\n%q", got, c.want)
			}
		})
	}
}

// Edits are trimmed to the lines that change, and distant blocks stay
// separate edits, so that "changed lines" mean what they say.
func TestEditsGranular(t *testing.T) {
	answer := block("calc.go", "// Add adds.\nfunc Add(a, b int) int {\n\treturn a - b\n}\n", "// Add adds.\nfunc Add(a, b int) int {\n\treturn a + b\n}\n") +
		block("calc.go", "func Mul(a, b int) int {\n\treturn a + b\n}\n", "func Mul(a, b int) int {\n\treturn a * b\n}\n")
	_, fes, err := applyAnswer(t, map[string]string{"calc.go": calc}, answer)
	if err != nil {
		t.Fatal(err)
	}
	if len(fes) != 1 || len(fes[0].Edits) != 2 {
		t.Fatalf("got %+v, want one file with two edits", fes)
	}
	for i, want := range []string{"\treturn a - b\n", "\treturn a + b\n"} {
		e := fes[0].Edits[i]
		if old := calc[e.Start:e.End]; old != want {
			t.Errorf("edit %d replaces %q, want %q", i, old, want)
		}
	}
}

func TestEditsErrors(t *testing.T) {
	files := map[string]string{"calc.go": calc, "dup.go": "x++\ny++\nx++\n"}
	cases := []struct{ answer, want string }{
		{block("calc.go", "func Add(a, b int) int {\n\treturn a * b\n}\n", "x\n"),
			"SEARCH block 1 not found in calc.go; closest lines: 4-6:\n" +
				"func Add(a, b int) int {\n\treturn a - b\n}\n" +
				`line 5 differs: the file has "return a - b", the SEARCH block has "return a * b"`},
		{block("calc.go", "nothing like it\n", "x\n"),
			"SEARCH block 1 not found in calc.go; no lines of the file resemble it: quote lines of the file as they are"},
		{block("dup.go", "x++\n", "x--\n"),
			"SEARCH block 1 matches 2 places in dup.go (lines 1, 3); add more context lines to make it unique"},
		{block("dup.go", "  x++\n", "x--\n"),
			"SEARCH block 1 matches 2 places in dup.go (lines 1, 3); add more context lines to make it unique"},
		{block("calc.go", "", "package calc\n"),
			"SEARCH block 1 is empty, but calc.go exists: quote the lines to replace (an empty SEARCH only creates a new file)"},
		{block("new.go", "package x\n", "package y\n"),
			"SEARCH block 1: new.go does not exist; to create it, leave SEARCH empty"},
		{block("../outside.go", "", "package x\n"), "SEARCH block 1: path ../outside.go leaves the workspace"},
		{block("a/../../outside.go", "", "package x\n"), "SEARCH block 1: path a/../../outside.go leaves the workspace"},
		{block("/etc/passwd", "", "root\n"), "SEARCH block 1: path /etc/passwd is absolute: paths must be relative to the workspace root"},
		{block(`C:\x.go`, "", "x\n"), `SEARCH block 1: path C:\x.go is absolute: paths must be relative to the workspace root`},
		{block(".git/hooks/pre-commit", "", "rm -rf ~\n"), "SEARCH block 1: path .git/hooks/pre-commit is inside .git, which edits may not touch"},
		{block("calc.go", "\treturn a - b\n", "\treturn a - b\n"), ErrNoChange.Error()},
		// Every failing block is reported.
		{block("calc.go", "nope\n", "x\n") + block("calc.go", "\treturn a - b\n", "\treturn a + b\n") + block("../x", "", "x\n"),
			"SEARCH block 1 not found in calc.go; no lines of the file resemble it: quote lines of the file as they are\n" +
				"SEARCH block 3: path ../x leaves the workspace"},
	}
	for _, c := range cases {
		_, _, err := applyAnswer(t, files, c.answer)
		if err == nil || err.Error() != c.want {
			t.Errorf("answer:\n%s\n got error: %v\nwant error: %s", c.answer, err, c.want)
		}
	}
	_, _, err := applyAnswer(t, files, block("calc.go", "nope\n", "x\n"))
	var be *BlockError
	if !errors.As(err, &be) || be.Index != 1 || be.Block.Path != "calc.go" {
		t.Errorf("want a *BlockError for block 1, got %#v", err)
	}
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{"a.go": "a.go", "./a/b.go": "a/b.go", `a\b.go`: "a/b.go", "a/../b.go": "b.go", " a.go ": "a.go"} {
		if got, err := CleanPath(in); err != nil || got != want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", ".", "..", "../a", "/a", `\a`, "C:/a", "a/.git/config", ".git"} {
		if got, err := CleanPath(in); err == nil {
			t.Errorf("CleanPath(%q) = %q, want an error", in, got)
		}
	}
}

// FuzzEdits checks that, whatever the blocks, Edits never panics and its
// edits turn the original content into the content the blocks produce one
// after the other.
func FuzzEdits(f *testing.F) {
	f.Add(calc, "\treturn a - b\n", "\treturn a + b\n", "}\n\n// Mul", "}\n// Mul")
	f.Add("a\nb\nc\n", "b\n", "x\ny\n", "y\nc\n", "z\n")
	f.Add("a\r\nb", "b\n", "", "a\n", "a\na\n")
	f.Fuzz(func(t *testing.T, content, s1, r1, s2, r2 string) {
		blocks := []Block{{Path: "f", Search: s1, Replace: r1}, {Path: "f", Search: s2, Replace: r2}}
		fes, err := Edits(blocks, mapReader(map[string]string{"f": content}))
		if err != nil {
			return
		}
		// Replay the blocks one at a time; the end result must agree.
		cur := content
		for _, b := range blocks {
			fe, err := Edits([]Block{b}, mapReader(map[string]string{"f": cur}))
			if errors.Is(err, ErrNoChange) {
				continue
			}
			if err != nil {
				t.Fatalf("block applies with the others but not alone: %v", err)
			}
			out, err := analysis.ApplyEdits([]byte(cur), fe[0].Edits)
			if err != nil {
				t.Fatal(err)
			}
			cur = string(out)
		}
		got, err := analysis.ApplyEdits([]byte(content), fes[0].Edits)
		if err != nil {
			t.Fatalf("ApplyEdits: %v", err)
		}
		if string(got) != cur {
			t.Fatalf("edits give %q, blocks in turn give %q", got, cur)
		}
		if !sort.SliceIsSorted(fes[0].Edits, func(i, j int) bool { return fes[0].Edits[i].Start < fes[0].Edits[j].Start }) {
			t.Fatalf("edits not sorted: %+v", fes[0].Edits)
		}
	})
}

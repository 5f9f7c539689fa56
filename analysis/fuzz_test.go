package analysis

import (
	"context"
	"math/rand"
	"testing"
	"unicode/utf8"
)

func runeStart(b []byte, i int) int {
	for i > 0 && i < len(b) && !utf8.RuneStart(b[i]) {
		i--
	}
	return i
}

// FuzzIncremental applies random edit scripts to source files and checks that
// the incrementally parsed tree equals a fresh parse of the same text (see
// sameParse), for every language, and that nothing panics.
func FuzzIncremental(f *testing.F) {
	f.Add(int64(1), "package p\n\nfunc f() {\n\tx := 1\n}\n", "go")
	f.Add(int64(2), "def f(x):\n    return [x, 2]\n", "python")
	f.Add(int64(3), "function f(a) { return a + 1 }\nconst s = `é😀`;\n", "javascript")
	f.Add(int64(4), "let x: number = 1;\ninterface I { a: string }\n", "typescript")
	f.Add(int64(5), "const A = () => <div>{1}</div>;\n", "tsx")
	pieces := []string{"\n", "(", ")", "{", "}", " ", "x", ":=", "é", "😀", "\"", "//", "#", "\t", "return ", "func ", "def ", ";"}
	f.Fuzz(func(t *testing.T, seed int64, src string, langName string) {
		lang := LanguageNamed(langName)
		if lang == nil || !utf8.ValidString(src) {
			// Documents arrive as JSON strings, always valid UTF-8; edits
			// arrive at character boundaries (Mapper.Offset rounds down).
			return
		}
		ctx := context.Background()
		file := NewFileLang("f", []byte(src), 0, lang)
		r := rand.New(rand.NewSource(seed))
		for step := 0; step < 8; step++ {
			n := len(file.Content)
			var changes []Change
			content := file.Content
			for k := 0; k < 1+r.Intn(3); k++ {
				s := r.Intn(n + 1)
				e := s + r.Intn(n-s+1)
				if r.Intn(2) == 0 {
					e = s + min(r.Intn(4), n-s)
				}
				text := ""
				for i := r.Intn(4); i > 0; i-- {
					text += pieces[r.Intn(len(pieces))]
				}
				s, e = runeStart(content, s), runeStart(content, e)
				changes = append(changes, Change{Start: s, End: e, Text: text})
				content = append(append(append([]byte{}, content[:s]...), text...), content[e:]...)
				n = n - (e - s) + len(text)
			}
			before := string(file.Content)
			next, err := file.Edit(ctx, changes, int32(step+1))
			if err != nil {
				t.Fatalf("edit: %v", err)
			}
			if string(file.Content) != before {
				t.Fatal("Edit modified the previous version")
			}
			if string(next.Content) != string(content) {
				t.Fatalf("Edit gave %q, want %q", next.Content, content)
			}
			if d := next.Delta(); d != nil {
				if d.Start < 0 || d.End > len(content) || d.OldEnd() < d.Start || d.OldEnd() > len(before) ||
					string(content[:d.Start]) != before[:d.Start] || string(content[d.End:]) != before[d.OldEnd():] {
					t.Fatalf("delta %+v does not bound the change %q -> %q", *d, before, content)
				}
			}
			got, err := next.Tree(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want, err := NewFileLang("f", next.Content, 0, lang).Tree(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sameParse(t, got.RootNode(), want.RootNode())
			file = next
		}
	})
}

package patch

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

var diffCases = []struct{ name, old, new string }{
	{"change", "a\nb\nc\n", "a\nB\nc\n"},
	{"delete", "a\nb\nc\n", "a\nc\n"},
	{"insert at both ends", "a\nb\nc\n", "x\na\nb\nc\ny\n"},
	{"add newline at end", "a\nb", "a\nb\n"},
	{"remove newline at end", "a\nb\n", "a\nb"},
	{"change last line without newline", "a\nb", "a\nc"},
	{"move", "1\n2\n3\n4\n5\n6\n", "1\n3\n2\n4\n6\n7\n"},
	{"far apart", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n", "1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\nFIFTEEN\n16\n"},
	{"close together", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\nTWO\n3\n4\n5\n6\n7\nEIGHT\n9\n10\n"},
	{"empty to text", "", "new\n"},
	{"crlf", "a\r\nb\r\n", "a\r\nB\r\n"},
	{"everything", "a\nb\n", "c\nd\ne\n"},
}

func TestDiffRoundTrip(t *testing.T) {
	for _, c := range diffCases {
		if strings.Contains(c.old, "\r") {
			continue // Parse drops carriage returns; git apply keeps them (TestDiffGitApply)
		}
		d := Diff("f.txt", "f.txt", []byte(c.old), []byte(c.new))
		files, err := Parse([]byte(d))
		if err != nil || len(files) != 1 {
			t.Errorf("%s: Parse: %v (%d files)\n%s", c.name, err, len(files), d)
			continue
		}
		got, err := files[0].Apply([]byte(c.old))
		if err != nil || string(got) != c.new {
			t.Errorf("%s: Apply gave %q, %v; want %q\n%s", c.name, got, err, c.new, d)
		}
	}
	if d := Diff("f", "f", []byte("same\n"), []byte("same\n")); d != "" {
		t.Errorf("unchanged file: %q, want no diff", d)
	}
}

func TestDiffShape(t *testing.T) {
	got := Diff("calc/calc.go", "calc/calc.go", []byte("package calc\n\nfunc Add(a, b int) int {\n\treturn a - b\n}\n"),
		[]byte("package calc\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"))
	want := `diff --git a/calc/calc.go b/calc/calc.go
--- a/calc/calc.go
+++ b/calc/calc.go
@@ -1,5 +1,5 @@
 package calc
 
 func Add(a, b int) int {
-	return a - b
+	return a + b
 }
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	far := Diff("f", "f", []byte(diffCases[7].old), []byte(diffCases[7].new))
	if n := strings.Count(far, "\n@@ "); n != 2 {
		t.Errorf("changes 13 lines apart make %d hunks, want 2:\n%s", n, far)
	}
	close := Diff("f", "f", []byte(diffCases[8].old), []byte(diffCases[8].new))
	if n := strings.Count(close, "\n@@ "); n != 1 {
		t.Errorf("changes 6 lines apart make %d hunks, want 1:\n%s", n, close)
	}
}

// TestDiffRandom checks the minimality-independent properties on random
// edits: the diff parses, applies to the old text, gives the new one, and
// reverts.
func TestDiffRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"a\n", "b\n", "c\n", "d\n", "}\n", "\n", "x"}
	gen := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(words[r.IntN(len(words))])
		}
		return strings.ReplaceAll(b.String(), "xx", "x")
	}
	for i := range 2000 {
		old := gen(r.IntN(30))
		nw := []byte(old)
		for range r.IntN(4) + 1 {
			at := r.IntN(len(nw) + 1)
			cut := min(at+r.IntN(6), len(nw))
			nw = append(append(append([]byte{}, nw[:at]...), gen(r.IntN(4))...), nw[cut:]...)
		}
		d := Diff("f", "f", []byte(old), nw)
		if d == "" {
			if old != string(nw) {
				t.Fatalf("case %d: no diff for a change %q -> %q", i, old, nw)
			}
			continue
		}
		files, err := Parse([]byte(d))
		if err != nil || len(files) != 1 {
			t.Fatalf("case %d: Parse: %v\n%s", i, err, d)
		}
		got, err := files[0].Apply([]byte(old))
		if err != nil || string(got) != string(nw) {
			t.Fatalf("case %d: %q -> %q: Apply gave %q, %v\n%s", i, old, nw, got, err, d)
		}
		back, err := files[0].Revert(nw)
		if err != nil || string(back) != old {
			t.Fatalf("case %d: Revert gave %q, %v\n%s", i, back, err, d)
		}
	}
}

func TestMyersIsShortest(t *testing.T) {
	a := strings.SplitAfter("a\nb\nc\na\nb\nb\na\n", "\n")
	b := strings.SplitAfter("c\nb\na\nb\na\nc\n", "\n")
	a, b = a[:len(a)-1], b[:len(b)-1]
	n := 0
	for _, o := range myers(a, b) {
		if o != keep {
			n++
		}
	}
	if n != 5 {
		t.Errorf("Myers' example: %d edits, want 5", n)
	}
}

// TestDiffGitApply checks that git apply takes what Diff writes: changes,
// new and deleted files, missing final newlines and names with spaces.
func TestDiffGitApply(t *testing.T) {
	testenv.NeedTool(t, "git")
	dir := t.TempDir()
	type file struct{ path, old, new string }
	files := []file{
		{"calc/calc.go", "package calc\n\nfunc Add(a, b int) int {\n\treturn a - b\n}\n", "package calc\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"},
		{"no newline.txt", "one\ntwo", "one\ntwo\nthree"},
		{"gone.txt", "bye\n", ""},
		{"", "", "made.txt"},
	}
	var patch strings.Builder
	for _, c := range diffCases {
		files = append(files, file{"cases/" + strings.ReplaceAll(c.name, " ", "_"), c.old, c.new})
	}
	for _, f := range files {
		switch {
		case f.path == "": // a new file: its path is in new
			patch.WriteString(Diff("", f.new, nil, []byte("fresh\n")))
		case f.path == "gone.txt":
			write(t, dir, f.path, f.old)
			patch.WriteString(Diff(f.path, "", []byte(f.old), nil))
		default:
			write(t, dir, f.path, f.old)
			patch.WriteString(Diff(f.path, f.path, []byte(f.old), []byte(f.new)))
		}
	}
	p := filepath.Join(t.TempDir(), "fix.diff")
	if err := os.WriteFile(p, []byte(patch.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"apply", "--check", p}, {"apply", p}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %s: %v\n%s\npatch:\n%s", strings.Join(args, " "), err, out, patch.String())
		}
	}
	for _, f := range files {
		switch {
		case f.path == "":
			check(t, dir, f.new, "fresh\n")
		case f.path == "gone.txt":
			if _, err := os.Stat(filepath.Join(dir, f.path)); err == nil {
				t.Errorf("%s still exists", f.path)
			}
		default:
			check(t, dir, f.path, f.new)
		}
	}
}

func write(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func check(t *testing.T, dir, rel, want string) {
	t.Helper()
	got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil || string(got) != want {
		t.Errorf("%s after git apply: %q, %v; want %q", rel, got, err, want)
	}
}

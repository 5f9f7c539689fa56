package patch

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

func read(t *testing.T, name string) []*File {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	files, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestParseGit(t *testing.T) {
	files := read(t, "git.diff")
	type row struct {
		Old, New string
		Status   Status
		OldR     []Range
		NewR     []Range
	}
	var got []row
	for _, f := range files {
		got = append(got, row{f.OldPath, f.NewPath, f.Status, f.OldRanges(), f.NewRanges()})
	}
	want := []row{
		{"", "add.txt", Added, []Range{{1, 1}}, []Range{{1, 2}}},
		{"del.txt", "", Deleted, []Range{{1, 3}}, []Range{{1, 1}}},
		{"m.txt", "m.txt", Modified, []Range{{2, 3}, {8, 8}}, []Range{{2, 3}, {8, 9}}},
		{"old.txt", "new.txt", Renamed, []Range{{7, 7}}, []Range{{7, 8}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func TestParsePlain(t *testing.T) {
	files := read(t, "plain.diff")
	if len(files) != 1 {
		t.Fatalf("got %d files, want 1", len(files))
	}
	f := files[0]
	if f.OldPath != "f.py" || f.NewPath != "f.py" || f.Status != Modified {
		t.Errorf("got %q -> %q %v, want f.py -> f.py modified", f.OldPath, f.NewPath, f.Status)
	}
	if got, want := f.OldRanges(), []Range{{2, 3}, {4, 4}}; !reflect.DeepEqual(got, want) {
		t.Errorf("OldRanges = %v, want %v", got, want)
	}
}

func TestApplyRevert(t *testing.T) {
	cases := []struct {
		diff     string
		file     string
		old, new string
	}{
		{"git.diff", "m.txt", "a\nb\nc\nd\ne\nf\ng\n", "a\nB\nc\nd\ne\nf\ng\nh\n"},
		{"git.diff", "new.txt", "one\ntwo\nthree\nfour\nfive\nsix\n", "one\ntwo\nthree\nfour\nfive\nsix\nseven\n"},
		{"git.diff", "add.txt", "", "hello\n"},
		{"git.diff", "del.txt", "x\ny\n", ""},
		{"plain.diff", "f.py", "l1\nl2\nl3\n", "l1\nL2\nl3\nl4"},
	}
	for _, c := range cases {
		var f *File
		for _, x := range read(t, c.diff) {
			if x.Path() == c.file {
				f = x
			}
		}
		if f == nil {
			t.Fatalf("%s: no diff for %s", c.diff, c.file)
		}
		got, err := f.Apply([]byte(c.old))
		if err != nil || string(got) != c.new {
			t.Errorf("%s: Apply = %q, %v; want %q", c.file, got, err, c.new)
		}
		back, err := f.Revert([]byte(c.new))
		if err != nil || string(back) != c.old {
			t.Errorf("%s: Revert = %q, %v; want %q", c.file, back, err, c.old)
		}
	}
}

func TestApplyMismatch(t *testing.T) {
	f := read(t, "git.diff")[2]
	if _, err := f.Apply([]byte("a\nX\nc\nd\ne\nf\ng\n")); err == nil {
		t.Error("Apply on content that differs from the hunk succeeded")
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"@@ -1 +1 @@\n-a\n+b\n",
		"--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+b\n",
		"--- a/x\n+++ b/x\n@@ -1 +1 @@\n?a\n",
		"--- a/x\n+++ b/x\n@@ bad @@\n",
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", in)
		}
	}
}

// What git and diff write beyond the basics: names with spaces, C-quoted
// names, CRLF line ends, a commit message before the diff, "Only in" lines
// between plain diff -ru files, a context line whose space an editor
// stripped, a binary file.
func TestParseVariants(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "old->new status hunk-lines|..." per file
	}{
		{"diff --git a/my file.go b/my file.go\nindex 1..2 100644\n--- a/my file.go\n+++ b/my file.go\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n",
			"my file.go->my file.go modified [ a -b +B  c]"},
		{"diff --git \"a/t\\tx.go\" \"b/t\\tx.go\"\n--- \"a/t\\tx.go\"\n+++ \"b/t\\tx.go\"\n@@ -1 +1 @@\n-a\n+b\n",
			"t\tx.go->t\tx.go modified [-a +b]"},
		{"--- a/x\r\n+++ b/x\r\n@@ -1,2 +1,2 @@\r\n a\r\n-b\r\n+B\r\n",
			"x->x modified [ a -b +B]"},
		{"commit abc\nAuthor: x\n\n    msg\n\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
			"x->x modified [-a +b]"},
		{"Only in a: z\ndiff -ru a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\nOnly in b: y\ndiff -ru a/w b/w\n--- a/w\n+++ b/w\n@@ -1 +1 @@\n-c\n+d\n",
			"x->x modified [-a +b]|w->w modified [-c +d]"},
		{"--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n\n",
			"x->x modified [ a -b +B  ]"},
		{"diff --git a/bin b/bin\nBinary files a/bin and b/bin differ\n",
			"bin->bin modified binary"},
	} {
		files, err := Parse([]byte(tc.in))
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		var got []string
		for _, f := range files {
			s := fmt.Sprintf("%s->%s %v", f.OldPath, f.NewPath, f.Status)
			if f.Binary {
				s += " binary"
			}
			for _, h := range f.Hunks {
				s += fmt.Sprintf(" %v", h.Lines)
			}
			got = append(got, s)
		}
		if g := strings.Join(got, "|"); g != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.in, g, tc.want)
		}
	}
}

func TestParseModes(t *testing.T) {
	for _, c := range []struct {
		header, want string
	}{
		{"new file mode 120000\n", "a symbolic link"},
		{"new file mode 160000\n", "a submodule"},
		{"new file mode 100755\n", ""},
		{"new file mode 100644\n", ""},
	} {
		files, err := Parse([]byte("diff --git a/x b/x\n" + c.header + "--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+y\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got := files[0].Special(); got != c.want {
			t.Errorf("%q: Special() = %q, want %q", c.header, got, c.want)
		}
	}
}

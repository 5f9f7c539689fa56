package patch

import (
	"os"
	"reflect"
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

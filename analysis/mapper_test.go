package analysis

import (
	"testing"
)

func TestMapperEncodings(t *testing.T) {
	// "é" is 2 bytes / 1 UTF-16 unit / 1 code point; "😀" is 4 bytes / 2 units / 1 point.
	content := []byte("ab\nxé😀z\r\nlast")
	m := NewMapper(content)
	off := len("ab\nxé😀") // at "z"
	for _, tc := range []struct {
		enc  Encoding
		line int
		col  int
	}{
		{UTF8, 1, 7}, {UTF16, 1, 4}, {UTF32, 1, 3},
	} {
		l, c := m.Position(off, tc.enc)
		if l != tc.line || c != tc.col {
			t.Errorf("%v: Position(%d) = %d:%d, want %d:%d", tc.enc, off, l, c, tc.line, tc.col)
		}
		back, err := m.Offset(tc.line, tc.col, tc.enc)
		if err != nil || back != off {
			t.Errorf("%v: Offset(%d:%d) = %d, %v; want %d", tc.enc, tc.line, tc.col, back, err, off)
		}
	}
}

func TestMapperEdges(t *testing.T) {
	content := []byte("ab\nxé😀z\r\nlast")
	m := NewMapper(content)
	// A column past the end of a line means the end of the line, before \r\n.
	if off, err := m.Offset(1, 99, UTF16); err != nil || off != len("ab\nxé😀z") {
		t.Errorf("past end of line: %d, %v", off, err)
	}
	// The middle of a surrogate pair rounds down to the character's start.
	if off, _ := m.Offset(1, 3, UTF16); off != len("ab\nxé") {
		t.Errorf("middle of surrogate pair: %d", off)
	}
	// The middle of a multi-byte character in UTF-8 rounds down too.
	if off, _ := m.Offset(1, 2, UTF8); off != len("ab\nx") {
		t.Errorf("middle of é: %d", off)
	}
	if _, err := m.Offset(3, 0, UTF16); err == nil {
		t.Error("a line past the end must be an error")
	}
	if l, c := m.Position(len(content), UTF16); l != 2 || c != 4 {
		t.Errorf("end: %d:%d", l, c)
	}
	// Invalid UTF-8 counts one unit per byte.
	bad := NewMapper([]byte{'a', 0xff, 0xfe, 'b'})
	if _, c := bad.Position(3, UTF16); c != 3 {
		t.Errorf("invalid UTF-8: col %d, want 3", c)
	}
}

func TestApplyEdits(t *testing.T) {
	src := []byte("hello world")
	out, err := ApplyEdits(src, []TextEdit{{Start: 6, End: 11, NewText: "there"}, {Start: 0, End: 0, NewText: ">> "}})
	if err != nil || string(out) != ">> hello there" {
		t.Fatalf("got %q, %v", out, err)
	}
	if _, err := ApplyEdits(src, []TextEdit{{Start: 0, End: 5}, {Start: 3, End: 7}}); err == nil {
		t.Error("overlapping edits must be rejected")
	}
	if _, err := ApplyEdits(src, []TextEdit{{Start: 5, End: 50}}); err == nil {
		t.Error("out-of-range edits must be rejected")
	}
}

func TestMatchGlob(t *testing.T) {
	for _, tc := range []struct {
		pat, path string
		want      bool
	}{
		{"**/*.go", "a/b/c.go", true},
		{"**/*.go", "c.go", true},
		{"*.go", "a/b/c.go", true},
		{"a/*.go", "a/b/c.go", false},
		{"a/**", "a/b/c.go", true},
		{"testdata/**/x.py", "testdata/x.py", true},
		{"a/**/b/*.go", "a/x/y/b/c.go", true},
		{"a/**/b/*.go", "a/x/y/b/c/d.go", false},
		{"*_test.[gp][oy]", "x/a_test.go", true},
		{"*.{js,ts}", "web/a.ts", true},
		{"a/**", "a", true},
	} {
		if got := MatchGlob(tc.pat, tc.path); got != tc.want {
			t.Errorf("MatchGlob(%q, %q) = %v", tc.pat, tc.path, got)
		}
	}
	if err := ValidGlob("a/[b"); err == nil {
		t.Error("ValidGlob accepts an unclosed class")
	}
	if err := ValidGlob("src/**/*.{go,py}"); err != nil {
		t.Error(err)
	}
}

func TestMapperLineRangeAndText(t *testing.T) {
	content := []byte("a\r\n\tbé\n\nlast")
	m := NewMapper(content)
	want := []struct {
		start, end int
		text       string
	}{{0, 3, "a"}, {3, 8, "\tbé"}, {8, 9, ""}, {9, 13, "last"}}
	if m.LineCount() != len(want) {
		t.Fatalf("LineCount = %d, want %d", m.LineCount(), len(want))
	}
	for l, w := range want {
		if s, e := m.LineRange(l); s != w.start || e != w.end {
			t.Errorf("LineRange(%d) = [%d, %d), want [%d, %d)", l, s, e, w.start, w.end)
		}
		if got := m.LineText(l); got != w.text {
			t.Errorf("LineText(%d) = %q, want %q", l, got, w.text)
		}
	}
	// The lines tile the content.
	if _, e := m.LineRange(m.LineCount() - 1); e != len(content) {
		t.Errorf("last line ends at %d, want %d", e, len(content))
	}
}

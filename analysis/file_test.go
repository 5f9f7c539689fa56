package analysis

import (
	"context"
	"testing"

	sitter "github.com/smacker/go-tree-sitter"
)

// sameTree fails the test if two trees differ in any node's kind, position
// or children.
func sameTree(t *testing.T, got, want *sitter.Node) {
	t.Helper()
	if got.Type() != want.Type() || got.StartByte() != want.StartByte() || got.EndByte() != want.EndByte() ||
		got.StartPoint() != want.StartPoint() || got.EndPoint() != want.EndPoint() ||
		got.ChildCount() != want.ChildCount() || got.IsMissing() != want.IsMissing() {
		t.Fatalf("incremental tree differs from a fresh parse:\n got %s %v-%v [%d,%d)\nwant %s %v-%v [%d,%d)\n got %s\nwant %s",
			got.Type(), got.StartPoint(), got.EndPoint(), got.StartByte(), got.EndByte(),
			want.Type(), want.StartPoint(), want.EndPoint(), want.StartByte(), want.EndByte(), got, want)
	}
	for i := 0; i < int(got.ChildCount()); i++ {
		sameTree(t, got.Child(i), want.Child(i))
	}
}

// sameParse compares an incremental parse with a fresh one. Text that parses
// cleanly must give the identical tree. For text with syntax errors,
// tree-sitter's error recovery depends on the trees it reuses, so the two may
// group the broken part differently; both must still see an error.
func sameParse(t *testing.T, got, want *sitter.Node) {
	t.Helper()
	if want.HasError() {
		if !got.HasError() {
			t.Fatalf("fresh parse has errors, incremental parse has none:\n got %s\nwant %s", got, want)
		}
		return
	}
	sameTree(t, got, want)
}

func TestIncrementalMultiLine(t *testing.T) {
	ctx := context.Background()
	src := "package p\n\nfunc a() {\n\tx := 1\n}\n\nfunc b() int { return 2 }\n"
	f := NewFile("p.go", []byte(src), 1)
	// Insert two lines before func a: every node after it moves down two rows.
	at := len("package p\n\n")
	g, err := f.Edit(ctx, []Change{{Start: at, End: at, Text: "var v = 1\nvar w = 2\n"}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.Tree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := NewFile("p.go", g.Content, 2).Tree(ctx)
	sameTree(t, got.RootNode(), want.RootNode())
	if string(f.Content) != src {
		t.Fatal("Edit modified the original file")
	}
}

func TestEditRejectsOutOfRange(t *testing.T) {
	f := NewFile("a.py", []byte("x = 1\n"), 1)
	if _, err := f.Edit(context.Background(), []Change{{Start: 3, End: 99}}, 2); err == nil {
		t.Fatal("want an error for a change past the end")
	}
}

func TestDelta(t *testing.T) {
	ctx := context.Background()
	old := "aaaa\nbbbb\ncccc\ndddd\n"
	f := NewFile("x.py", []byte(old), 1)
	// Two changes: grow line 2, then shrink line 4 (offsets of the text after the first).
	g, err := f.Edit(ctx, []Change{{Start: 5, End: 9, Text: "BBBBBB"}, {Start: 17, End: 21, Text: "D"}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	d := g.Delta()
	if d == nil || d.Prev != f {
		t.Fatal("no delta")
	}
	newText, oldText := string(g.Content), old
	if newText[:d.Start] != oldText[:d.Start] || newText[d.End:] != oldText[d.OldEnd():] {
		t.Errorf("delta %+v does not bound the change: %q -> %q", *d, oldText, newText)
	}
	if _, err := g.Edit(ctx, []Change{{Start: 0, End: 0, Text: "x"}}, 3); err != nil {
		t.Fatal(err)
	}
	if g.Delta() != nil {
		t.Error("a file keeps its delta after a newer version was made from it")
	}
}

// An editor's didChange makes the new version at once: Edit never parses,
// and versions superseded before anyone asked for their tree are never
// parsed; the newest is parsed incrementally from the last tree there was,
// with every change since, and its delta reaches back to that version.
func TestEditSkipsUnparsedVersions(t *testing.T) {
	ctx := context.Background()
	src := "package p\n\nfunc a() {\n\tx := 1\n}\n\nfunc b() int { return 2 }\n"
	f := NewFile("p.go", []byte(src), 1)
	if _, err := f.Tree(ctx); err != nil {
		t.Fatal(err)
	}
	at := len("package p\n\n")
	g, err := f.Edit(ctx, []Change{{Start: at, End: at, Text: "var v = 1\n"}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	end := len(g.Content) - len("}\n")
	h, err := g.Edit(ctx, []Change{{Start: end, End: end, Text: "+3 "}, {Start: at, End: at + 3, Text: "const"}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if g.parsed || h.parsed {
		t.Fatal("Edit parsed a version")
	}
	got, err := h.Tree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if g.parsed {
		t.Error("the superseded version was parsed")
	}
	want, _ := NewFile("p.go", h.Content, 3).Tree(ctx)
	sameTree(t, got.RootNode(), want.RootNode())
	d := h.Delta()
	if d == nil || d.Prev != f || !d.Exact {
		t.Fatalf("delta %+v: want one from version 1, exact", d)
	}
	newText, oldText := string(h.Content), src
	if newText[:d.Start] != oldText[:d.Start] || newText[d.End:] != oldText[d.OldEnd():] {
		t.Errorf("delta %+v does not bound the change: %q -> %q", *d, oldText, newText)
	}
	if h.origin != nil || h.pending != nil {
		t.Error("a parsed version keeps the version it was edited from")
	}
}

// Versions nobody parses do not gather every edit since the first, and the
// last of a long chain still parses to the right tree.
func TestEditChainNeverParsed(t *testing.T) {
	ctx := context.Background()
	f := NewFile("p.go", []byte("package p\n\nvar x = 1\n"), 1)
	for v := int32(2); v < 1000; v++ {
		at := len("package p\n\n")
		g, err := f.Edit(ctx, []Change{{Start: at, End: at, Text: "// c\n"}}, v)
		if err != nil {
			t.Fatal(err)
		}
		if len(g.pending) > maxPending+1 {
			t.Fatalf("version %d keeps %d tree edits", v, len(g.pending))
		}
		f = g
	}
	got, err := f.Tree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := NewFile("p.go", f.Content, 0).Tree(ctx)
	sameTree(t, got.RootNode(), want.RootNode())
}

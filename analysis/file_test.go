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

package workspace

import (
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/loop"
)

// TestFixRDJSONSuggestions: each change of the verified patch becomes a
// whole-line suggestion on the lines it replaces.
func TestFixRDJSONSuggestions(t *testing.T) {
	out := api.FixDocument{
		Patch: "diff --git a/pkg/a.go b/pkg/a.go\n--- a/pkg/a.go\n+++ b/pkg/a.go\n" +
			"@@ -1,4 +1,4 @@\n package a\n-var x = 1\n+var x = 2\n \n func f() {}\n" +
			"@@ -10,3 +10,4 @@\n func g() {\n+\tprintln()\n \treturn\n }\n" +
			"@@ -20,3 +21,2 @@\n a\n-b\n c\n",
		Problems: []*loop.Problem{{Kind: loop.KindDiagnostic, Path: "a.go", Line: 2, Column: 9, Severity: "warning", Code: "magic", Message: "a magic number", Status: "fixed"}},
		Attempts: []*loop.Attempt{{Problem: 1, N: 1, Source: "rule:magic", Accepted: true}},
	}
	doc, err := fixRDJSON(out)
	if err != nil {
		t.Fatal(err)
	}
	type sugg struct {
		path        string
		first, last int
		text        string
	}
	var got []sugg
	for _, d := range doc.Diagnostics {
		s := d.Suggestions[0]
		if d.Location.Range != s.Range {
			t.Errorf("the diagnostic's lines %+v differ from its suggestion's %+v", d.Location.Range, s.Range)
		}
		got = append(got, sugg{d.Location.Path, s.Range.Start.Line, s.Range.End.Line, s.Text})
	}
	want := []sugg{
		{"pkg/a.go", 2, 2, "var x = 2"},
		{"pkg/a.go", 10, 10, "func g() {\n\tprintln()"},
		{"pkg/a.go", 21, 21, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("suggestions %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("suggestion %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if m := doc.Diagnostics[0].Message; !strings.Contains(m, "[magic] a magic number") || !strings.Contains(m, "rule:magic") {
		t.Errorf("message: %q", m)
	}
}

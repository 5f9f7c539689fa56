package patch

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseBlocks(t *testing.T) {
	answer := "I found the bug: the operator is wrong.\n" +
		"\n" +
		"calc/calc.go\n" +
		"```go\n" +
		"<<<<<<< SEARCH\n" +
		"\treturn a - b\n" +
		"=======\n" +
		"\treturn a + b\n" +
		">>>>>>> REPLACE\n" +
		"```\n" +
		"\n" +
		"```go\n" +
		"<<<<<<<< SEARCH\n" + // eight: models miscount
		"func Sub() {}\n" +
		"========\n" +
		">>>>>>> REPLACE\n" +
		"```\n" +
		"And a new file, **calc/doc.go**:\n" +
		"\n" +
		"**calc/doc.go**\n" +
		"```go\n" +
		"<<<<<<< SEARCH\n" +
		"=======\n" +
		"// Package calc adds.\n" +
		"package calc\n" +
		">>>>>>> REPLACE\n" +
		"```\n" +
		"In `README.md`:\n" +
		"<<<<<<< SEARCH\n" +
		"old\n" +
		"=======\n" +
		"new\n" +
		"=======\n" + // a divider inside REPLACE is content
		">>>>>>> REPLACE\n" +
		"```python calc.py\n" +
		"<<<<<<< SEARCH\n" +
		"x = 1\n" +
		"=======\n" +
		"x = 2\n" +
		">>>>>>> REPLACE\n" +
		"```\n" +
		"That's all.\n"
	wantBlocks(t, ParseBlocks, answer, []Block{
		{Path: "calc/calc.go", Search: "\treturn a - b\n", Replace: "\treturn a + b\n", Line: 5},
		{Path: "calc/calc.go", Search: "func Sub() {}\n", Replace: "", Line: 13},
		{Path: "calc/doc.go", Search: "", Replace: "// Package calc adds.\npackage calc\n", Line: 22},
		{Path: "README.md", Search: "old\n", Replace: "new\n=======\n", Line: 29},
		{Path: "calc.py", Search: "x = 1\n", Replace: "x = 2\n", Line: 36},
	})
}

// wantBlocks checks that parse reads answer as the blocks want.
func wantBlocks(t *testing.T, parse func(string) ([]Block, error), answer string, want []Block) {
	t.Helper()
	got, err := parse(answer)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%#v\nwant\n%#v", got, want)
	}
}

// wantErrors checks that parse (named name) refuses each case's answer with
// the error message want.
func wantErrors[T any](t *testing.T, name string, parse func(string) (T, error), cases []struct{ answer, want string }) {
	t.Helper()
	for _, c := range cases {
		_, err := parse(c.answer)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s(%q)\n got error %v\nwant %s", name, c.answer, err, c.want)
		}
	}
}

func TestParseBlocksErrors(t *testing.T) {
	cases := []struct{ answer, want string }{
		{"Here is the fix:\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n",
			"answer line 2: the SEARCH block names no file: put the file's path on the line before it"},
		{"a.go\n<<<<<<< SEARCH\na\n>>>>>>> REPLACE\n",
			"answer line 2: the SEARCH block for a.go has no ======= line before line 4"},
		{"a.go\n<<<<<<< SEARCH\na\n=======\nb\n",
			"answer line 2: the SEARCH block for a.go has no >>>>>>> REPLACE line (was the answer cut off?)"},
		{"a.go\n<<<<<<< SEARCH\na\n",
			"answer line 2: the SEARCH block for a.go has no ======= line (was the answer cut off?)"},
		{"a.go\n<<<<<<< SEARCH\na\n=======\nb\nb.go\n<<<<<<< SEARCH\n",
			"answer line 2: the SEARCH block for a.go has no >>>>>>> REPLACE line before the next block at line 7"},
	}
	wantErrors(t, "ParseBlocks", ParseBlocks, cases)
}

func TestParseAnswerDiff(t *testing.T) {
	answer := "The fix:\n\n" +
		"```diff\n" +
		"--- a/calc/calc.go\n" +
		"+++ b/calc/calc.go\n" +
		"@@ -3,4 +3,4 @@ package calc\n" + // miscounted: 3 lines, not 4
		" func Add(a, b int) int {\n" +
		"-\treturn a - b\n" +
		"+\treturn a + b\n" +
		"@@ ... @@\n" +
		" func Mul(a, b int) int {\n" +
		"\n" + // an empty context line whose space was stripped
		"-\treturn a + b\n" +
		"+\treturn a * b\n" +
		"--- /dev/null\n" +
		"+++ b/calc/doc.go\n" +
		"@@ -0,0 +1,1 @@\n" +
		"+package calc\n" +
		"```\n" +
		"Done.\n"
	wantBlocks(t, ParseAnswer, answer, []Block{
		{Path: "calc/calc.go", Search: "func Add(a, b int) int {\n\treturn a - b\n", Replace: "func Add(a, b int) int {\n\treturn a + b\n", Line: 6, Hint: 3},
		{Path: "calc/calc.go", Search: "func Mul(a, b int) int {\n\n\treturn a + b\n", Replace: "func Mul(a, b int) int {\n\n\treturn a * b\n", Line: 10},
		{Path: "calc/doc.go", Search: "", Replace: "package calc\n", Line: 17},
	})

	// Without fences, a whole answer that is a diff counts.
	bare := "--- calc.py\n+++ calc.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
	got, err := ParseAnswer(bare)
	if err != nil || len(got) != 1 || got[0].Search != "x = 1\n" || got[0].Replace != "x = 2\n" || got[0].Hint != 1 {
		t.Errorf("bare diff: got %#v, %v", got, err)
	}
}

func TestParseAnswerErrors(t *testing.T) {
	cases := []struct{ answer, want string }{
		{"I cannot help with that.", ErrNoEdits.Error()},
		{"```go\nfunc main() {}\n```\n", ErrNoEdits.Error()},
		{"```diff\n--- a/x.go\n+++ /dev/null\n@@ -1 +0,0 @@\n-package x\n```\n",
			"answer line 2: the diff deletes x.go: deleting files is not supported; change its content instead"},
		{"```diff\n--- a/x.go\n+++ b/y.go\n@@ -1 +1 @@\n-package x\n+package y\n```\n",
			"answer line 2: the diff renames x.go to y.go: renaming files is not supported; change their content instead"},
		{"```diff\n--- a/x.go\n+++ b/x.go\n@@ -1 +1 @@\n+// added\n```\n",
			"answer line 4: the hunk for x.go has no context lines: include the lines around the change"},
		{"```diff\n@@ -1 +1 @@\n-a\n+b\n```\n",
			"answer line 2: hunk before any ---/+++ file header"},
	}
	wantErrors(t, "ParseAnswer", ParseAnswer, cases)
	if _, err := ParseAnswer("no edits here"); !errors.Is(err, ErrNoEdits) {
		t.Errorf("want ErrNoEdits, got %v", err)
	}
}

func TestExtractDiffs(t *testing.T) {
	answer := "text\n````diff\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n````\n```\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-c\n+d\n```\n```go\nx := 1\n```\n"
	got := ExtractDiffs(answer)
	want := []string{"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n", "--- a/y\n+++ b/y\n@@ -1 +1 @@\n-c\n+d\n"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	// What it extracts, the strict parser reads.
	for _, d := range got {
		files, err := Parse([]byte(d))
		if err != nil || len(files) != 1 {
			t.Errorf("Parse(%q) = %v, %v", d, files, err)
		}
	}
	if got := ExtractDiffs(strings.Repeat("prose\n", 3)); got != nil {
		t.Errorf("prose: got %q", got)
	}
}

// FuzzParseAnswer checks that no answer, however mangled, panics the parser,
// and that every block it reads names a path and a line of the answer.
func FuzzParseAnswer(f *testing.F) {
	f.Add("a.go\n```go\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```\n")
	f.Add("```diff\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n\n c\n```\n")
	f.Add("--- x\n+++ x\n@@\n-\n+\n")
	f.Fuzz(func(t *testing.T, answer string) {
		blocks, err := ParseAnswer(answer)
		if err != nil {
			return
		}
		n := strings.Count(answer, "\n") + 1
		for _, b := range blocks {
			if b.Path == "" || b.Line < 1 || b.Line > n {
				t.Fatalf("block %+v of an answer of %d lines", b, n)
			}
		}
	})
}

// ExtractDiffs returns the bodies of the ```diff (or ```patch) fences of a
// model's answer, and, when it has no fences at all, the answer itself if it
// reads as a unified diff.
func ExtractDiffs(text string) []string {
	var out []string
	for _, d := range extractDiffs(text) {
		out = append(out, d.body)
	}
	return out
}

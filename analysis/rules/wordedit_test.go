package rules

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/analysistest"
)

// TestPatternIncrementalWordTypedIn: an edit that brings a rule's words
// into the file (a team rule's call typed in) or takes them out is still
// matched incrementally, for rules that cannot look past a declaration,
// and the result equals a full run; a rule that can (inside the root)
// makes that version, and the next, full runs.
func TestPatternIncrementalWordTypedIn(t *testing.T) {
	t.Run("another rule applies throughout", func(t *testing.T) { wordTypedIn(t, true) })
	t.Run("no rule applies before", func(t *testing.T) { wordTypedIn(t, false) })
}

func wordTypedIn(t *testing.T, withBase bool) {
	// g-call applies to every version, as the pack does to a real file: a
	// version where no pattern rule applies is not matched at all.
	src := `id: g-call
language: go
message: g
rule:
  pattern:
    context: 'func t() { g($$$A) }'
    selector: call_expression
---
id: sprintln
language: go
message: fmt.Sprintln
rule:
  pattern:
    context: 'func t() { fmt.Sprintln($$$A) }'
    selector: call_expression
---
id: fatal-in-loop
language: go
message: log.Fatal in a loop
rule:
  pattern:
    context: 'func t() { log.Fatal($$$A) }'
    selector: call_expression
  inside:
    kind: for_statement
    stopBy: end
---
id: exit-in-file
language: go
message: os.Exit in a file that calls it
rule:
  pattern:
    context: 'func t() { os.Exit($$$A) }'
    selector: call_expression
  inside:
    kind: source_file
    stopBy: end
`
	if !withBase {
		_, src, _ = strings.Cut(src, "---\n")
	}
	set := compile(t, src)
	as := set.Analyzers()
	var b strings.Builder
	b.WriteString("package a\n\n")
	for i := 0; i < 20; i++ {
		b.WriteString("func f() {\n\tfor x := range xs {\n\t\tg(x)\n\t}\n}\n\n")
	}
	ctx := context.Background()
	f := analysis.NewFile("a.go", []byte(b.String()), 1)
	analysis.Run(ctx, f, as)
	if _, err := f.Tree(ctx); err != nil { // as the syntax analyzer does
		t.Fatal(err)
	}
	steps := []struct {
		old, new    string
		incremental bool
		findings    int
	}{
		{"\t\tg(x)\n", "\t\tg(x)\n\t\tlog.Fatal(x)\n", true, 1},
		{"g(x)\n\t}\n}\n\nfunc f() {\n\tfor x := range xs {\n\t\tg(x)", "g(x)\n\t}\n}\n\nfunc f() {\n\tfor x := range xs {\n\t\tfmt.Sprintln(x)", true, 2},
		{"\t\tlog.Fatal(x)\n", "", true, 1},
		{"\t\tfmt.Sprintln(x)\n", "\t\tg(x)\n", true, 0},
		{"\t\tg(x)\n", "\t\tos.Exit(1)\n", false, 1},
		// the previous version looked at the root: a full run
		{"\t\tos.Exit(1)\n", "\t\tg(x)\n", false, 0},
		{"\t\tg(x)\n", "\t\tfmt.Sprintln(x)\n", true, 1},
	}
	if !withBase {
		// no rule applies before the first step: that version has no
		// findings to start from, and needs none (step 3 leaves none
		// that applies: nothing runs)
		steps = steps[:3]
	}
	for i, st := range steps {
		at := strings.Index(string(f.Content), st.old)
		if at < 0 {
			t.Fatalf("step %d: %q not in the file", i, st.old)
		}
		before := rematches.Load()
		next, err := f.Edit(ctx, []analysis.Change{{Start: at, End: at + len(st.old), Text: st.new}}, int32(i+2))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := analysis.Run(ctx, next, as)
		want, _ := analysis.Run(ctx, analysis.NewFile("a.go", next.Content, int32(i+2)), as)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("step %d: incremental %s\nfull        %s", i, analysistest.Summary(got), analysistest.Summary(want))
		}
		n := 0
		for _, d := range got {
			if d.Code != "g-call" {
				n++
			}
		}
		if n != st.findings {
			t.Errorf("step %d: %d findings, want %d: %s", i, n, st.findings, analysistest.Summary(got))
		}
		if inc := rematches.Load() > before; inc != st.incremental {
			t.Errorf("step %d (%q -> %q): incremental %v, want %v", i, st.old, st.new, inc, st.incremental)
		}
		f = next
	}
}

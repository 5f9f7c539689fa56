package analysistest

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// EditEqualsFresh applies the change c to f as version v and checks that
// the analyzers' results on the edited file, which may reuse f's (the
// incremental paths), equal those of a fresh file with its text. It returns
// the edited file, and whether the results were compared: tree-sitter's
// error recovery depends on the trees it reuses (see
// analysis.FuzzIncremental), so when the edited and the fresh trees differ
// it is the trees, not the analyzers, that differ, and nothing is compared.
func EditEqualsFresh(t testing.TB, ctx context.Context, f *analysis.File, c analysis.Change, v int32, as []*analysis.Analyzer) (*analysis.File, bool) {
	t.Helper()
	next, err := f.Edit(ctx, []analysis.Change{c}, v)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := analysis.Run(ctx, next, as)
	fresh := analysis.NewFile(f.Path, next.Content, v)
	want, _ := analysis.Run(ctx, fresh, as)
	t1, _ := next.Tree(ctx)
	t2, _ := fresh.Tree(ctx)
	if t1.RootNode().String() != t2.RootNode().String() {
		return next, false
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("version %d after replacing [%d,%d) with %q:\nincremental %s\nfull        %s\ntext:\n%s", v, c.Start, c.End, c.Text, Summary(got), Summary(want), next.Content)
	}
	return next, true
}

// Summary lists diagnostics as code@start-end, for failure messages.
func Summary(ds []analysis.Diagnostic) string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s@%d-%d", d.Code, d.Start, d.End))
	}
	return strings.Join(out, " ")
}

// RandomChange is an edit as a typing editor makes them, at random: up to
// 11 bytes of content replaced, two times in three by one of pieces.
func RandomChange(r *rand.Rand, content []byte, pieces []string) analysis.Change {
	n := len(content)
	s := r.Intn(n + 1)
	c := analysis.Change{Start: s, End: min(n, s+r.Intn(12))}
	if r.Intn(3) > 0 {
		c.Text = pieces[r.Intn(len(pieces))]
	}
	return c
}

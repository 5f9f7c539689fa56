package plugins_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/plugins/examples/todo-owner/todoowner"
)

// After an edit, a plugin built with the SDK is sent the change, not the
// file, and its findings are those of the analyzer run in process on the
// new text, edit after edit (the real todo-owner plugin process).
func TestPluginGetsEdits(t *testing.T) {
	h, fs, err := startHost(t, todoSpec())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	content := "package p\n\n// TODO: no owner\nfunc f() {}\n\n// TODO(ann): owned\nvar x = 1\n"
	f := analysis.NewFile("e.go", []byte(content), 1)
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"", "x", "// TODO: more\n", "\n", "TODO", "func g() {}\n", "(", "é"}
	const versions = 60
	for v := 1; v <= versions; v++ {
		if v > 1 {
			a := rng.IntN(len(f.Content) + 1)
			b := min(len(f.Content), a+rng.IntN(8))
			f, err = f.Edit(ctx, []analysis.Change{{Start: a, End: b, Text: pieces[rng.IntN(len(pieces))]}}, int32(v))
			if err != nil {
				t.Fatal(err)
			}
		}
		viaPlugin, errs := analysis.Run(ctx, f, h.Analyzers())
		if len(errs) > 0 {
			t.Fatalf("version %d: %v", v, errs)
		}
		inProcess, _ := analysis.Run(ctx, analysis.NewFile("e.go", f.Content, int32(v)), []*analysis.Analyzer{todoowner.Analyzer})
		if len(viaPlugin) != len(inProcess) {
			t.Fatalf("version %d of %q: %d findings through the plugin, %d in process", v, f.Content, len(viaPlugin), len(inProcess))
		}
		for i := range viaPlugin {
			p, q := viaPlugin[i], inProcess[i]
			p.Source, q.Source = "", ""
			if fmt.Sprint(p) != fmt.Sprint(q) {
				t.Fatalf("version %d of %q:\nplugin     %+v\nin process %+v", v, f.Content, p, q)
			}
		}
	}
	whole, edits := h.Sent(0)
	if whole != 1 || edits != versions-1 {
		t.Errorf("sent %d files whole and %d as edits; want 1 and %d", whole, edits, versions-1)
	}
	if errs := fs.All(); len(errs) > 0 {
		t.Errorf("failures reported: %v", errs)
	}
}

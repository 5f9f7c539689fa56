package lsp

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
)

// todo reports every "TODO" with one fix (DONE), and every "FIXME" with two.
var todo = &analysis.Analyzer{
	Name: "todo",
	Doc:  "finds TODO",
	Run: func(p *analysis.Pass) error {
		c := p.Content()
		for _, w := range []string{"TODO", "FIXME"} {
			for off := 0; ; {
				i := bytes.Index(c[off:], []byte(w))
				if i < 0 {
					break
				}
				start := off + i
				end := start + len(w)
				d := analysis.Diagnostic{Start: start, End: end, Message: w + " left"}
				d.Fixes = []analysis.Fix{{Title: "mark done", Edits: []analysis.TextEdit{{Path: p.File.Path, Start: start, End: end, NewText: "DONE"}}}}
				if w == "FIXME" {
					d.Fixes = append(d.Fixes, analysis.Fix{Title: "delete", Edits: []analysis.TextEdit{{Path: p.File.Path, Start: start, End: end}}})
				}
				p.Report(d)
				off = end
			}
		}
		return nil
	},
}

func codeActions(t *testing.T, c *client, rng [4]int, only ...string) []codeAction {
	t.Helper()
	ctx := map[string]any{"diagnostics": []any{}}
	if only != nil {
		ctx["only"] = only
	}
	m := c.call("textDocument/codeAction", map[string]any{
		"textDocument": map[string]any{"uri": goURI},
		"range": map[string]any{
			"start": map[string]int{"line": rng[0], "character": rng[1]},
			"end":   map[string]int{"line": rng[2], "character": rng[3]},
		},
		"context": ctx,
	})
	if m.Error != nil {
		t.Fatalf("codeAction: %s", m.Error.Message)
	}
	var as []codeAction
	if err := json.Unmarshal(m.Result, &as); err != nil {
		t.Fatal(err)
	}
	return as
}

const todoSrc = "package p\n\n// TODO: one\n// FIXME: two\n// TODO: three\n"

func TestQuickFixVersioned(t *testing.T) {
	c := newClient(t, []*analysis.Analyzer{syntax.Analyzer, todo})
	c.initialize(map[string]any{"workspace": map[string]any{"workspaceEdit": map[string]any{"documentChanges": true}}})
	c.open(goURI, "go", 7, todoSrc)
	if d := c.diagnostics(goURI, 7); len(d) != 3 {
		t.Fatalf("diagnostics %+v, want 3", d)
	}
	as := codeActions(t, c, [4]int{2, 4, 2, 4})
	if len(as) != 1 {
		t.Fatalf("actions %+v, want the one fix of line 2", as)
	}
	a := as[0]
	if a.Kind != "quickfix" || !a.IsPreferred || a.Title != "mark done" || len(a.Diagnostics) != 1 {
		t.Errorf("action %+v", a)
	}
	dc := a.Edit.DocumentChanges
	if len(dc) != 1 || dc[0].TextDocument.Version == nil || *dc[0].TextDocument.Version != 7 || string(dc[0].TextDocument.URI) != goURI {
		t.Fatalf("documentChanges %+v, want one versioned edit of %s at version 7", dc, goURI)
	}
	e := dc[0].Edits[0]
	if e.NewText != "DONE" || e.Range.Start.Line != 2 || e.Range.Start.Character != 3 || e.Range.End.Character != 7 {
		t.Errorf("edit %+v", e)
	}
	// Two fixes: neither is preferred.
	as = codeActions(t, c, [4]int{3, 5, 3, 5})
	if len(as) != 2 || as[0].IsPreferred || as[1].IsPreferred {
		t.Errorf("actions for FIXME %+v, want two, none preferred", as)
	}
}

func TestQuickFixPlainChanges(t *testing.T) {
	c := newClient(t, []*analysis.Analyzer{syntax.Analyzer, todo})
	c.initialize(nil)
	c.open(goURI, "go", 1, todoSrc)
	c.diagnostics(goURI, 1)
	as := codeActions(t, c, [4]int{4, 0, 4, 5})
	if len(as) != 1 || as[0].Edit.DocumentChanges != nil || len(as[0].Edit.Changes[goURI]) != 1 {
		t.Fatalf("actions %+v, want one plain change", as)
	}
	// After an edit the actions follow the new text, not the old diagnostics.
	c.change(goURI, 2, &[4]int{0, 0, 0, 0}, "\n")
	as = codeActions(t, c, [4]int{5, 0, 5, 5})
	if len(as) != 1 || as[0].Edit.Changes[goURI][0].Range.Start.Line != 5 {
		t.Fatalf("actions after an edit %+v", as)
	}
}

func TestFixAll(t *testing.T) {
	c := newClient(t, []*analysis.Analyzer{syntax.Analyzer, todo})
	c.initialize(map[string]any{"workspace": map[string]any{"workspaceEdit": map[string]any{"documentChanges": true}}})
	c.open(goURI, "go", 3, todoSrc)
	c.diagnostics(goURI, 3)
	// Not offered unless asked for.
	for _, a := range codeActions(t, c, [4]int{0, 0, 5, 0}) {
		if a.Kind != "quickfix" {
			t.Errorf("unrequested action %+v", a)
		}
	}
	for _, only := range [][]string{{"source.fixAll"}, {"source"}, {"source.fixAll.gauntlet"}} {
		as := codeActions(t, c, [4]int{0, 0, 0, 0}, only...)
		if len(as) != 1 || as[0].Kind != "source.fixAll.gauntlet" {
			t.Fatalf("only %v: actions %+v, want fix-all", only, as)
		}
		edits := as[0].Edit.DocumentChanges[0].Edits
		if len(edits) != 3 {
			t.Fatalf("fix-all has %d edits, want 3 (the first fix of each finding)", len(edits))
		}
	}
	if as := codeActions(t, c, [4]int{0, 0, 0, 0}, "refactor"); len(as) != 0 {
		t.Errorf("only refactor: %+v", as)
	}
}

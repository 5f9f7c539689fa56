package lsp

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// bigGo returns a syntactically valid Go file of at least size bytes.
func bigGo(size int) string {
	var b strings.Builder
	b.WriteString("package big\n\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "// f%d adds.\nfunc f%d(a, b int) int {\n\tif a > b {\n\t\treturn a - b\n\t}\n\treturn a + b + %d\n}\n\n", i, i, i)
	}
	return b.String()
}

// TestLargeDocumentDoesNotDelayOthers: with a 17 MB Go file opened and
// edited on the same connection, a code action on a 3-line file is
// answered, and an edit of that file diagnosed, before the large file's
// diagnostics are published: the large file is parsed off the request
// path, and its edits do not wait for its parse. Asserted by the order of
// the messages the client receives, not by time.
func TestLargeDocumentDoesNotDelayOthers(t *testing.T) {
	c := newClient(t, nil)
	c.initialize(nil)
	const small, big = "file:///work/small.go", "file:///work/big.go"
	c.open(small, "go", 1, "package p\n\nfunc f() { _ = 1 }\n")
	c.diagnostics(small, 1)

	text := bigGo(17 << 20)
	c.open(big, "go", 1, text)
	// Typing in the large file: each edit supersedes the last.
	mid := strings.Count(text[:len(text)/2], "\n")
	for v := 2; v <= 4; v++ {
		c.change(big, v, &[4]int{mid, 0, mid, 0}, "// typed\n")
	}
	id := c.request("textDocument/codeAction", map[string]any{
		"textDocument": map[string]any{"uri": small},
		"range":        map[string]any{"start": map[string]int{"line": 2, "character": 0}, "end": map[string]int{"line": 2, "character": 0}},
		"context":      map[string]any{"diagnostics": []any{}},
	})
	// An edit of the small file that breaks it.
	c.change(small, 2, &[4]int{2, 17, 2, 18}, "")
	if m := c.response(id); m.Error != nil {
		t.Fatalf("code action: %s", m)
	}
	if len(c.diagnostics(small, 2)) == 0 {
		t.Fatal("no syntax error reported for the broken small file")
	}
	c.diagnostics(big, 4) // the large file is still analysed, at its last version

	var order []string
	answered, smallDiagnosed, bigDiagnosed := -1, -1, -1
	for i, m := range c.messages() {
		switch {
		case m.Method == "" && string(m.ID) == fmt.Sprint(id):
			answered = i
			order = append(order, "code action answered")
		case m.Method == "textDocument/publishDiagnostics":
			var p publishDiagnosticsParams
			if err := json.Unmarshal(m.Params, &p); err != nil {
				t.Fatal(err)
			}
			order = append(order, fmt.Sprintf("diagnostics of %s v%d", p.URI, *p.Version))
			switch {
			case string(p.URI) == big && bigDiagnosed < 0:
				bigDiagnosed = i
			case string(p.URI) == small && *p.Version == 2:
				smallDiagnosed = i
			}
		}
	}
	if answered > bigDiagnosed || smallDiagnosed > bigDiagnosed {
		t.Fatalf("the small file waited for the large one; messages in order:\n%s", strings.Join(order, "\n"))
	}
}

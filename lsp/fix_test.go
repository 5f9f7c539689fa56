package lsp

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	lspt "github.com/sourcegraph/go-lsp"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/model"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

const (
	fixCalc = "package calc\n\n// Add returns a + b.\n// TODO: it subtracts\nfunc Add(a, b int) int {\n\treturn a - b\n}\n"
	fixTest = "package calc\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n\tif got := Add(2, 3); got != 5 {\n\t\tt.Errorf(\"Add(2, 3) = %d, want 5\", got)\n\t}\n}\n"
	// The model's answer: the right fix, which also removes the TODO.
	fixAnswer = "calc.go\n```go\n<<<<<<< SEARCH\n// TODO: it subtracts\nfunc Add(a, b int) int {\n\treturn a - b\n}\n=======\nfunc Add(a, b int) int {\n\treturn a + b\n}\n>>>>>>> REPLACE\n```\n"
)

// fixWorkspace writes a Go module whose Add subtracts (TestAdd fails) and
// carries a TODO finding.
func fixWorkspace(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("go is not on PATH")
	}
	dir := t.TempDir()
	for name, content := range map[string]string{"go.mod": "module example.com/calc\n\ngo 1.22\n", "calc.go": fixCalc, "calc_test.go": fixTest} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fixClient starts a server over dir whose engine has the todo analyzer and
// model m, with every gate, and an editor that applies workspace/applyEdit
// (answering after it sends the didChange, as VS Code does) unless
// applyEdit is replaced.
type fixEditor struct {
	*client
	dir, uri string

	mu      sync.Mutex
	text    string
	version int
	edits   []applyEditParams
	// skip makes the editor answer applied=true without changing the text
	// (Neovim 0.7 with a stale edit).
	skip bool
}

func newFixEditor(t *testing.T, m model.Model) *fixEditor {
	t.Helper()
	dir := fixWorkspace(t)
	c := newClient(t, []*analysis.Analyzer{syntax.Analyzer, todo})
	c.srv.engine.(*server.Engine).SetLoop(server.Loop{Model: m, Verify: verify.Options{CacheDir: t.TempDir()}})
	e := &fixEditor{client: c, dir: dir, uri: string(pathURI(filepath.Join(dir, "calc.go"))), text: fixCalc, version: 1}
	c.onRequest = e.serve
	res := c.call("initialize", map[string]any{"processId": nil, "rootUri": string(pathURI(dir)), "capabilities": map[string]any{
		"workspace": map[string]any{"applyEdit": true, "workspaceEdit": map[string]any{"documentChanges": true}},
		"window":    map[string]any{"workDoneProgress": true},
	}})
	if res.Error != nil {
		t.Fatal(res.Error.Message)
	}
	c.notify("initialized", map[string]any{})
	c.open(e.uri, "go", 1, fixCalc)
	return e
}

// serve answers the server's requests as an editor would.
func (e *fixEditor) serve(m *message) any {
	if m.Method != "workspace/applyEdit" {
		return nil
	}
	var p applyEditParams
	if err := json.Unmarshal(m.Params, &p); err != nil {
		e.t.Errorf("applyEdit params: %v", err)
		return applyEditResult{Applied: false, FailureReason: "bad params"}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.edits = append(e.edits, p)
	if e.skip {
		return applyEditResult{Applied: true}
	}
	for _, dc := range p.Edit.DocumentChanges {
		if string(dc.TextDocument.URI) != e.uri || dc.TextDocument.Version == nil || int(*dc.TextDocument.Version) != e.version {
			return applyEditResult{Applied: false, FailureReason: "stale"}
		}
		text := e.text
		m := analysis.NewMapper([]byte(text))
		// Edits refer to the text before any of them; apply from the end.
		for i := len(dc.Edits) - 1; i >= 0; i-- {
			ed := dc.Edits[i]
			s, _ := m.Offset(ed.Range.Start.Line, ed.Range.Start.Character, analysis.UTF16)
			en, _ := m.Offset(ed.Range.End.Line, ed.Range.End.Character, analysis.UTF16)
			text = text[:s] + ed.NewText + text[en:]
		}
		e.text = text
		e.version++
		// On the request's goroutine, not the test's: post, not change.
		e.client.post(didChange(e.uri, e.version, nil, text))
	}
	return applyEditResult{Applied: true}
}

// type replaces the editor's text as the user would, and waits until the
// server has it.
func (e *fixEditor) typeText(text string) {
	e.t.Helper()
	e.mu.Lock()
	e.text = text
	e.version++
	v := e.version
	e.mu.Unlock()
	e.change(e.uri, v, nil, text)
	e.diagnostics(e.uri, int32(v))
}

func (e *fixEditor) fixAction(t *testing.T) *lspt.Command {
	t.Helper()
	e.diagnostics(e.uri, 1)
	m := e.call("textDocument/codeAction", map[string]any{
		"textDocument": map[string]any{"uri": e.uri},
		"range":        map[string]any{"start": map[string]int{"line": 3, "character": 4}, "end": map[string]int{"line": 3, "character": 4}},
		"context":      map[string]any{"diagnostics": []any{}},
	})
	var as []codeAction
	json.Unmarshal(m.Result, &as)
	for _, a := range as {
		if a.Title == "Fix with model (verified)" && a.Command != nil {
			if a.Kind != "quickfix" || len(a.Diagnostics) != 1 || a.Diagnostics[0].Code != "todo" {
				t.Errorf("action %+v", a)
			}
			return a.Command
		}
	}
	t.Fatalf("no Fix with model action among %s", m.Result)
	return nil
}

func (e *fixEditor) execute(cmd *lspt.Command) fixResult {
	e.t.Helper()
	m := e.call("workspace/executeCommand", map[string]any{"command": cmd.Command, "arguments": cmd.Arguments})
	if m.Error != nil {
		e.t.Fatalf("%s: %s", cmd.Command, m.Error.Message)
	}
	var r fixResult
	if err := json.Unmarshal(m.Result, &r); err != nil {
		e.t.Fatal(err)
	}
	return r
}

func answer(text string) model.Func {
	return func(context.Context, model.Request) (model.Response, error) { return model.Response{Text: text}, nil }
}

// TestFixCodeActionApplies: the code action runs the loop (with every gate,
// on a real module), reports progress, and sends the verified fix as a
// versioned edit that the editor applies.
func TestFixCodeActionApplies(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	e := newFixEditor(t, answer(fixAnswer))
	r := e.execute(e.fixAction(t))
	if !r.Accepted || !r.Applied || !strings.Contains(r.Summary, "applied a verified fix") {
		t.Fatalf("result %+v", r)
	}
	if len(e.edits) != 1 || *e.edits[0].Edit.DocumentChanges[0].TextDocument.Version != 1 {
		t.Fatalf("applyEdit %+v, want one edit of version 1", e.edits)
	}
	if want := strings.Replace(strings.Replace(fixCalc, "// TODO: it subtracts\n", "", 1), "a - b", "a + b", 1); e.text != want {
		t.Errorf("the editor holds\n%s\nwant\n%s", e.text, want)
	}
	var kinds []string
	for _, m := range e.messages() {
		if m.Method == "$/progress" {
			var p struct {
				Value struct{ Kind, Message, Title string }
			}
			json.Unmarshal(m.Params, &p)
			kinds = append(kinds, p.Value.Kind)
		}
	}
	if len(kinds) < 3 || kinds[0] != "begin" || kinds[len(kinds)-1] != "end" {
		t.Errorf("progress %v", kinds)
	}
	if data, _ := os.ReadFile(filepath.Join(e.dir, "calc.go")); string(data) != fixCalc {
		t.Errorf("the server wrote calc.go itself")
	}
}

// blocking is a model that waits for the test (the user types meanwhile).
func blocking(text string) (model.Func, chan struct{}, chan struct{}) {
	asked, typed := make(chan struct{}), make(chan struct{})
	var once sync.Once
	return func(ctx context.Context, _ model.Request) (model.Response, error) {
		once.Do(func() { close(asked) })
		select {
		case <-typed:
		case <-ctx.Done():
			return model.Response{}, ctx.Err()
		}
		return model.Response{Text: text}, nil
	}, asked, typed
}

// fixWhileTyping runs the fix of a fix editor and, while the model works,
// types text in the editor; it returns the editor and the fix's response.
func fixWhileTyping(t *testing.T, text string) (*fixEditor, *message, fixResult) {
	m, asked, typed := blocking(fixAnswer)
	e := newFixEditor(t, m)
	cmd := e.fixAction(t)
	id := e.request("workspace/executeCommand", map[string]any{"command": cmd.Command, "arguments": cmd.Arguments})
	<-asked
	e.typeText(text)
	close(typed)
	resp := e.response(id)
	var r fixResult
	json.Unmarshal(resp.Result, &r)
	return e, resp, r
}

// TestFixDocumentChanged: the user edits the document while the loop
// works. An edit elsewhere: the fix is verified again on the new text and
// sent against the new version. An edit of the lines the fix changes: the
// fix is dropped and nothing is sent.
func TestFixDocumentChanged(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	t.Run("re-verified", func(t *testing.T) {
		e, resp, r := fixWhileTyping(t, "// Package calc adds.\n"+fixCalc)
		if !r.Accepted || !r.Applied {
			t.Fatalf("result %s", resp)
		}
		if len(e.edits) != 1 || *e.edits[0].Edit.DocumentChanges[0].TextDocument.Version != 2 {
			t.Fatalf("applyEdit %+v, want one edit of version 2", e.edits)
		}
		if want := "// Package calc adds.\npackage calc\n\n// Add returns a + b.\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"; e.text != want {
			t.Errorf("the editor holds\n%s\nwant\n%s", e.text, want)
		}
	})
	t.Run("dropped", func(t *testing.T) {
		typedText := strings.Replace(fixCalc, "return a - b", "return b - a", 1)
		e, resp, r := fixWhileTyping(t, typedText)
		if r.Applied || len(e.edits) != 0 || !strings.Contains(r.Summary, "the document changed") {
			t.Fatalf("result %s, %d edits sent; want the fix dropped", resp, len(e.edits))
		}
		if e.text != typedText {
			t.Errorf("the user's text changed")
		}
		e.await("the reason shown", func(m *message) bool {
			return m.Method == "window/showMessage" && strings.Contains(string(m.Params), "the document changed")
		})
	})
}

// TestFixStaleEditSkipped: an editor that answers applied=true but never
// changes the text (Neovim 0.7 skipping a stale edit) is not believed.
func TestFixStaleEditSkipped(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	// The fake editor sends its didChange before it answers: the server
	// needs no time to wait for a later one.
	old := confirmWait
	confirmWait = 0
	defer func() { confirmWait = old }()
	e := newFixEditor(t, answer(fixAnswer))
	e.skip = true
	r := e.execute(e.fixAction(t))
	if !r.Accepted || r.Applied || !strings.Contains(r.Summary, "does not hold it") {
		t.Fatalf("result %+v", r)
	}
}

// TestVerifyEditCommand: gauntlet.verifyEdit answers a WorkspaceEdit's
// verdict without changing anything; "Verify unsaved changes" verifies the
// buffers against the disk and shows the evidence on the lines involved.
func TestVerifyEditCommand(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	e := newFixEditor(t, nil)
	e.diagnostics(e.uri, 1)
	// The right fix, as an assistant's WorkspaceEdit.
	fixEdit := map[string]any{"documentChanges": []any{map[string]any{
		"textDocument": map[string]any{"uri": e.uri, "version": 1},
		"edits": []any{map[string]any{
			"range":   map[string]any{"start": map[string]int{"line": 5, "character": 8}, "end": map[string]int{"line": 5, "character": 13}},
			"newText": "a + b",
		}},
	}}}
	m := e.call("workspace/executeCommand", map[string]any{"command": "gauntlet.verifyEdit", "arguments": []any{fixEdit}})
	var v verify.Verdict
	if m.Error != nil || json.Unmarshal(m.Result, &v) != nil || !v.Accepted || len(v.Gates) != 6 {
		t.Fatalf("verdict %s", m)
	}
	// For another version: content modified.
	fixEdit["documentChanges"].([]any)[0].(map[string]any)["textDocument"].(map[string]any)["version"] = 7
	wantError(t, e.call("workspace/executeCommand", map[string]any{"command": "gauntlet.verifyEdit", "arguments": []any{fixEdit}}), codeContentModified)
	// Outside the workspace: refused by the apply gate.
	outside := map[string]any{"changes": map[string]any{"file:///etc/passwd": []any{map[string]any{
		"range": map[string]any{"start": map[string]int{"line": 0, "character": 0}, "end": map[string]int{"line": 0, "character": 0}}, "newText": "x"}}}}
	m = e.call("workspace/executeCommand", map[string]any{"command": "gauntlet.verifyEdit", "arguments": []any{outside}})
	if m.Error != nil || json.Unmarshal(m.Result, &v) != nil || v.Accepted || v.Gates[0].Name != "apply" || v.Gates[0].OK {
		t.Fatalf("verdict for /etc/passwd: %s", m)
	}

	// Unsaved changes that break the build.
	e.typeText(strings.Replace(fixCalc, "return a - b", "return a - c", 1))
	m = e.call("textDocument/codeAction", map[string]any{
		"textDocument": map[string]any{"uri": e.uri},
		"range":        map[string]any{"start": map[string]int{"line": 0, "character": 0}, "end": map[string]int{"line": 0, "character": 0}},
		"context":      map[string]any{"diagnostics": []any{}},
	})
	var as []codeAction
	json.Unmarshal(m.Result, &as)
	var cmd *lspt.Command
	for _, a := range as {
		if a.Title == "Verify unsaved changes" {
			cmd = a.Command
		}
	}
	if cmd == nil {
		t.Fatalf("no Verify unsaved changes among %s", m.Result)
	}
	m = e.call("workspace/executeCommand", map[string]any{"command": cmd.Command, "arguments": cmd.Arguments})
	if m.Error != nil || json.Unmarshal(m.Result, &v) != nil || v.Accepted || v.Failed().Name != "build" {
		t.Fatalf("verdict %s", m)
	}
	e.await("the verdict shown", func(m *message) bool {
		return m.Method == "window/showMessage" && strings.Contains(string(m.Params), "rejected by build")
	})
	e.await("the evidence on the lines involved", func(m *message) bool {
		var p publishDiagnosticsParams
		if m.Method != "textDocument/publishDiagnostics" || json.Unmarshal(m.Params, &p) != nil || p.Version == nil || *p.Version != 2 {
			return false
		}
		for _, d := range p.Diagnostics {
			if d.Source == verify.Source && d.Range.Start.Line == 5 && strings.Contains(d.Message, "undefined: c") {
				return true
			}
		}
		return false
	})
	if data, _ := os.ReadFile(filepath.Join(e.dir, "calc.go")); string(data) != fixCalc {
		t.Errorf("verify changed calc.go")
	}
}

// reportingTests reports TestAdd failing.
type reportingTests struct{ fakeTests }

func (reportingTests) Report(ctx context.Context, ids []string, progress func(string, int)) (TestReport, error) {
	return TestReport{Summary: "0 passed, 1 failed", Ran: ids, Failures: []testrun.Failure{{
		ID: "example.com/calc.TestAdd", File: "calc_test.go", Line: 5, Output: "    calc_test.go:7: Add(2, 3) = -1, want 5\n--- FAIL: TestAdd (0.00s)\n"}}}, nil
}

// TestFailingTestDiagnostic: a failing test shows where it is declared and
// offers "Fix with model (verified)" for it.
func TestFailingTestDiagnostic(t *testing.T) {
	c := newClient(t, nil, WithTests(func(string) TestRunner { return reportingTests{fakeTests{ran: make(chan []string, 1)}} }))
	c.srv.engine.(*server.Engine).SetLoop(server.Loop{Model: answer("")})
	c.initialize(nil)
	uri := "file:///work/calc_test.go"
	c.open(uri, "go", 1, fixTest)
	c.diagnostics(uri, 1)
	m := c.call("workspace/executeCommand", map[string]any{"command": "gauntlet.runTests", "arguments": []any{map[string]any{"ids": []string{"example.com/calc.TestAdd"}}}})
	if m.Error != nil || !strings.Contains(string(m.Result), `"started":true`) {
		t.Fatalf("runTests %s", m)
	}
	c.await("the summary", func(m *message) bool {
		return m.Method == "window/showMessage" && strings.Contains(string(m.Params), "0 passed, 1 failed")
	})
	c.await("the failing test's diagnostic", func(m *message) bool {
		return m.Method == "textDocument/publishDiagnostics" && strings.Contains(string(m.Params), "TestAdd fails: calc_test.go:7: Add(2, 3) = -1, want 5")
	})
	m = c.call("textDocument/codeAction", map[string]any{
		"textDocument": map[string]any{"uri": uri},
		"range":        map[string]any{"start": map[string]int{"line": 4, "character": 5}, "end": map[string]int{"line": 4, "character": 5}},
		"context":      map[string]any{"diagnostics": []any{}},
	})
	var as []codeAction
	json.Unmarshal(m.Result, &as)
	if len(as) != 1 || as[0].Title != "Fix with model (verified)" || as[0].Command.Command != "gauntlet.fix" {
		t.Fatalf("actions %s", m.Result)
	}
	args, _ := json.Marshal(as[0].Command.Arguments[0])
	if !strings.Contains(string(args), `"test":"example.com/calc.TestAdd"`) {
		t.Errorf("arguments %s", args)
	}
}

// TestFixCancel: the progress's cancel button stops the loop; nothing is
// sent to the editor.
func TestFixCancel(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	m, asked, _ := blocking(fixAnswer)
	e := newFixEditor(t, m)
	cmd := e.fixAction(t)
	id := e.request("workspace/executeCommand", map[string]any{"command": cmd.Command, "arguments": cmd.Arguments})
	<-asked
	begin := e.await("progress begin", func(m *message) bool {
		return m.Method == "$/progress" && strings.Contains(string(m.Params), `"begin"`)
	})
	var p struct{ Token json.RawMessage }
	json.Unmarshal(begin.Params, &p)
	e.notify("window/workDoneProgress/cancel", map[string]any{"token": p.Token})
	wantError(t, e.response(id), codeRequestCancelled)
	if len(e.edits) != 0 {
		t.Errorf("edits sent after a cancel: %+v", e.edits)
	}
}

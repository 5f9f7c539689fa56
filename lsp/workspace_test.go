package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

func TestConfigReload(t *testing.T) {
	var loads atomic.Int32
	var broken atomic.Bool
	reload := func(ctx context.Context, root string) ([]*analysis.Analyzer, []string, error) {
		n := loads.Add(1)
		if root != "/work" {
			t.Errorf("reload of root %q, want /work", root)
		}
		if broken.Load() {
			return nil, nil, errors.New("/work/.gauntlet.yaml:3: rules: bad value")
		}
		if n == 1 {
			return []*analysis.Analyzer{syntax.Analyzer}, []string{"/work/.gauntlet.yaml", "/work/rules/todo.yaml"}, nil
		}
		return []*analysis.Analyzer{syntax.Analyzer, todo}, []string{"/work/.gauntlet.yaml", "/work/rules/todo.yaml"}, nil
	}
	c := newClient(t, []*analysis.Analyzer{syntax.Analyzer}, WithReload(reload))
	c.initialize(map[string]any{"workspace": map[string]any{"didChangeWatchedFiles": map[string]any{"dynamicRegistration": true}}})
	c.await("watcher registration", func(m *message) bool { return m.Method == "client/registerCapability" })
	c.open(goURI, "go", 1, todoSrc)
	if d := c.diagnostics(goURI, 1); len(d) != 0 {
		t.Fatalf("diagnostics before the rule is configured: %+v", d)
	}
	// Saving a rule file reloads the configuration and re-analyses open documents.
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": "file:///work/rules/todo.yaml"}})
	c.await("re-analysis with the new rule", func(m *message) bool {
		return m.Method == "textDocument/publishDiagnostics" && strings.Contains(string(m.Params), "TODO left")
	})
	// Saving an ordinary file does not.
	c.notify("textDocument/didSave", map[string]any{"textDocument": map[string]any{"uri": goURI}})
	c.alive()
	if n := loads.Load(); n != 2 {
		t.Errorf("%d loads, want 2", n)
	}
	// A broken configuration is shown and the old analyzers stay.
	broken.Store(true)
	c.notify("workspace/didChangeWatchedFiles", map[string]any{"changes": []any{map[string]any{"uri": "file:///work/.gauntlet.yaml", "type": 2}}})
	m := c.await("the configuration error", func(m *message) bool { return m.Method == "window/showMessage" })
	if !strings.Contains(string(m.Params), ".gauntlet.yaml:3") {
		t.Errorf("showMessage %s does not name the file and line", m)
	}
	c.change(goURI, 2, &[4]int{0, 0, 0, 0}, "\n")
	if d := c.diagnostics(goURI, 2); len(d) != 3 {
		t.Errorf("after a failed reload: %d diagnostics, want the 3 of the previous configuration", len(d))
	}
}

type fakeTests struct {
	ran chan []string
}

func (f fakeTests) TestsInFile(ctx context.Context, file *analysis.File) ([]testrun.Test, error) {
	var out []testrun.Test
	for _, name := range []string{"TestA", "TestB"} {
		if i := strings.Index(string(file.Content), "func "+name); i >= 0 {
			out = append(out, testrun.Test{ID: "p." + name, Name: name, Start: i, End: i + 10})
		}
	}
	return out, nil
}

func (f fakeTests) Run(ctx context.Context, ids []string, progress func(string, int)) (string, bool, error) {
	f.ran <- ids
	for i, id := range ids {
		progress(id+" passed", (i+1)*100/len(ids))
	}
	return "2 passed, 0 failed", true, nil
}

func TestCodeLensRunTests(t *testing.T) {
	ft := fakeTests{ran: make(chan []string, 1)}
	c := newClient(t, nil, WithTests(func(root string) TestRunner { return ft }))
	c.initialize(map[string]any{"window": map[string]any{"workDoneProgress": true}})
	src := "package p\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {}\n\nfunc TestB(t *testing.T) {}\n"
	c.open("file:///work/p_test.go", "go", 1, src)
	m := c.call("textDocument/codeLens", map[string]any{"textDocument": map[string]any{"uri": "file:///work/p_test.go"}})
	var lenses []codeLens
	json.Unmarshal(m.Result, &lenses)
	if len(lenses) != 3 || lenses[0].Command.Title != "▶ run test" || lenses[0].Range.Start.Line != 4 || lenses[1].Range.Start.Line != 6 {
		t.Fatalf("lenses %s", m.Result)
	}
	cmd := lenses[2].Command
	res := c.call("workspace/executeCommand", map[string]any{"command": cmd.Command, "arguments": cmd.Arguments})
	if res.Error != nil || !strings.Contains(string(res.Result), `"started":true`) {
		t.Fatalf("runTests: %s", res)
	}
	if ids := <-ft.ran; len(ids) != 2 {
		t.Errorf("ran %v", ids)
	}
	// The summary comes when the run ends, after the progress's end.
	c.await("the summary", func(m *message) bool {
		return m.Method == "window/showMessage" && strings.Contains(string(m.Params), "2 passed, 0 failed")
	})
	var kinds []string
	for _, m := range c.messages() {
		if m.Method == "$/progress" {
			var p struct{ Value struct{ Kind string } }
			json.Unmarshal(m.Params, &p)
			kinds = append(kinds, p.Value.Kind)
		}
	}
	if strings.Join(kinds, ",") != "begin,report,report,end" {
		t.Errorf("progress %v, want begin, two reports, end", kinds)
	}
	wantError(t, c.call("workspace/executeCommand", map[string]any{"command": "gauntlet.nope"}), -32602)
}

// blockingTests runs until released or cancelled.
type blockingTests struct {
	fakeTests
	started, release chan struct{}
}

func (b blockingTests) Run(ctx context.Context, ids []string, progress func(string, int)) (string, bool, error) {
	close(b.started)
	select {
	case <-b.release:
		return "1 passed, 0 failed", true, nil
	case <-ctx.Done():
		return "", false, ctx.Err()
	}
}

// TestRunTestsAnswersAtOnce: gauntlet.runTests answers while the tests still
// run (a client's request timeout cannot fail it), the summary follows as a
// window/showMessage; the progress's cancel button stops a run.
func TestRunTestsAnswersAtOnce(t *testing.T) {
	bt := blockingTests{started: make(chan struct{}), release: make(chan struct{})}
	c := newClient(t, nil, WithTests(func(string) TestRunner { return bt }))
	c.initialize(map[string]any{"window": map[string]any{"workDoneProgress": true}})
	args := []any{map[string]any{"ids": []string{"p.TestA"}}}
	res := c.call("workspace/executeCommand", map[string]any{"command": "gauntlet.runTests", "arguments": args})
	if res.Error != nil || !strings.Contains(string(res.Result), `"started":true`) {
		t.Fatalf("runTests: %s", res)
	}
	<-bt.started // answered before the run could end: it waits for release
	close(bt.release)
	c.await("the summary", func(m *message) bool {
		return m.Method == "window/showMessage" && strings.Contains(string(m.Params), "1 passed, 0 failed")
	})

	// Cancelled through its progress.
	bt2 := blockingTests{started: make(chan struct{}), release: make(chan struct{})}
	c2 := newClient(t, nil, WithTests(func(string) TestRunner { return bt2 }))
	c2.initialize(map[string]any{"window": map[string]any{"workDoneProgress": true}})
	res = c2.call("workspace/executeCommand", map[string]any{"command": "gauntlet.runTests", "arguments": args})
	if res.Error != nil {
		t.Fatalf("runTests: %s", res)
	}
	<-bt2.started
	begin := c2.await("progress begin", func(m *message) bool {
		return m.Method == "$/progress" && strings.Contains(string(m.Params), `"begin"`)
	})
	var p struct{ Token json.RawMessage }
	json.Unmarshal(begin.Params, &p)
	c2.notify("window/workDoneProgress/cancel", map[string]any{"token": p.Token})
	c2.await("the cancelled message", func(m *message) bool {
		return m.Method == "window/showMessage" && strings.Contains(string(m.Params), "gauntlet.runTests: cancelled")
	})
}

package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
)

const (
	goURI  = "file:///work/a.go"
	broken = "package p\n\nfunc f() {\n\tx := (1 +\n}\n"
	fixed  = "package p\n\nfunc f() {\n\tx := (1 + 2)\n}\n"
)

func TestRequestBeforeInitialize(t *testing.T) {
	c := newClient(t, nil)
	wantError(t, c.call("textDocument/codeLens", map[string]any{"textDocument": map[string]any{"uri": goURI}}), codeServerNotInitialized)
	wantError(t, c.call("shutdown", nil), codeServerNotInitialized)
	// A notification before initialize is dropped, not applied later.
	c.open(goURI, "go", 1, broken)
	c.initialize(nil)
	c.alive()
	c.change(goURI, 2, nil, fixed)
	for _, m := range c.messages() {
		if m.Method == "textDocument/publishDiagnostics" {
			t.Fatalf("diagnostics for a document opened before initialize: %s", m)
		}
	}
}

// TestFirstMessagesBeforeServeStoresConn: jsonrpc2 reads and handles
// messages before Serve has stored the connection. The diagnostics of a
// document opened then were dropped, and a clean-clone CI run under load
// waited 40 minutes for them (TestQuickFixVersioned, stop 20). The hook
// holds Serve in that window for the whole exchange.
func TestFirstMessagesBeforeServeStoresConn(t *testing.T) {
	release := make(chan struct{})
	testHookConnStarted = func() { <-release }
	t.Cleanup(func() { testHookConnStarted = nil })
	c := newClient(t, nil)
	t.Cleanup(func() { close(release) }) // before newClient's cleanup waits for Serve
	c.initialize(nil)
	c.open(goURI, "go", 1, broken)
	if d := c.diagnostics(goURI, 1); len(d) != 1 {
		t.Fatalf("diagnostics %+v, want the syntax error", d)
	}
}

func TestInitializeTwice(t *testing.T) {
	c := newClient(t, nil)
	c.initialize(nil)
	wantError(t, c.call("initialize", map[string]any{"capabilities": map[string]any{}}), -32600)
	c.alive()
}

func TestMalformedJSON(t *testing.T) {
	c := newClient(t, nil)
	c.initialize(nil)
	c.frame([]byte(`{"jsonrpc":"2.0","id":99,"method":"shutdown",`))
	m := c.await("parse error", func(m *message) bool { return m.Error != nil })
	wantError(t, m, -32700)
	if string(m.ID) != "null" {
		t.Errorf("a parse error's id is %s, want null", m.ID)
	}
	c.alive()
}

func TestNeitherMethodNorResult(t *testing.T) {
	c := newClient(t, nil)
	c.initialize(nil)
	c.frame([]byte(`{"jsonrpc":"2.0","id":41,"params":{}}`))
	m := c.await("invalid request", func(m *message) bool { return string(m.ID) == "41" })
	wantError(t, m, -32600)
	for _, body := range []string{`[]`, `[{"jsonrpc":"2.0","id":1,"method":"shutdown"}]`, `17`, `{"jsonrpc":"2.0","id":{"x":1},"method":"shutdown"}`} {
		before := len(c.messages())
		c.frame([]byte(body))
		c.await("an answer to "+body, func(m *message) bool {
			return m.Error != nil && m.Error.Code == -32600 && len(c.msgs) > before
		})
	}
	c.alive()
}

func TestBrokenFraming(t *testing.T) {
	c := newClient(t, nil)
	c.initialize(nil)
	// A header without a length, a length that is not a number, then garbage
	// glued to the next message's header: each is answered, and the message
	// after them is read.
	c.raw([]byte("Content-Type: application/json\r\n\r\n"))
	c.raw([]byte("Content-Length: many\r\n\r\n"))
	c.raw([]byte("{garbage}"))
	c.alive()
	n := 0
	for _, m := range c.messages() {
		if m.Error != nil && m.Error.Code == -32700 {
			n++
		}
	}
	if n < 2 {
		t.Errorf("got %d parse errors for broken headers, want at least 2:\n%s", n, c.dump())
	}
}

func TestOversizedMessage(t *testing.T) {
	c := newClient(t, nil, WithMaxMessageSize(1<<20))
	c.initialize(nil)
	c.open(goURI, "go", 1, strings.Repeat("// x\n", 1<<19))
	m := c.await("error for an oversized message", func(m *message) bool { return m.Error != nil })
	wantError(t, m, -32600)
	c.alive()
}

func TestUnknownMethod(t *testing.T) {
	c := newClient(t, nil)
	c.initialize(nil)
	wantError(t, c.call("gauntlet/noSuchThing", map[string]any{}), -32601)
	c.notify("gauntlet/noSuchNotification", map[string]any{})
	c.notify("$/noSuchNotification", nil)
	c.alive()
	for _, m := range c.messages() {
		if m.Error != nil && m.Error.Code != -32601 {
			t.Errorf("an unknown notification was answered: %s", m)
		}
	}
}

func TestChangeToUnopenedDocument(t *testing.T) {
	c := newClient(t, nil)
	c.initialize(nil)
	c.change("file:///work/never.go", 2, &[4]int{0, 0, 0, 0}, "package p\n")
	c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": "file:///work/never.go"}})
	c.await("a log line about the unopened document", func(m *message) bool {
		return m.Method == "window/logMessage" && strings.Contains(string(m.Params), "not open")
	})
	c.alive()
	for _, m := range c.messages() {
		if m.Method == "textDocument/publishDiagnostics" && strings.Contains(string(m.Params), "never.go") {
			var p publishDiagnosticsParams
			json.Unmarshal(m.Params, &p)
			if len(p.Diagnostics) > 0 {
				t.Errorf("diagnostics for a document that was never opened: %s", m)
			}
		}
	}
}

func TestOutOfRangePositions(t *testing.T) {
	c := newClient(t, nil)
	c.initialize(nil)
	c.open(goURI, "go", 1, fixed)
	if d := c.diagnostics(goURI, 1); len(d) != 0 {
		t.Fatalf("diagnostics for valid code: %v", d)
	}
	// A character past the end of its line means the end of the line: this
	// appends " +" to "\tx := (1 + 2)" and breaks the code.
	c.change(goURI, 2, &[4]int{3, 999, 3, 1000}, " +")
	d := c.diagnostics(goURI, 2)
	if len(d) == 0 {
		t.Fatal("no diagnostics after the clamped change")
	}
	// A line past the end rejects the whole notification and keeps the text.
	c.change(goURI, 3, &[4]int{40, 0, 40, 0}, "}}}}")
	c.await("a log line about the rejected change", func(m *message) bool {
		return m.Method == "window/logMessage" && strings.Contains(string(m.Params), "rejected")
	})
	// Remove the " +" of version 2: only right if version 3 was not applied.
	c.change(goURI, 4, &[4]int{3, 13, 3, 15}, "")
	if d := c.diagnostics(goURI, 4); len(d) != 0 {
		t.Fatalf("the text after the rejected change is wrong: diagnostics %v", d)
	}
	for _, m := range c.messages() {
		if m.Method == "textDocument/publishDiagnostics" && strings.Contains(string(m.Params), `"version":3`) {
			t.Errorf("published diagnostics for the rejected version: %s", m)
		}
	}
	// A range that ends before it starts is rejected too.
	c.change(goURI, 5, &[4]int{3, 5, 1, 0}, "x")
	c.alive()
}

func TestInvalidUTF8(t *testing.T) {
	c := newClient(t, nil)
	c.initialize(nil)
	// Raw bytes that are not UTF-8 inside the JSON strings of a well-framed
	// message: the text, and an invalid \u escape half.
	body := []byte(`{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///work/b.py","languageId":"python","version":1,"text":"def f(` +
		"\xc3\x28\xff" + `:\n  return '\ud800` + "\xed\xa0\x80" + `'\n"}}}`)
	c.frame(body)
	d := c.diagnostics("file:///work/b.py", 1)
	if len(d) == 0 {
		t.Fatal("no diagnostics for the broken Python with invalid UTF-8")
	}
	// Edits around the replaced bytes still apply.
	c.change("file:///work/b.py", 2, &[4]int{0, 6, 0, 9}, "x)")
	if d := c.diagnostics("file:///work/b.py", 2); len(d) != 0 {
		t.Fatalf("diagnostics after the fix: %+v", d)
	}
	c.alive()
}

func TestTwentyMegabyteDocument(t *testing.T) {
	if testing.Short() {
		t.Skip("20 MB document")
	}
	c := newClient(t, nil)
	c.initialize(nil)
	var b strings.Builder
	b.WriteString("package big\n\n")
	for i := 0; b.Len() < 20<<20; i++ {
		fmt.Fprintf(&b, "func f%d(a, b int) int {\n\treturn a*%d + b // some padding to make lines longer\n}\n\n", i, i)
	}
	b.WriteString("func broken( {\n")
	start := time.Now()
	c.open("file:///work/big.go", "go", 1, b.String())
	c.alive()
	t.Logf("answered a request %v after opening a %d MB document", time.Since(start), b.Len()>>20)
	// An edit to the big document, and a small document alongside, still work.
	c.change("file:///work/big.go", 2, &[4]int{0, 0, 0, 0}, "// edited\n")
	c.open(goURI, "go", 1, broken)
	if d := c.diagnostics(goURI, 1); len(d) == 0 {
		t.Fatal("no diagnostics for the small document")
	}
	c.alive()
}

func TestHandlerPanic(t *testing.T) {
	requests["test/panic"] = func(*Server, context.Context, json.RawMessage) (any, error) { panic("boom") }
	notifications["test/panicNotification"] = func(*Server, json.RawMessage) error { panic("boom") }
	defer delete(requests, "test/panic")
	defer delete(notifications, "test/panicNotification")
	c := newClient(t, nil)
	c.initialize(nil)
	wantError(t, c.call("test/panic", map[string]any{}), -32603)
	c.notify("test/panicNotification", map[string]any{})
	// A notification sent with an id is answered too.
	wantError(t, c.call("test/panicNotification", map[string]any{}), -32603)
	c.alive()
}

func TestCancelRequest(t *testing.T) {
	started := make(chan struct{})
	requests["test/block"] = func(_ *Server, ctx context.Context, _ json.RawMessage) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	defer delete(requests, "test/block")
	c := newClient(t, nil)
	c.initialize(nil)
	id := c.request("test/block", map[string]any{})
	<-started
	c.notify("$/cancelRequest", map[string]any{"id": id})
	wantError(t, c.response(id), codeRequestCancelled)
	c.notify("$/cancelRequest", map[string]any{"id": 12345}) // unknown: ignored
	c.alive()
}

func TestShutdownExit(t *testing.T) {
	c := newClient(t, nil)
	c.initialize(nil)
	if m := c.call("shutdown", nil); m.Error != nil || string(m.Result) != "null" {
		t.Fatalf("shutdown: %s", m)
	}
	wantError(t, c.call("textDocument/codeLens", map[string]any{}), -32600)
	c.notify("exit", nil)
	c.wantExit(0, "exit after shutdown")
}

func TestExitWithoutShutdown(t *testing.T) {
	for _, initialize := range []bool{false, true} {
		c := newClient(t, nil)
		if initialize {
			c.initialize(nil)
		}
		c.notify("exit", nil)
		c.wantExit(1, "exit without shutdown")
	}
}

// wantExit waits for the server to stop, and checks its exit status (put
// back for newClient's cleanup, which waits for it too).
func (c *client) wantExit(want int, what string) {
	c.t.Helper()
	select {
	case code := <-c.exit:
		c.exit <- code
		if code != want {
			c.t.Fatalf("%s: status %d, want %d", what, code, want)
		}
	case <-time.After(waitLimit(c.t)):
		c.t.Fatal("server did not stop on exit")
	}
}

func TestDiagnosticsClear(t *testing.T) {
	c := newClient(t, nil)
	c.initialize(nil)
	c.open(goURI, "go", 1, broken)
	d := c.diagnostics(goURI, 1)
	if len(d) == 0 || d[0].Severity != 1 || d[0].Source == "" || d[0].Code != "syntax" {
		t.Fatalf("want a syntax error, got %+v", d)
	}
	c.change(goURI, 2, &[4]int{3, 10, 3, 10}, " 2)")
	if d := c.diagnostics(goURI, 2); len(d) != 0 {
		t.Fatalf("diagnostics did not clear: %+v", d)
	}
	c.change(goURI, 3, &[4]int{3, 10, 3, 13}, "")
	if d := c.diagnostics(goURI, 3); len(d) == 0 {
		t.Fatal("no diagnostics after breaking the code again")
	}
	c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": goURI}})
	c.await("empty diagnostics on close", func(m *message) bool {
		return m.Method == "textDocument/publishDiagnostics" && strings.Contains(string(m.Params), `"diagnostics":[]`) &&
			!strings.Contains(string(m.Params), `"version"`)
	})
}

// TestNewestVersionWins sends many versions without waiting: the last
// publication is of the last version, and versions never go backwards.
func TestNewestVersionWins(t *testing.T) {
	c := newClient(t, nil)
	c.initialize(nil)
	c.open(goURI, "go", 1, fixed)
	const n = 60
	for v := 2; v <= n; v++ {
		if v%2 == 0 {
			c.change(goURI, v, &[4]int{3, 12, 3, 13}, "") // "(1 + 2" : broken
		} else {
			c.change(goURI, v, &[4]int{3, 12, 3, 12}, ")") // fixed again
		}
	}
	if d := c.diagnostics(goURI, n); len(d) == 0 {
		t.Fatalf("version %d is broken but has no diagnostics", n)
	}
	c.alive()
	last := int32(0)
	for _, m := range c.messages() {
		if m.Method != "textDocument/publishDiagnostics" {
			continue
		}
		var p publishDiagnosticsParams
		json.Unmarshal(m.Params, &p)
		if *p.Version <= last {
			t.Errorf("published version %d after version %d", *p.Version, last)
		}
		last = *p.Version
		if broke := len(p.Diagnostics) > 0; broke != (*p.Version%2 == 0) {
			t.Errorf("version %d: diagnostics %v do not match its text", *p.Version, p.Diagnostics)
		}
	}
	if last != n {
		t.Errorf("last published version %d, want %d", last, n)
	}
}

func TestPositionEncoding(t *testing.T) {
	// "😀" is 4 bytes, 2 UTF-16 units; "é" is 2 bytes, 1 unit.
	text := "package p\n\nfunc f() { x := \"😀é\" ) }\n"
	for _, tc := range []struct {
		offered []string
		want    string
		col     int // of the stray ")" on line 2, after `func f() { x := "😀é" `
	}{
		{nil, "utf-16", 22},
		{[]string{"utf-16"}, "utf-16", 22},
		{[]string{"utf-8", "utf-16"}, "utf-8", 25},
		{[]string{"utf-32", "utf-8"}, "utf-8", 25},
	} {
		t.Run(fmt.Sprint(tc.offered), func(t *testing.T) {
			c := newClient(t, nil)
			caps := map[string]any{}
			if tc.offered != nil {
				caps["general"] = map[string]any{"positionEncodings": tc.offered}
			}
			res := c.initialize(caps)
			if res.Capabilities.PositionEncoding != tc.want {
				t.Fatalf("positionEncoding %q, want %q", res.Capabilities.PositionEncoding, tc.want)
			}
			c.open(goURI, "go", 1, text)
			d := c.diagnostics(goURI, 1)
			if len(d) == 0 || d[0].Range.Start.Line != 2 || d[0].Range.Start.Character != tc.col {
				t.Fatalf("diagnostics %+v, want one at 2:%d", d, tc.col)
			}
			// An edit right after the emoji, in the negotiated units, fixes the line.
			at := map[string]int{"utf-16": 19, "utf-8": 21}[tc.want]
			c.change(goURI, 2, &[4]int{2, at, 2, at}, "x")
			c.change(goURI, 3, &[4]int{2, tc.col + 1, 2, tc.col + 2}, "")
			if d := c.diagnostics(goURI, 3); len(d) != 0 {
				t.Fatalf("after edits in %s units: %+v", tc.want, d)
			}
		})
	}
}

func TestEngineErrorShownOnce(t *testing.T) {
	failing := &analysis.Analyzer{Name: "failing", Doc: "always fails", Run: func(*analysis.Pass) error {
		return errors.New("cannot run")
	}}
	c := newClient(t, []*analysis.Analyzer{syntax.Analyzer, failing})
	c.initialize(nil)
	c.open(goURI, "go", 1, broken)
	c.diagnostics(goURI, 1)
	c.open("file:///work/b.go", "go", 1, fixed)
	c.diagnostics("file:///work/b.go", 1)
	c.alive()
	n := 0
	for _, m := range c.messages() {
		if m.Method == "window/showMessage" {
			n++
			if !strings.Contains(string(m.Params), "cannot run") {
				t.Errorf("showMessage %s does not say what failed", m)
			}
		}
	}
	if n != 1 {
		t.Errorf("the failing analyzer was shown %d times, want once", n)
	}
}

// TestEveryEditDiagnosed breaks and fixes a line of a large file many times,
// waiting for each version as an editor's user would: every broken version
// has its error, every fixed one none, and nothing fails on the way (a
// parser poisoned by an earlier cancellation once failed every later parse).
func TestEveryEditDiagnosed(t *testing.T) {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "src", "net", "http", "server.go"))
	if err != nil {
		t.Skip(err)
	}
	const line = "c.r = &connReader{conn: c, rwc: c.rwc}"
	lines := strings.Split(string(src), "\n")
	at, col := -1, 0
	for i, l := range lines {
		if strings.TrimSpace(l) == line {
			at, col = i, len(l)
			break
		}
	}
	if at < 0 {
		t.Skip("line not found in net/http/server.go")
	}
	c := newClient(t, nil)
	c.initialize(nil)
	c.open(goURI, "go", 1, string(src))
	c.diagnostics(goURI, 1)
	for v := 2; v < 122; v += 2 {
		c.change(goURI, v, &[4]int{at, col, at, col}, ")")
		if d := c.diagnostics(goURI, int32(v)); len(d) == 0 {
			t.Fatalf("version %d is broken but has no diagnostics", v)
		}
		c.change(goURI, v+1, &[4]int{at, col, at, col + 1}, "")
		if d := c.diagnostics(goURI, int32(v+1)); len(d) != 0 {
			t.Fatalf("version %d is fixed but has diagnostics %+v", v+1, d)
		}
	}
	for _, m := range c.messages() {
		if m.Method == "window/showMessage" {
			t.Errorf("engine failure: %s", m)
		}
	}
}

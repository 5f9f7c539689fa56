package lsp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
	"github.com/gauntlet-dev/gauntlet/server"
)

// client is an in-memory LSP client for tests: it talks to a Server over
// net.Pipe, can send raw bytes, and records every message it receives.
type client struct {
	t    *testing.T
	conn net.Conn
	srv  *Server
	exit chan int

	wmu    sync.Mutex // one message at a time on conn
	mu     sync.Mutex
	cond   *sync.Cond
	msgs   []*message
	closed bool
	nextID int

	// onRequest, if set, answers the server's requests (else: null).
	onRequest func(m *message) any
}

type message struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int64  `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (m *message) String() string {
	b, _ := json.Marshal(m)
	if len(b) > 300 {
		b = append(b[:300], "…"...)
	}
	return string(b)
}

// waitLimit bounds a wait for the server: what is left of the test
// binary's deadline, less a margin to report the failure, so that a loaded
// machine makes the tests slower, never failing (a fixed 20 s failed
// TestFixDocumentChanged at load 15 to 25, where go test runs take that long).
func waitLimit(t testing.TB) time.Duration {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if end, ok := d.Deadline(); ok {
			return max(time.Until(end)*9/10, time.Second)
		}
	}
	return 10 * time.Minute
}

// newClient starts a server with the syntax analyzer (plus extra analyzers)
// and connects a client to it. The server's log goes to the test log.
func newClient(t *testing.T, analyzers []*analysis.Analyzer, opts ...Option) *client {
	t.Helper()
	if analyzers == nil {
		analyzers = []*analysis.Analyzer{syntax.Analyzer}
	}
	var srv *Server
	engine := server.New(server.WithAnalyzers(analyzers...), server.WithErrorHandler(func(err error) { srv.ShowError(err) }))
	srv = New(engine, append([]Option{WithLog(testWriter{t})}, opts...)...)
	a, b := net.Pipe()
	c := &client{t: t, conn: b, srv: srv, exit: make(chan int, 1)}
	c.cond = sync.NewCond(&c.mu)
	go func() { c.exit <- srv.Serve(context.Background(), a) }()
	go c.read()
	t.Cleanup(func() {
		b.Close()
		select {
		case <-c.exit:
		case <-time.After(waitLimit(t)):
			t.Errorf("server did not stop after the connection closed")
		}
	})
	return c
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	s := string(p)
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	w.t.Log(strings.TrimSpace(s))
	return len(p), nil
}

func (c *client) read() {
	r := bufio.NewReader(c.conn)
	defer func() {
		c.mu.Lock()
		c.closed = true
		c.cond.Broadcast()
		c.mu.Unlock()
	}()
	for {
		n := -1
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSpace(line)
			if line == "" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				n, _ = strconv.Atoi(v)
			}
		}
		if n < 0 {
			c.t.Errorf("server sent a message without Content-Length")
			return
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		var m message
		if err := json.Unmarshal(body, &m); err != nil {
			c.t.Errorf("server sent invalid JSON %q: %v", body, err)
			return
		}
		c.mu.Lock()
		c.msgs = append(c.msgs, &m)
		c.cond.Broadcast()
		c.mu.Unlock()
		if m.Method != "" && len(m.ID) > 0 && string(m.ID) != "null" {
			// A request from the server (progress tokens, registrations,
			// applyEdit): answered on its own goroutine, so that this one
			// goes on reading what the server sends meanwhile.
			go func(m *message) {
				var result any
				if c.onRequest != nil {
					result = c.onRequest(m)
				}
				c.post(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": result})
			}(&m)
		}
	}
}

// raw sends bytes as they are.
func (c *client) raw(b []byte) {
	c.t.Helper()
	if err := c.write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// write sends bytes, waiting for the server to read them at most until
// the test's deadline. Writes are whole messages, one at a time.
func (c *client) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(waitLimit(c.t)))
	_, err := c.conn.Write(b)
	return err
}

// post sends a message from a goroutine other than the test's (answers to
// the server's requests, the fake editor's didChange): a failure is
// reported with Errorf, since Fatal must not be called there.
func (c *client) post(v any) {
	b, err := json.Marshal(v)
	if err == nil {
		err = c.write(append([]byte(fmt.Sprintf("Content-Length: %d\r\n\r\n", len(b))), b...))
	}
	if err != nil {
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if !closed {
			c.t.Errorf("send %s: %v", b, err)
		}
	}
}

// frame sends body with a Content-Length header.
func (c *client) frame(body []byte) {
	c.t.Helper()
	c.raw(append([]byte(fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body))), body...))
}

func (c *client) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.frame(b)
}

func (c *client) notify(method string, params any) {
	c.t.Helper()
	c.send(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
}

// request sends a request and returns its id.
func (c *client) request(method string, params any) int {
	c.t.Helper()
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	c.mu.Unlock()
	m := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		m["params"] = params
	}
	c.send(m)
	return id
}

// call sends a request and waits for its response.
func (c *client) call(method string, params any) *message {
	c.t.Helper()
	return c.response(c.request(method, params))
}

func (c *client) response(id int) *message {
	c.t.Helper()
	want := strconv.Itoa(id)
	return c.await(fmt.Sprintf("response to #%d", id), func(m *message) bool {
		return m.Method == "" && string(m.ID) == want
	})
}

// await waits for the first message, received or to come, that matches.
func (c *client) await(what string, match func(*message) bool) *message {
	c.t.Helper()
	limit := waitLimit(c.t)
	deadline := time.Now().Add(limit)
	timer := time.AfterFunc(limit, func() { c.mu.Lock(); c.cond.Broadcast(); c.mu.Unlock() })
	defer timer.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; ; i++ {
		for ; i < len(c.msgs); i++ {
			if match(c.msgs[i]) {
				return c.msgs[i]
			}
		}
		if c.closed || time.Now().After(deadline) {
			c.t.Fatalf("no %s (closed=%v); got:\n%s", what, c.closed, c.dump())
		}
		c.cond.Wait()
		i--
	}
}

func (c *client) dump() string {
	var b strings.Builder
	for _, m := range c.msgs {
		fmt.Fprintln(&b, m)
	}
	return b.String()
}

// messages returns a copy of what was received so far.
func (c *client) messages() []*message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*message(nil), c.msgs...)
}

// initialize runs the handshake with the given client capabilities.
func (c *client) initialize(caps map[string]any) *initializeResult {
	c.t.Helper()
	if caps == nil {
		caps = map[string]any{}
	}
	m := c.call("initialize", map[string]any{"processId": nil, "rootUri": "file:///work", "capabilities": caps})
	if m.Error != nil {
		c.t.Fatalf("initialize: %s", m.Error.Message)
	}
	var res initializeResult
	if err := json.Unmarshal(m.Result, &res); err != nil {
		c.t.Fatal(err)
	}
	c.notify("initialized", map[string]any{})
	return &res
}

func (c *client) open(uri, lang string, version int, text string) {
	c.t.Helper()
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": uri, "languageId": lang, "version": version, "text": text}})
}

// change sends one incremental change; full replaces the text when rng is nil.
func (c *client) change(uri string, version int, rng *[4]int, text string) {
	c.t.Helper()
	c.send(didChange(uri, version, rng, text))
}

// didChange is the notification of one change.
func didChange(uri string, version int, rng *[4]int, text string) map[string]any {
	ev := map[string]any{"text": text}
	if rng != nil {
		ev["range"] = map[string]any{
			"start": map[string]int{"line": rng[0], "character": rng[1]},
			"end":   map[string]int{"line": rng[2], "character": rng[3]},
		}
	}
	return map[string]any{"jsonrpc": "2.0", "method": "textDocument/didChange", "params": map[string]any{
		"textDocument":   map[string]any{"uri": uri, "version": version},
		"contentChanges": []any{ev},
	}}
}

// diagnostics waits for the diagnostics of uri at version.
func (c *client) diagnostics(uri string, version int32) []diagnostic {
	c.t.Helper()
	var p publishDiagnosticsParams
	c.await(fmt.Sprintf("diagnostics for %s version %d", uri, version), func(m *message) bool {
		if m.Method != "textDocument/publishDiagnostics" {
			return false
		}
		var q publishDiagnosticsParams
		if json.Unmarshal(m.Params, &q) != nil || string(q.URI) != uri || q.Version == nil || *q.Version != version {
			return false
		}
		p = q
		return true
	})
	return p.Diagnostics
}

// alive checks that the server still answers a request.
func (c *client) alive() {
	c.t.Helper()
	m := c.call("textDocument/codeLens", map[string]any{"textDocument": map[string]any{"uri": "file:///work/none.go"}})
	if m.Error != nil {
		c.t.Fatalf("server answered a valid request with an error: %s", m.Error.Message)
	}
}

func wantError(t *testing.T, m *message, code int64) {
	t.Helper()
	if m.Error == nil {
		t.Fatalf("got %s, want error %d", m, code)
	}
	if m.Error.Code != code {
		t.Fatalf("got error %d %q, want %d", m.Error.Code, m.Error.Message, code)
	}
}

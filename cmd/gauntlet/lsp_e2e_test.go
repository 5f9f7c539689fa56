package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// lspClient is a minimal editor: it talks to a real `gauntlet lsp` process
// and records what the server publishes and shows.
type lspClient struct {
	conn  *jsonrpc2.Conn
	mu    sync.Mutex
	diag  map[int][]string    // version -> "code: message" published for it
	byURI map[string][]string // uri -> the last "code: message" list published
	msgs  []string            // window/showMessage texts
	cond  chan struct{}       // signalled on every notification
}

func (c *lspClient) Handle(_ context.Context, _ *jsonrpc2.Conn, r *jsonrpc2.Request) {
	if r.Params == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch r.Method {
	case "textDocument/publishDiagnostics":
		var p struct {
			URI         string `json:"uri"`
			Version     int    `json:"version"`
			Diagnostics []struct {
				Code    any    `json:"code"`
				Message string `json:"message"`
			} `json:"diagnostics"`
		}
		json.Unmarshal(*r.Params, &p)
		var ds []string
		for _, d := range p.Diagnostics {
			ds = append(ds, fmt.Sprintf("%v: %s", d.Code, d.Message))
		}
		c.diag[p.Version] = ds
		if c.byURI != nil {
			c.byURI[p.URI] = ds
		}
	case "window/showMessage":
		var p struct{ Message string }
		json.Unmarshal(*r.Params, &p)
		c.msgs = append(c.msgs, p.Message)
	}
	select {
	case c.cond <- struct{}{}:
	default:
	}
}

// waitFor waits for notifications until ok holds, bounded by the test's
// deadline (a loaded machine can take long; nothing here is a timing claim).
func (c *lspClient) waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	limit := 5 * time.Minute
	if d, set := t.Deadline(); set {
		limit = time.Until(d) - 10*time.Second
	}
	deadline := time.After(limit)
	for {
		c.mu.Lock()
		done := ok()
		c.mu.Unlock()
		if done {
			return
		}
		select {
		case <-c.cond:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			c.mu.Lock()
			defer c.mu.Unlock()
			t.Fatalf("timed out waiting for %s; diagnostics %v; messages %q", what, c.diag, c.msgs)
		}
	}
}

// TestLSPPluginKilled: in an editor session, the plugin's findings arrive
// beside the built-in ones; killing the plugin's process leaves the server
// up, says so once, and the plugin's diagnostics come back after the next
// edit; no plugin process outlives the server.
func TestLSPPluginKilled(t *testing.T) {
	bin := buildPlugins(t)
	ws := t.TempDir()
	os.WriteFile(filepath.Join(ws, ".gauntlet.yaml"), []byte(fmt.Sprintf("plugins:\n  - name: todo-owner\n    path: %s/todo-owner\n", bin)), 0o644)
	src := "package a\n\n// TODO: nobody owns this\nfunc f() {}\n"
	os.WriteFile(filepath.Join(ws, "a.go"), []byte(src), 0o644)
	c, notify, cmd := startLSP(t, ws)
	uri := "file://" + filepath.Join(ws, "a.go")
	notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "go", "version": 1, "text": src}})
	hasTodo := func(v int) func() bool {
		return func() bool { return strings.Contains(strings.Join(c.diag[v], "\n"), "todo-owner") }
	}
	c.waitFor(t, "the plugin's finding for version 1", hasTodo(1))

	// This test's own build of the plugin: other tests running at the same
	// time start todo-owner processes of their own, from other paths.
	exe := filepath.Join(bin, "todo-owner")
	pid := childRunning(t, cmd.Process.Pid, exe)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Edit until the plugin's findings are back; the host restarts it on next use.
	back := 0
	for v := 2; v <= 5 && back == 0; v++ {
		text := src + strings.Repeat("\n", v)
		notify("textDocument/didChange", map[string]any{
			"textDocument":   map[string]any{"uri": uri, "version": v},
			"contentChanges": []map[string]any{{"text": text}},
		})
		c.waitFor(t, fmt.Sprintf("diagnostics for version %d", v), func() bool { _, ok := c.diag[v]; return ok })
		c.mu.Lock()
		if hasTodo(v)() {
			back = v
		}
		c.mu.Unlock()
	}
	if back == 0 {
		t.Fatalf("the plugin's findings did not come back: %v", c.diag)
	}
	var plugins []int // the restarted plugin (and the killed one, if not reaped yet)
	for _, p := range procsRunning(exe) {
		if ppidOf(p) == cmd.Process.Pid || ppidOf(ppidOf(p)) == cmd.Process.Pid {
			plugins = append(plugins, p)
		}
	}
	// The answer to shutdown comes after every message the server sent
	// before it: what is shown by then is all that was shown.
	if err := c.conn.Call(testenv.Context(t), "shutdown", nil, new(json.RawMessage)); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	c.mu.Lock()
	shown := 0
	for _, m := range c.msgs {
		if strings.Contains(m, "todo-owner") {
			shown++
		}
	}
	c.mu.Unlock()
	if shown != 1 {
		t.Errorf("want the plugin's death shown once, got %d: %q", shown, c.msgs)
	}
	notify("exit", nil)
	if err := cmd.Wait(); err != nil {
		t.Errorf("server exit: %v", err)
	}
	// No plugin outlives the server: their exits prove it.
	for _, p := range plugins {
		if !testenv.WaitExit(t, p) {
			t.Errorf("plugin process %d outlived the server", p)
		}
	}
	if err := syscall.Kill(pid, 0); err == nil {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			t.Errorf("plugin process %d outlived the server", pid)
		}
	}
	// Any process still running this test's plugin binary is a leak,
	// whoever its parent is now (an orphan is reparented to a subreaper).
	for _, p := range procsRunning(exe) {
		if !testenv.WaitExit(t, p) {
			t.Errorf("a todo-owner process %d is left behind", p)
		}
	}
}

// startLSP builds gauntlet and starts `gauntlet lsp` in ws, initialised.
func startLSP(t *testing.T, ws string) (*lspClient, func(method string, params any), *exec.Cmd) {
	t.Helper()
	gauntletBin := filepath.Join(t.TempDir(), "gauntlet")
	if out, err := exec.Command("go", "build", "-o", gauntletBin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(gauntletBin, "lsp", "--quiet")
	cmd.Dir = ws
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	c := &lspClient{diag: map[int][]string{}, byURI: map[string][]string{}, cond: make(chan struct{}, 1)}
	c.conn = jsonrpc2.NewConn(context.Background(), jsonrpc2.NewBufferedStream(rwc{stdout, stdin}, jsonrpc2.VSCodeObjectCodec{}), c)
	ctx := testenv.Context(t)
	var res json.RawMessage
	if err := c.conn.Call(ctx, "initialize", map[string]any{"processId": os.Getpid(), "rootUri": "file://" + ws, "capabilities": map[string]any{}}, &res); err != nil {
		t.Fatal(err)
	}
	notify := func(method string, params any) {
		if err := c.conn.Notify(ctx, method, params); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
	}
	notify("initialized", map[string]any{})
	return c, notify, cmd
}

// TestLSPBrokenRule: a rule that does not compile is shown on its line of
// .gauntlet.yaml and once as a message, and the other rules still publish.
func TestLSPBrokenRule(t *testing.T) {
	ws := t.TempDir()
	cfg := `rules:
  - id: no-panic
    language: go
    severity: warning
    message: panic in library code
    query: |
      ((call_expression function: (identifier) @fn) @call (#eq? @fn "panic"))
  - id: broken
    language: go
    severity: warning
    message: never compiles
    query: |
      (call_expression function: (no_such_node) @x)
`
	os.WriteFile(filepath.Join(ws, ".gauntlet.yaml"), []byte(cfg), 0o644)
	src := "package a\n\nfunc f() { panic(\"x\") }\n"
	os.WriteFile(filepath.Join(ws, "a.go"), []byte(src), 0o644)
	c, notify, _ := startLSP(t, ws)
	notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": "file://" + filepath.Join(ws, "a.go"), "languageId": "go", "version": 1, "text": src}})
	c.waitFor(t, "the good rule's finding", func() bool { return strings.Contains(strings.Join(c.diag[1], "\n"), "no-panic") })
	cfgURI := "file://" + filepath.Join(ws, ".gauntlet.yaml")
	c.waitFor(t, "the broken rule on its line", func() bool { return strings.Contains(strings.Join(c.byURI[cfgURI], "\n"), "rule broken") })
	c.mu.Lock()
	defer c.mu.Unlock()
	shown := 0
	for _, m := range c.msgs {
		if strings.Contains(m, "rule broken") {
			shown++
		}
	}
	if shown != 1 {
		t.Errorf("the broken rule should be shown once, got %q", c.msgs)
	}
}

type rwc struct {
	r interface{ Read([]byte) (int, error) }
	w interface {
		Write([]byte) (int, error)
		Close() error
	}
}

func (x rwc) Read(p []byte) (int, error)  { return x.r.Read(p) }
func (x rwc) Write(p []byte) (int, error) { return x.w.Write(p) }
func (x rwc) Close() error                { return x.w.Close() }

// childRunning is the child or grandchild of parent that runs the
// executable exe.
func childRunning(t *testing.T, parent int, exe string) int {
	t.Helper()
	for end := testenv.Deadline(t); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		for _, p := range procsRunning(exe) {
			// A plugin runs under gauntlet's keeper: a grandchild.
			if ppidOf(p) == parent || ppidOf(ppidOf(p)) == parent {
				return p
			}
		}
	}
	t.Fatalf("no %s child of %d", exe, parent)
	return 0
}

// procsRunning lists the live processes whose executable is exe (a
// zombie has none, so it is not listed).
func procsRunning(exe string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if link, err := os.Readlink("/proc/" + e.Name() + "/exe"); err == nil && link == exe {
			out = append(out, pid)
		}
	}
	return out
}

func ppidOf(pid int) int {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// pid (comm) state ppid ...
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 2 {
		return -1
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// TestLSPCoverage: gauntlet.coverage builds the per-test map of a real Go
// module (with $/progress), puts hints on the uncovered lines, and functions
// get "covered by N tests · P%" lenses; a second call hides the hints.
func TestLSPCoverage(t *testing.T) {
	ws := t.TempDir()
	if out, err := exec.Command("cp", "-R", filepath.Join(pkgDir, "../../examples/gocalc")+"/.", ws).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v\n%s", err, out)
	}
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	c, notify, _ := startLSP(t, ws)
	path := filepath.Join(ws, "rpn", "rpn.go")
	src, _ := os.ReadFile(path)
	uri := "file://" + path
	notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "go", "version": 1, "text": string(src)}})
	c.waitFor(t, "first diagnostics", func() bool { _, ok := c.diag[1]; return ok })

	ctx := testenv.Context(t)
	var res struct {
		Showing  bool
		Summary  string
		Building bool
	}
	// The command answers at once; the map comes in the background.
	if err := c.conn.Call(ctx, "workspace/executeCommand", map[string]any{"command": "gauntlet.coverage", "arguments": []any{}}, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Building {
		t.Errorf("coverage result %+v, want building", res)
	}
	c.waitFor(t, "the coverage message", func() bool {
		return strings.Contains(strings.Join(c.msgs, "\n"), "coverage: ") && strings.Contains(strings.Join(c.msgs, "\n"), "7 tests")
	})
	c.waitFor(t, "hints on the uncovered lines", func() bool {
		return strings.Contains(strings.Join(c.byURI[uri], "\n"), "uncovered: lines 29-30 are not covered by any test")
	})
	var lenses []struct {
		Range   struct{ Start struct{ Line int } }
		Command struct{ Title, Command string }
	}
	if err := c.conn.Call(ctx, "textDocument/codeLens", map[string]any{"textDocument": map[string]any{"uri": uri}}, &lenses); err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, l := range lenses {
		titles = append(titles, l.Command.Title)
	}
	joined := strings.Join(titles, "\n")
	if !strings.Contains(joined, "covered by") || !strings.Contains(joined, "%") {
		t.Errorf("no coverage lenses: %q", titles)
	}
	// A second call hides the hints.
	if err := c.conn.Call(ctx, "workspace/executeCommand", map[string]any{"command": "gauntlet.coverage", "arguments": []any{}}, &res); err != nil {
		t.Fatal(err)
	}
	if res.Showing {
		t.Error("the second call should hide the hints")
	}
	c.waitFor(t, "the hints gone", func() bool { return !strings.Contains(strings.Join(c.byURI[uri], "\n"), "not covered") })
}

// TestLSPRunTestsBuildFailure: gauntlet.runTests answers at once, and the
// summary it shows when the run ends carries the compiler's message when the
// package does not build, as `gauntlet test` does.
func TestLSPRunTestsBuildFailure(t *testing.T) {
	ws := t.TempDir()
	if out, err := exec.Command("cp", "-R", filepath.Join(pkgDir, "../../examples/gocalc")+"/.", ws).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v\n%s", err, out)
	}
	calc := filepath.Join(ws, "calc", "calc.go")
	src, _ := os.ReadFile(calc)
	broken := strings.Replace(string(src), "return clamp(a + b)", "return clamp(a + c)", 1)
	if broken == string(src) {
		t.Fatal("calc.go changed: no `return clamp(a + b)`")
	}
	os.WriteFile(calc, []byte(broken), 0o644)
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	c, _, _ := startLSP(t, ws)
	ctx := testenv.Context(t)
	var res struct {
		Started bool
		Title   string
	}
	if err := c.conn.Call(ctx, "workspace/executeCommand", map[string]any{"command": "gauntlet.runTests",
		"arguments": []any{map[string]any{"ids": []string{"example.com/gocalc/calc.TestAdd"}}}}, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Started {
		t.Errorf("result %+v, want started", res)
	}
	c.waitFor(t, "the summary", func() bool { return strings.Contains(strings.Join(c.msgs, "\n"), "failed") })
	c.mu.Lock()
	defer c.mu.Unlock()
	msgs := strings.Join(c.msgs, "\n")
	if !strings.Contains(msgs, "example.com/gocalc/calc.TestAdd") || !strings.Contains(msgs, "undefined: c") {
		t.Errorf("summary without the compiler's message: %q", c.msgs)
	}
}

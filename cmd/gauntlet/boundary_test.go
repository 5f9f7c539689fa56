package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/model/modeltest"
)

// gitDirs gives dir a .git with info/exclude and hooks, and gitlink -> .git.
func gitDirs(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, ".git", "hooks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".git", "info"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".git", "info", "exclude"), []byte("# exclude\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(".git", filepath.Join(dir, "gitlink")); err != nil {
		t.Fatal(err)
	}
}

// gitEdits are edits that reach .git through a link or a name that a file
// system takes for .git.
var gitEdits = map[string]string{
	"gitlink/info/exclude":     "--- a/gitlink/info/exclude\n+++ b/gitlink/info/exclude\n@@ -1 +1,2 @@\n # exclude\n+*.go\n",
	"gitlink/hooks/pre-commit": newFilePatch("gitlink/hooks/pre-commit", "#!/bin/sh\ntouch /tmp/pwned\n"),
	".GIT/hooks/pre-commit":    newFilePatch(".GIT/hooks/pre-commit", "#!/bin/sh\n"),
	".git./config":             newFilePatch(".git./config", "[core]\n"),
	".git /config":             newFilePatch(".git /config", "[core]\n"),
	".g\u200cit/config":        newFilePatch(".g\u200cit/config", "[core]\n"),
}

func newFilePatch(p, content string) string {
	lines := strings.Split(strings.TrimSuffix(content, "\n"), "\n")
	var b strings.Builder
	b.WriteString("--- /dev/null\n+++ b/" + p + "\n")
	b.WriteString("@@ -0,0 +1," + strconv.Itoa(len(lines)) + " @@\n")
	for _, l := range lines {
		b.WriteString("+" + l + "\n")
	}
	return b.String()
}

// wantApplyRefusal verifies patch in dir, the sandbox off, and wants it
// refused by the apply gate for a reason that names want.
func wantApplyRefusal(t *testing.T, dir, patch, want string) {
	t.Helper()
	code, v, out := verifyPatch(t, dir, patch, "--sandbox", "none")
	if code != exitFindings || v.Accepted || v.failedGate() != "apply" {
		t.Fatalf("exit %d accepted %v failed gate %q, want 1 and apply:\n%s", code, v.Accepted, v.failedGate(), out)
	}
	if len(v.Gates[0].Refused) == 0 || !strings.Contains(v.Gates[0].Refused[0].Reason, want) {
		t.Errorf("refusal %+v does not name %q", v.Gates[0].Refused, want)
	}
}

// TestVerifyRefusesGitThroughLinksAndLookalikes: an edit of
// gitlink/info/exclude or gitlink/hooks/pre-commit, gitlink being a link
// to .git, and edits of names that case-insensitive or normalising file
// systems take for .git, are refused by the apply gate, and nothing
// changes.
func TestVerifyRefusesGitThroughLinksAndLookalikes(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	dir := gocalcCopy(t, "")
	gitDirs(t, dir)
	for name, p := range gitEdits {
		t.Run(name, func(t *testing.T) {
			wantApplyRefusal(t, dir, p, ".git")
		})
	}
}

// TestFixApplyRefusesGit: a model's answer that fixes the code and also
// edits .git through gitlink (a link to .git) or creates a hook under a
// lookalike name is refused by the apply gate, and fix --apply writes
// nothing.
func TestFixApplyRefusesGit(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	for _, target := range []string{"gitlink/info/exclude", ".GIT/hooks/pre-commit"} {
		t.Run(target, func(t *testing.T) {
			dir := brokenGocalc(t, "")
			gitDirs(t, dir)
			block := target + "\n```\n<<<<<<< SEARCH\n=======\n#!/bin/sh\ntouch /tmp/pwned\n>>>>>>> REPLACE\n```\n"
			if target == "gitlink/info/exclude" {
				block = target + "\n```\n<<<<<<< SEARCH\n# exclude\n=======\n# exclude\n*.go\n>>>>>>> REPLACE\n```\n"
			}
			srv := modeltest.OpenAI(t, modeltest.Reply{Text: rightFix + "\n" + block})
			gitBefore := treeHash(t, filepath.Join(dir, ".git"))
			code, o, out := runFixJSON(t, dir, srv.Env("gpt-test"), "calc", "--max-attempts", "1", "--apply", "--sandbox", "none")
			if code != exitFindings || o.Accepted || len(o.Applied) > 0 {
				t.Fatalf("exit %d accepted %v applied %v, want 1 and nothing written:\n%s", code, o.Accepted, o.Applied, out)
			}
			if len(o.Attempts) != 1 || o.failedGate(0) != "apply" || !strings.Contains(o.Attempts[0].Reason, ".git") {
				t.Fatalf("attempts %+v, want the apply gate refusing .git", o.Attempts)
			}
			if treeHash(t, filepath.Join(dir, ".git")) != gitBefore {
				t.Error(".git changed")
			}
			if data, _ := os.ReadFile(filepath.Join(dir, "calc", "calc.go")); !strings.Contains(string(data), "clamp(a - b)") {
				t.Error("calc.go was written")
			}
		})
	}
}

// outlinkWorkspace is a workspace with outlink, a link to a folder outside
// it that holds bad.go (a syntax error), and good.go inside.
func outlinkWorkspace(t *testing.T) string {
	t.Helper()
	ws := filepath.Join(t.TempDir(), "ws")
	outside := filepath.Join(t.TempDir(), "secret")
	for _, d := range []string{ws, outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(outside, "bad.go"), []byte("package secret\n\nfunc f( {\n"), 0o644)
	os.WriteFile(filepath.Join(ws, "good.go"), []byte("package ws\n"), 0o644)
	if err := os.Symlink(outside, filepath.Join(ws, "outlink")); err != nil {
		t.Fatal(err)
	}
	return ws
}

// TestServeRefusesLinkOutOfRoot: serve's Analyze with a path through an
// in-root link to a folder outside the root is refused (InvalidArgument),
// not analysed; the server goes on answering.
func TestServeRefusesLinkOutOfRoot(t *testing.T) {
	ws := outlinkWorkspace(t)
	s := startServe(t, nil, "--listen", "unix:"+shortSocket(t), "--root", ws)
	c := s.dial(t)
	ctx := testenv.Context(t)
	for _, paths := range [][]string{{"outlink/bad.go"}, {"outlink"}, {filepath.Join(ws, "outlink", "bad.go")}} {
		res, err := c.Analyze(ctx, &api.AnalyzeRequest{Cwd: ws, Paths: paths, Format: "json"}, api.Events{})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "outside the workspace") {
			out := ""
			if res != nil {
				out = string(res.Output)
			}
			t.Errorf("Analyze %v: %v, want InvalidArgument, outside the workspace; output:\n%s", paths, err, out)
		}
	}
	res, err := c.Analyze(ctx, &api.AnalyzeRequest{Cwd: ws, Paths: []string{"good.go"}, Format: "json"}, api.Events{})
	if err != nil || res.Outcome != api.OK {
		t.Errorf("Analyze good.go after the refusals: %v %+v", err, res)
	}
}

// TestMCPCheckRefusesLinkOutOfRoot: MCP check with a path through an
// in-root link to a folder outside is a tool error, and the server goes
// on.
func TestMCPCheckRefusesLinkOutOfRoot(t *testing.T) {
	ws := outlinkWorkspace(t)
	s := startMCP(t, ws)
	for _, p := range []string{"outlink/bad.go", "outlink"} {
		res := s.call(t, "check", map[string]any{"paths": []string{p}})
		if !res.IsError || !strings.Contains(mcpText(res), "outside the workspace") || strings.Contains(mcpText(res), "bad.go:3") {
			t.Errorf("check %s: error %v:\n%s", p, res.IsError, mcpText(res))
		}
	}
	if res := s.call(t, "check", map[string]any{"paths": []string{"good.go"}}); res.IsError {
		t.Errorf("check good.go: %s", mcpText(res))
	}
}

type mcpSession struct {
	*mcp.ClientSession
	ctx context.Context
}

// startMCP runs `gauntlet mcp --root ws ARGS` through the go-sdk's client.
func startMCP(t *testing.T, ws string, args ...string) *mcpSession {
	t.Helper()
	ctx := testenv.Context(t)
	cmd := exec.Command(gauntletBin(t), append([]string{"mcp", "--root", ws}, args...)...)
	c := mcp.NewClient(&mcp.Implementation{Name: "gauntlet-test", Version: "1"}, nil)
	s, err := c.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &mcpSession{s, ctx}
}

func (s *mcpSession) call(t *testing.T, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	res, err := s.CallTool(s.ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

func mcpText(r *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range r.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text + "\n")
		}
	}
	return b.String()
}

// TestServeRefusesLooserSandbox: the operator's setting (no --sandbox, no
// loop.sandbox: auto) may not be lowered by a request: Verify and Fix with
// sandbox "none" are denied (PermissionDenied), saying which setting allows
// it; a request for bwrap (stricter) is served and its verdict names the
// sandbox; with the operator's --sandbox none the same request runs.
func TestServeRefusesLooserSandbox(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	sandboxed := hasBwrap(t)
	dir := gocalcCopy(t, "")
	s := startServe(t, nil, "--listen", "unix:"+shortSocket(t), "--root", dir)
	c := s.dial(t)
	ctx := testenv.Context(t)
	_, err := c.Verify(ctx, &api.VerifyRequest{Cwd: dir, Patch: []byte(neutralEdit), Format: "json", Sandbox: "none"}, api.Events{})
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "loop.sandbox: none") {
		t.Errorf("Verify sandbox none: %v, want PermissionDenied naming loop.sandbox: none", err)
	}
	_, err = c.Fix(ctx, &api.FixRequest{Cwd: dir, Paths: []string{"calc"}, Format: "json", Sandbox: "none", NoTests: true}, api.Events{})
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "--sandbox none") {
		t.Errorf("Fix sandbox none: %v, want PermissionDenied naming --sandbox none", err)
	}
	if sandboxed {
		res, err := c.Verify(ctx, &api.VerifyRequest{Cwd: dir, Patch: []byte(neutralEdit), Format: "json", Sandbox: "bwrap"}, api.Events{})
		if err != nil || !strings.Contains(string(res.JSON), `"sandbox": "bwrap"`) {
			t.Errorf("Verify sandbox bwrap: %v\n%s", err, res.JSON)
		}
	}

	open := startServe(t, nil, "--listen", "unix:"+shortSocket(t), "--root", dir, "--sandbox", "none")
	c2 := open.dial(t)
	res, err := c2.Verify(ctx, &api.VerifyRequest{Cwd: dir, Patch: []byte(neutralEdit), Format: "json", Sandbox: "none"}, api.Events{})
	if err != nil || !strings.Contains(string(res.JSON), `"sandbox": "none"`) {
		t.Errorf("Verify sandbox none, operator none: %v\n%v", err, res)
	}
}

// TestMCPRefusesLooserSandbox: the verify and fix tools asking for sandbox
// "none" against the operator's setting are tool errors naming the
// setting that allows it; the server goes on.
func TestMCPRefusesLooserSandbox(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	dir := gocalcCopy(t, "loop:\n  sandbox: auto\n")
	s := startMCP(t, dir)
	res := s.call(t, "verify", map[string]any{"patch": neutralEdit, "sandbox": "none"})
	if !res.IsError || !strings.Contains(mcpText(res), "loop.sandbox: none") {
		t.Errorf("verify sandbox none: error %v:\n%s", res.IsError, mcpText(res))
	}
	res = s.call(t, "fix", map[string]any{"paths": []string{"calc"}, "no_tests": true, "sandbox": "none"})
	if !res.IsError || !strings.Contains(mcpText(res), "loop.sandbox: none") {
		t.Errorf("fix sandbox none: error %v:\n%s", res.IsError, mcpText(res))
	}
	if res := s.call(t, "check", map[string]any{"paths": []string{"calc"}}); res.IsError {
		t.Errorf("check after the refusals: %s", mcpText(res))
	}
}

// noBwrapPath is a PATH with go but without bwrap.
func noBwrapPath(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	for _, tool := range []string{"go", "git"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			continue
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

// TestFixRefusesUnsandboxedModelEdits: without bubblewrap, gauntlet fix
// with a model and serve's Verify refuse to run the edits unsandboxed,
// saying how to install bubblewrap; loop.sandbox: none lets fix run them.
func TestFixRefusesUnsandboxedModelEdits(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	dir := brokenGocalc(t, "")
	srv := modeltest.OpenAI(t, modeltest.Reply{Text: rightFix})
	fix := exec.Command(gauntletBin(t), "fix", "calc", "--format", "json", "--max-attempts", "1")
	fix.Dir = dir
	fix.Env = append(os.Environ(), append(srv.Env("gpt-test"), "PATH="+noBwrapPath(t))...)
	out, err := fix.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitError || !strings.Contains(string(out), "apt-get install bubblewrap") {
		t.Errorf("fix without bwrap: %v, want exit 2 saying how to install bubblewrap:\n%s", err, out)
	}
	if len(srv.Requests()) != 0 {
		t.Errorf("the model was asked though its edits could not run")
	}

	s := startServe(t, []string{"PATH=" + noBwrapPath(t)}, "--listen", "unix:"+shortSocket(t), "--root", dir)
	c := s.dial(t)
	ctx := testenv.Context(t)
	var log []string
	res, err := c.Verify(ctx, &api.VerifyRequest{Cwd: dir, Patch: []byte(neutralEdit), Format: "json"}, api.Events{Log: func(l string) { log = append(log, l) }})
	if err != nil || res.Outcome != api.Error || !strings.Contains(strings.Join(log, "\n"), "apt-get install bubblewrap") {
		t.Errorf("serve Verify without bwrap: %v %+v, log:\n%s", err, res, strings.Join(log, "\n"))
	}

	if err := os.WriteFile(filepath.Join(dir, ".gauntlet.yaml"), []byte("loop:\n  sandbox: none\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fix = exec.Command(gauntletBin(t), "fix", "calc", "--format", "json", "--max-attempts", "1")
	fix.Dir = dir
	fix.Env = append(os.Environ(), append(srv.Env("gpt-test"), "PATH="+noBwrapPath(t))...)
	out, _ = fix.Output()
	if !strings.Contains(string(out), `"sandbox": "none"`) || !strings.Contains(string(out), `"accepted": true`) {
		t.Errorf("fix with loop.sandbox: none:\n%s", out)
	}
}

// TestMCPMalformedLines: lines that are not JSON, not a JSON-RPC message or
// of another jsonrpc version get a parse error (-32700) or invalid-request
// (-32600) answer from gauntlet mcp, and the next valid request is served.
func TestMCPMalformedLines(t *testing.T) {
	dir := gocalcCopy(t, "")
	cmd := exec.Command(gauntletBin(t), "mcp", "--root", dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	lines := make(chan map[string]any)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				m = map[string]any{"unparsable": sc.Text()}
			}
			lines <- m
		}
		if err := sc.Err(); err != nil {
			lines <- map[string]any{"unparsable": "reading gauntlet mcp's output: " + err.Error()}
		}
		close(lines)
	}()
	deadline, ok := t.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Minute)
	}
	send := func(l string) {
		t.Helper()
		if _, err := io.WriteString(stdin, l+"\n"); err != nil {
			t.Fatalf("write %q: %v (stderr: %s)", l, err, stderr.String())
		}
	}
	next := func(what string) map[string]any {
		t.Helper()
		select {
		case m, ok := <-lines:
			if !ok {
				t.Fatalf("%s: gauntlet mcp closed its output (exit: %v)\nstderr: %s", what, cmd.Wait(), stderr.String())
			}
			return m
		case <-time.After(time.Until(deadline)):
			t.Fatalf("%s: no answer", what)
		}
		return nil
	}
	code := func(m map[string]any) float64 {
		e, _ := m["error"].(map[string]any)
		c, _ := e["code"].(float64)
		return c
	}
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	if m := next("initialize"); m["result"] == nil {
		t.Fatalf("initialize: %v", m)
	}
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	for _, c := range []struct {
		line string
		code float64
		id   any
	}{
		{`{not json`, -32700, nil},
		{`[1,2,3]`, -32600, nil},
		{`{"jsonrpc":"1.0","id":7,"method":"tools/list"}`, -32600, float64(7)},
		{`42`, -32600, nil},
		{`{"jsonrpc":"2.0","id":8,"method":5}`, -32600, float64(8)},
	} {
		send(c.line)
		m := next(c.line)
		if code(m) != c.code || m["id"] != c.id {
			t.Errorf("%s: answer %v, want error %v with id %v", c.line, m, c.code, c.id)
		}
	}
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	m := next("tools/list")
	res, _ := m["result"].(map[string]any)
	if tools, _ := res["tools"].([]any); len(tools) != 5 || m["id"] != float64(2) {
		t.Errorf("tools/list after the bad lines: %v", m)
	}
}

// TestServeKilledLeavesNoPluginChild: gauntlet serve with a plugin loaded
// whose process started a child in a session of its own (setsid); after
// kill -9 of serve, neither the plugin nor that child is left (/proc).
func TestServeKilledLeavesNoPluginChild(t *testing.T) {
	bin := buildPlugins(t)
	ws := t.TempDir()
	os.WriteFile(filepath.Join(ws, "a.go"), []byte("package a\n"), 0o644)
	os.WriteFile(filepath.Join(ws, ".gauntlet.yaml"), []byte(fmt.Sprintf("plugins:\n  - name: daemonizer\n    path: %s/misbehave\n    args: [setsid]\n", bin)), 0o644)
	s := startServe(t, nil, "--listen", "unix:"+shortSocket(t), "--root", ws)
	c := s.dial(t)
	ctx := testenv.Context(t)
	res, err := c.Analyze(ctx, &api.AnalyzeRequest{Cwd: ws, Paths: []string{"a.go"}, Format: "json"}, api.Events{})
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`child (\d+)`).FindSubmatch(res.JSON)
	if m == nil {
		t.Fatalf("no finding from the plugin:\n%s\n%s", res.JSON, s.stderr())
	}
	child, _ := strconv.Atoi(string(m[1]))
	defer syscall.Kill(child, syscall.SIGKILL)
	if !testenv.Running(child) {
		t.Fatalf("the plugin's child %d is not running", child)
	}
	syscall.Kill(s.cmd.Process.Pid, syscall.SIGKILL) // serve alone, not its group
	<-s.exited
	if !testenv.WaitExit(t, child) {
		t.Fatalf("the plugin's setsid child %d outlived gauntlet serve killed with SIGKILL", child)
	}
}

// TestVerifyRefusesSymlinkPatches: a git patch that makes a path a symbolic
// link (new file mode 120000, or a mode change of an existing file) or a
// submodule is refused by the apply gate; before, the link's text was
// written as a regular file and could be accepted.
func TestVerifyRefusesSymlinkPatches(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	dir := gocalcCopy(t, "")
	patches := map[string]string{
		"new link": "diff --git a/calc/link.go b/calc/link.go\nnew file mode 120000\nindex 0000000..1111111\n" +
			"--- /dev/null\n+++ b/calc/link.go\n@@ -0,0 +1 @@\n+/etc/passwd\n\\ No newline at end of file\n",
		"submodule": "diff --git a/sub b/sub\nnew file mode 160000\nindex 0000000..1111111\n" +
			"--- /dev/null\n+++ b/sub\n@@ -0,0 +1 @@\n+Subproject commit 1111111111111111111111111111111111111111\n",
	}
	for name, p := range patches {
		t.Run(name, func(t *testing.T) {
			wantApplyRefusal(t, dir, p, "mode 1")
		})
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// TestMCP drives `gauntlet mcp` as an agent does: the go-sdk's own client
// over a CommandTransport running the built binary lists the tools and
// calls check and verify; a tool that fails answers with an error result
// and the server goes on.
func TestMCP(t *testing.T) {
	bin := gauntletBin(t)
	dir := exampleCopy(t, "gocalc")
	ctx := testenv.Context(t)
	cmd := exec.Command(bin, "mcp", "--root", dir, "--sandbox", "none") // the operator allows none
	c := mcp.NewClient(&mcp.Implementation{Name: "gauntlet-test", Version: "1"}, nil)
	s, err := c.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	tools, err := s.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	if got := strings.Join(names, " "); got != "affected_tests check fix tests_for_line verify" {
		t.Errorf("tools: %s", got)
	}

	call := func(name string, args map[string]any) *mcp.CallToolResult {
		t.Helper()
		res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return res
	}
	text := func(r *mcp.CallToolResult) string {
		var b strings.Builder
		for _, c := range r.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				b.WriteString(tc.Text + "\n")
			}
		}
		return b.String()
	}

	// check: the same document as gauntlet check --format json.
	res := call("check", map[string]any{"paths": []string{"calc"}})
	if res.IsError {
		t.Fatalf("check: %s", text(res))
	}
	var doc struct {
		Diagnostics []json.RawMessage `json:"diagnostics"`
	}
	first := res.Content[0].(*mcp.TextContent).Text
	if err := json.Unmarshal([]byte(first), &doc); err != nil || doc.Diagnostics == nil {
		t.Errorf("check result is not gauntlet check's JSON (%v):\n%s", err, first)
	}
	t.Chdir(dir)
	_, local, _ := gauntletHere("check", "calc", "--format", "json")
	if first != local {
		t.Errorf("check tool:\n%s\ngauntlet check --format json:\n%s", first, local)
	}

	// verify: a SEARCH/REPLACE edit gets a verdict with its gates.
	res = call("verify", map[string]any{
		"patch":   "calc/calc.go\n<<<<<<< SEARCH\n\treturn clamp(a - b)\n=======\n\treturn clamp(b - a)\n>>>>>>> REPLACE\n",
		"sandbox": "none",
	})
	if res.IsError {
		t.Fatalf("verify: %s", text(res))
	}
	var v struct {
		Accepted *bool `json:"accepted"`
		Gates    []struct {
			Name string `json:"name"`
			OK   bool   `json:"ok"`
		} `json:"gates"`
	}
	if err := json.Unmarshal([]byte(res.Content[0].(*mcp.TextContent).Text), &v); err != nil || v.Accepted == nil || len(v.Gates) == 0 || v.Gates[0].Name != "apply" {
		t.Errorf("verify result (%v):\n%s", err, text(res))
	}
	if *v.Accepted {
		t.Errorf("a - b turned into b - a was accepted:\n%s", text(res))
	}

	// Failures are tool errors, and the server stays up.
	if res := call("verify", map[string]any{"patch": "  "}); !res.IsError || !strings.Contains(text(res), "empty") {
		t.Errorf("empty patch: %+v %s", res.IsError, text(res))
	}
	if res := call("tests_for_line", map[string]any{"file": "no/such.go", "line": 3}); !res.IsError {
		t.Errorf("missing file: %s", text(res))
	}
	if res := call("check", map[string]any{"paths": []string{"../../../etc"}}); !res.IsError || !strings.Contains(text(res), "outside") {
		t.Errorf("path outside the root: %s", text(res))
	}
	if res := call("check", map[string]any{"paths": []string{"calc"}}); res.IsError {
		t.Errorf("check after failures: %s", text(res))
	}
}

// mcpClient runs `gauntlet mcp --root dir` and connects the go-sdk's client.
func mcpClient(t *testing.T, ctx context.Context, dir string, env ...string) *mcp.ClientSession {
	t.Helper()
	cmd := exec.Command(gauntletBin(t), "mcp", "--root", dir)
	cmd.Env = append(os.Environ(), env...)
	c := mcp.NewClient(&mcp.Implementation{Name: "gauntlet-test", Version: "1"}, nil)
	s, err := c.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Every tool declares the schema of its structuredContent, and what each
// tool returns validates against it (santhosh-tekuri/jsonschema, not the
// SDK's own validator); the input schemas list the values an argument takes.
func TestMCPOutputSchemas(t *testing.T) {
	dir := exampleCopy(t, "gocalc")
	ctx := testenv.Context(t)
	env := []string{"GAUNTLET_MODEL=none", "GAUNTLET_CACHE=" + t.TempDir()}
	s := mcpClient(t, ctx, dir, env...)
	// check on a workspace with findings (and their fixes), so that the
	// diagnostics' schema is exercised too.
	rulesDir := filepath.Join(pkgDir, "testdata", "checkrules")
	sCheck := mcpClient(t, ctx, rulesDir, env...)

	tools, err := s.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	schemas := map[string]*jsonschema.Schema{}
	for _, tool := range tools.Tools {
		if tool.OutputSchema == nil {
			t.Errorf("%s declares no outputSchema", tool.Name)
			continue
		}
		raw, _ := json.Marshal(tool.OutputSchema)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource(tool.Name+".json", doc); err != nil {
			t.Fatal(err)
		}
		if schemas[tool.Name], err = c.Compile(tool.Name + ".json"); err != nil {
			t.Errorf("%s: outputSchema does not compile: %v\n%s", tool.Name, err, raw)
		}
		in, _ := json.Marshal(tool.InputSchema)
		switch tool.Name {
		case "check":
			if !strings.Contains(string(in), `"enum":["error","warning","info","hint","none"]`) {
				t.Errorf("check's fail_on lists not its values: %s", in)
			}
		case "verify":
			if !strings.Contains(string(in), `"enum":["auto","bwrap","none"]`) {
				t.Errorf("verify's sandbox lists not its values: %s", in)
			}
		}
	}
	if len(schemas) != 5 {
		t.Fatalf("%d tools with a schema: %v", len(schemas), tools.Tools)
	}

	for _, tc := range []struct {
		s    *mcp.ClientSession
		tool string
		args map[string]any
		want string // a key of the document, non-empty
	}{
		{sCheck, "check", map[string]any{"fail_on": "none"}, "diagnostics"},
		{s, "verify", map[string]any{"patch": mutant}, "gates"},
		{s, "verify", map[string]any{"patch": declEdit}, "gates"},
		{s, "affected_tests", map[string]any{"patch": declEdit, "coverage": true}, "tests"},
		{s, "tests_for_line", map[string]any{"file": "calc/calc.go", "line": 14}, "tests"},
		{s, "fix", map[string]any{"paths": []string{"calc"}}, "problems"},
	} {
		res, err := tc.s.CallTool(ctx, &mcp.CallToolParams{Name: tc.tool, Arguments: tc.args})
		if err != nil {
			t.Fatalf("%s: %v", tc.tool, err)
		}
		if res.IsError || res.StructuredContent == nil {
			t.Errorf("%s: error %v, no structured content: %+v", tc.tool, res.IsError, res.Content)
			continue
		}
		raw, _ := json.Marshal(res.StructuredContent)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := schemas[tc.tool].Validate(doc); err != nil {
			t.Errorf("%s: structuredContent does not validate against its outputSchema: %v\n%s", tc.tool, err, raw)
		}
		if m, _ := res.StructuredContent.(map[string]any); m == nil || m[tc.want] == nil {
			t.Errorf("%s: no %s in %s", tc.tool, tc.want, raw)
		}
	}
}

// A tool's error names its own arguments and every value they take.
func TestMCPErrorTexts(t *testing.T) {
	dir := exampleCopy(t, "gocalc")
	ctx := testenv.Context(t)
	s := mcpClient(t, ctx, dir)
	for _, tc := range []struct {
		tool string
		args map[string]any
		want []string
	}{
		{"verify", map[string]any{"patch": "  "}, []string{"patch", "empty"}},
		{"verify", map[string]any{"patch": "x", "sandbox": "docker"}, []string{"sandbox", "auto", "bwrap", "none"}},
		{"check", map[string]any{"fail_on": "fatal"}, []string{"fail_on", "error", "warning", "info", "hint", "none"}},
		{"check", map[string]any{"only": []string{"no-such-rule"}}, []string{"only", "no-such-rule"}},
		{"fix", map[string]any{"max_attempts": -1}, []string{"max_attempts"}},
		{"affected_tests", map[string]any{"patch": "--- a/calc/calc.go\n+++ b/calc/calc.go\n@@ -1,1 +1,1 @@\n-not in the file\n+x\n"}, []string{"patch", "neither before nor after"}},
	} {
		res, err := s.CallTool(ctx, &mcp.CallToolParams{Name: tc.tool, Arguments: tc.args})
		if err != nil {
			t.Fatalf("%s: %v", tc.tool, err)
		}
		var text strings.Builder
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				text.WriteString(tc.Text)
			}
		}
		if !res.IsError {
			t.Errorf("%s %v: not an error: %s", tc.tool, tc.args, text.String())
			continue
		}
		if strings.Contains(text.String(), "--") {
			t.Errorf("%s %v: the error names a command-line flag: %s", tc.tool, tc.args, text.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(text.String(), w) {
				t.Errorf("%s %v: the error lacks %q: %s", tc.tool, tc.args, w, text.String())
			}
		}
	}
}

// The command line's --fail-on lists every value it takes, none included.
func TestFlagFailOnValues(t *testing.T) {
	code, _, stderr := gauntlet(t, "testdata/checkrules", "check", "--fail-on", "fatal")
	if code != exitError || !strings.Contains(stderr, "error, warning, info, hint or none") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestMCP drives `gauntlet mcp` as an agent does: the go-sdk's own client
// over a CommandTransport running the built binary lists the tools and
// calls check and verify; a tool that fails answers with an error result
// and the server goes on.
func TestMCP(t *testing.T) {
	bin := gauntletBin(t)
	dir := exampleCopy(t, "gocalc")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
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

// Package mcp serves the engine's work as Model Context Protocol tools
// (gauntlet mcp): check, verify, affected_tests, tests_for_line and fix,
// each answering with the JSON document of the command of the same work.
package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/report"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/verify"
	"github.com/gauntlet-dev/gauntlet/server/workspace"
)

// The errors of the work name the command line's flags; a tool's error
// names the tool and its own arguments instead.
var (
	checkErrors    = strings.NewReplacer("gauntlet check: ", "check: ", "--fail-on", "fail_on", "--only", "only", "--new-from-rev", "new_from_rev")
	verifyErrors   = strings.NewReplacer("gauntlet verify: ", "verify: ", "--patch", "patch", "--sandbox", "sandbox")
	affectedErrors = strings.NewReplacer("gauntlet test: ", "affected_tests: ", "--affected-by", "patch")
	testsForErrors = strings.NewReplacer("gauntlet coverage: ", "tests_for_line: ", "--tests-for", "file and line")
	fixErrors      = strings.NewReplacer("gauntlet fix: ", "fix: ", "--max-attempts", "max_attempts")
)

// The tools' arguments. Paths are relative to the workspace root.

type checkArgs struct {
	Paths      []string `json:"paths,omitempty" jsonschema:"files or directories to analyse, relative to the workspace root; none: all"`
	FailOn     string   `json:"fail_on,omitempty" jsonschema:"severity that makes the outcome findings: error, warning (default), info, hint or none"`
	Only       []string `json:"only,omitempty" jsonschema:"run only these analyzers or rules (ids)"`
	NewFromRev string   `json:"new_from_rev,omitempty" jsonschema:"report only findings on lines changed since this git revision"`
}

type verifyArgs struct {
	Patch   string `json:"patch" jsonschema:"the edit: a unified diff, or SEARCH/REPLACE blocks (path line, <<<<<<< SEARCH, =======, >>>>>>> REPLACE)"`
	Sandbox string `json:"sandbox,omitempty" jsonschema:"the operator's setting (default), or a stricter one: bwrap; none only if the operator allows it"`
}

type affectedArgs struct {
	Patch    string   `json:"patch" jsonschema:"a unified diff; the tests it affects run"`
	Paths    []string `json:"paths,omitempty" jsonschema:"look for tests only under these paths"`
	Coverage bool     `json:"coverage,omitempty" jsonschema:"report coverage of the run"`
}

type testsForArgs struct {
	File string `json:"file" jsonschema:"a source file, relative to the workspace root"`
	Line int    `json:"line" jsonschema:"a 1-based line of the file"`
}

type fixArgs struct {
	Paths       []string `json:"paths,omitempty" jsonschema:"where to look for findings and failing tests; none: all"`
	MaxAttempts int      `json:"max_attempts,omitempty" jsonschema:"attempts per problem (default: the configuration's)"`
	NoTests     bool     `json:"no_tests,omitempty" jsonschema:"fix only findings, not failing tests"`
	Sandbox     string   `json:"sandbox,omitempty" jsonschema:"the operator's setting (default), or a stricter one: bwrap; none only if the operator allows it"`
}

// NewServer returns the MCP server of the tools over b, for the
// workspace at root; version is the tool's.
func NewServer(b api.Backend, root, version string) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "gauntlet", Version: version}, nil)
	t := &mcpTools{b: b, root: root}
	mcp.AddTool(s, &mcp.Tool{Name: "check", InputSchema: inputSchema[checkArgs](map[string][]any{"fail_on": {"error", "warning", "info", "hint", "none"}}), OutputSchema: outputSchema[report.JSONReport](), Description: "Report syntax errors and analyzer findings (gauntlet check --format json): each with path, 1-based range, severity, code, message and fixes."},
		func(ctx context.Context, req *mcp.CallToolRequest, in checkArgs) (*mcp.CallToolResult, any, error) {
			return t.do(ctx, req, checkErrors, func(ev api.Events) (*api.Result, error) {
				return b.Analyze(ctx, &api.AnalyzeRequest{Cwd: root, Paths: in.Paths, Format: "json", FailOn: in.FailOn, Only: in.Only, NewFromRev: in.NewFromRev}, ev)
			})
		})
	mcp.AddTool(s, &mcp.Tool{Name: "verify", InputSchema: inputSchema[verifyArgs](map[string][]any{"sandbox": {"auto", "bwrap", "none"}}), OutputSchema: outputSchema[verify.Verdict](), Description: "Verify a proposed edit without touching the files (gauntlet verify --format json): apply, parse, analyzers, build, tests, coverage, with the evidence of the gate that rejects it."},
		func(ctx context.Context, req *mcp.CallToolRequest, in verifyArgs) (*mcp.CallToolResult, any, error) {
			return t.do(ctx, req, verifyErrors, func(ev api.Events) (*api.Result, error) {
				return b.Verify(ctx, &api.VerifyRequest{Cwd: root, Patch: []byte(in.Patch), Format: "json", Sandbox: in.Sandbox}, ev)
			})
		})
	mcp.AddTool(s, &mcp.Tool{Name: "affected_tests", OutputSchema: outputSchema[server.TestReport](), Description: "Run the tests a change affects, from the per-test coverage map, in the operator's sandbox (gauntlet test --affected-by --format json); changed lines no test covers are listed."},
		func(ctx context.Context, req *mcp.CallToolRequest, in affectedArgs) (*mcp.CallToolResult, any, error) {
			return t.do(ctx, req, affectedErrors, func(ev api.Events) (*api.Result, error) {
				return b.RunTests(ctx, &api.TestsRequest{Cwd: root, Paths: in.Paths, AffectedBy: []byte(in.Patch), Coverage: in.Coverage, Format: "json"}, ev)
			})
		})
	mcp.AddTool(s, &mcp.Tool{Name: "tests_for_line", OutputSchema: outputSchema[api.CoveringTestsDocument](), Description: "List the tests that cover a line, from the per-test coverage map (gauntlet coverage --tests-for FILE:LINE --format json)."},
		func(ctx context.Context, req *mcp.CallToolRequest, in testsForArgs) (*mcp.CallToolResult, any, error) {
			return t.do(ctx, req, testsForErrors, func(ev api.Events) (*api.Result, error) {
				return b.Coverage(ctx, &api.CoverageRequest{Cwd: root, TestsFor: fmt.Sprintf("%s:%d", in.File, in.Line), Format: "json"}, ev)
			})
		})
	mcp.AddTool(s, &mcp.Tool{Name: "fix", OutputSchema: outputSchema[api.FixDocument](), Description: "Fix findings and failing tests through the closed loop (gauntlet fix --format json): every proposed edit is verified; the result holds the verified patch. Files are not written."},
		func(ctx context.Context, req *mcp.CallToolRequest, in fixArgs) (*mcp.CallToolResult, any, error) {
			return t.do(ctx, req, fixErrors, func(ev api.Events) (*api.Result, error) {
				return b.Fix(ctx, &api.FixRequest{Cwd: root, Paths: in.Paths, MaxAttempts: in.MaxAttempts, NoTests: in.NoTests, Format: "json", Quiet: true, Sandbox: in.Sandbox}, ev)
			})
		})
	return s
}

// outputSchema is the JSON schema of a tool's structuredContent: that of the
// Go type its JSON document is marshalled from.
func outputSchema[T any]() *jsonschema.Schema {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		panic(err) // a type no schema describes: a programming error, caught by TestMCPOutputSchemas
	}
	return s
}

// inputSchema is the schema of a tool's arguments, with the values an
// argument takes listed as its enum.
func inputSchema[T any](enums map[string][]any) *jsonschema.Schema {
	s := outputSchema[T]()
	for name, values := range enums {
		s.Properties[name].Enum = values
	}
	return s
}

type mcpTools struct {
	b    api.Backend
	root string
}

// do runs a tool's call and turns its result into the tool's: the JSON
// document as text and as structured content, the outcome and the log
// beside it. A job that could not do its work, a refused request or a
// panic is a tool error; the server goes on.
func (t *mcpTools) do(ctx context.Context, req *mcp.CallToolRequest, errs *strings.Replacer, job func(api.Events) (*api.Result, error)) (res *mcp.CallToolResult, _ any, _ error) {
	defer func() {
		if r := recover(); r != nil {
			res = toolError(fmt.Sprintf("gauntlet: internal error: %v\n%s", r, debug.Stack()))
		}
	}()
	var mu sync.Mutex
	var log []string
	ev := api.Events{Log: func(l string) { mu.Lock(); log = append(log, l); mu.Unlock() }}
	if token := req.Params.GetProgressToken(); token != nil && req.Session != nil {
		var n float64
		ev.Progress = func(p analysis.Progress) {
			mu.Lock()
			n++
			progress := n
			mu.Unlock()
			msg := p.Title
			if p.Message != "" {
				msg = p.Message
			}
			req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: token, Message: msg, Progress: progress})
		}
	}
	r, err := job(ev)
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		return toolError(errs.Replace(workspace.RemoteError(err) + logText(log))), nil, nil
	}
	if r.Outcome == api.Error || len(r.JSON) == 0 {
		msg := "gauntlet could not do this"
		if len(log) > 0 {
			msg = strings.Join(log, "\n")
		}
		return toolError(errs.Replace(msg)), nil, nil
	}
	out := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(r.JSON)}}}
	var doc map[string]any
	if json.Unmarshal(r.JSON, &doc) == nil {
		out.StructuredContent = doc
	}
	note := "outcome: " + r.Outcome.String()
	if r.Outcome == api.Findings {
		note += " (findings, a rejected edit, failing tests or no accepted fix)"
	}
	out.Content = append(out.Content, &mcp.TextContent{Text: note + logText(log)})
	return out, nil, nil
}

func logText(log []string) string {
	if len(log) == 0 {
		return ""
	}
	return "\n" + strings.Join(log, "\n")
}

func toolError(msg string) *mcp.CallToolResult {
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: msg}}}
}

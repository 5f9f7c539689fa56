package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/patch"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

func init() {
	register(&command{name: "verify", args: "--patch FILE|-", summary: "verify a proposed patch: apply, parse, analyzers, build, tests, coverage", flags: verifyCommand,
		long: "Applies the edit to a shadow copy of the workspace and runs the gates of .gauntlet.yaml's loop:\n" +
			"apply, parse, analyzers, build, tests, coverage. The workspace is never modified.\n" +
			"Exit status: 0 accepted, 1 rejected, 2 error."})
}

// verifyStdin is where --patch - reads from (tests replace it).
var verifyStdin io.Reader = os.Stdin

func verifyCommand(fs *pflag.FlagSet) workFunc {
	patchArg := fs.String("patch", "", "the edit to verify: a unified diff or SEARCH/REPLACE blocks, from `FILE` (- for stdin)")
	format := fs.String("format", "text", "output `FORMAT`: text|json")
	sandbox := fs.String("sandbox", "", "run builds and tests under bubblewrap (`MODE`): auto|bwrap|none (default: loop.sandbox of .gauntlet.yaml, else auto)")
	noTestEdits := fs.Bool("no-test-edits", false, "reject an edit that changes or deletes a test that existed before it")
	serverAddr := serverFlag(fs)
	return func(args []string, stdout, stderr io.Writer) int {
		fail := func(err error) int {
			fmt.Fprintf(stderr, "gauntlet verify: %v\n", err)
			return exitError
		}
		if len(args) > 0 {
			return fail(fmt.Errorf("unexpected argument %q (the edit comes from --patch)", args[0]))
		}
		if *patchArg == "" {
			fmt.Fprintln(stderr, "usage: gauntlet verify --patch FILE|- [flags]: --patch is required (gauntlet verify --help)")
			return exitError
		}
		req := &api.VerifyRequest{Format: *format, Sandbox: *sandbox, NoTestEdits: *noTestEdits}
		if _, err := verifyRequestCheck(req); err != nil {
			return fail(err)
		}
		var data []byte
		var err error
		if *patchArg == "-" {
			data, err = io.ReadAll(verifyStdin)
		} else {
			data, err = os.ReadFile(*patchArg)
		}
		if err != nil {
			return fail(fmt.Errorf("--patch: %w", err))
		}
		if len(bytes.TrimSpace(data)) == 0 {
			return fail(fmt.Errorf("--patch %s: empty", *patchArg))
		}

		req.Patch = data

		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if *serverAddr != "" {
			if req.NoTestEdits {
				return fail(fmt.Errorf("--no-test-edits is not carried to a server yet: set loop.allow_test_edits: false in the server workspace's .gauntlet.yaml, or verify locally"))
			}
			return remote(ctx, *serverAddr, stdout, stderr, func(b api.Backend, cwd string, ev api.Events) (*api.Result, error) {
				req.Cwd = cwd
				return b.Verify(ctx, req, ev)
			})
		}
		c, done := withTerminalProgress(localCall(stdout, stderr), "verify")
		defer done()
		return verifyCall(ctx, c, req)
	}
}

// verifyRequestCheck validates a verify request's flags and returns the
// sandbox mode.
func verifyRequestCheck(req *api.VerifyRequest) (string, error) {
	if f := orDefault(req.Format, "text"); f != "text" && f != "json" {
		return "", fmt.Errorf("--format: unknown format %q (want text|json)", f)
	}
	mode, err := verify.ParseSandbox(req.Sandbox)
	if err != nil {
		return "", fmt.Errorf("--sandbox: %v", err)
	}
	return mode, nil
}

// verifyCall is gauntlet verify's work, for the command line and the
// server.
func verifyCall(ctx context.Context, c *call, req *api.VerifyRequest) int {
	stdout := c.stdout
	fail := func(err error) int {
		fmt.Fprintf(c.stderr, "gauntlet verify: %v\n", err)
		return exitError
	}
	if _, err := verifyRequestCheck(req); err != nil {
		return fail(err)
	}
	if len(bytes.TrimSpace(req.Patch)) == 0 {
		return fail(fmt.Errorf("--patch: empty"))
	}
	ws, err := c.openWorkspace(nil)
	if err != nil {
		return fail(err)
	}
	defer ws.close()
	if err := c.loadAnalyzers(ws, nil); err != nil {
		return fail(err)
	}
	mode, err := sandboxMode(c, ws.cfg, req.Sandbox, false)
	if err != nil {
		return fail(err)
	}
	opts := verify.FromConfig(ws.cfg)
	opts.Sandbox = mode
	if req.NoTestEdits {
		opts.TestEdits = verify.TestEditsRefuse
	}
	ws.engine.SetLoop(server.Loop{Verify: opts})
	var progress func(string)
	if c.progress != nil {
		progress = func(gate string) {
			c.report(analysis.Progress{Kind: analysis.ProgressReport, Job: "verify", Gate: gate, Message: "gate " + gate, Percent: gatePercent(gate)})
		}
	}
	snap := analysis.NewSnapshot(ws.root)
	v, err := ws.engine.Verify(ctx, snap, editOf(ws, req.Patch), progress)
	if err != nil {
		return fail(err)
	}
	c.setResult(v)
	if orDefault(req.Format, "text") == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return fail(err)
		}
	} else if err := v.WriteText(stdout); err != nil {
		return fail(err)
	}
	switch {
	case v.Accepted:
		return exitOK
	case v.Errored():
		return exitError
	}
	return exitFindings
}

// gatePercent is how far verify is when gate starts.
func gatePercent(gate string) int {
	for i, g := range verify.Gates {
		if g == gate {
			return i * 100 / len(verify.Gates)
		}
	}
	return -1
}

// editOf reads the --patch input: a unified diff as git or diff write it
// (its paths made relative to the workspace, as gauntlet test does), or
// else text that the apply gate reads as SEARCH/REPLACE blocks or fenced
// diffs.
func editOf(ws *workspace, data []byte) verify.Edit {
	text := string(data)
	if !bytes.Contains(data, []byte("<<<<<<<")) && !bytes.Contains(data, []byte("```")) {
		if files, err := patch.Parse(data); err == nil && len(files) > 0 {
			if rebased, err := rebasePatch(ws, files); err == nil {
				files = rebased
			}
			return verify.Edit{Patch: files}
		}
	}
	return verify.Edit{Text: text}
}

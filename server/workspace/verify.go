package workspace

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/patch"
	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// VerifyRequestCheck validates a verify request's flags and returns the
// sandbox mode.
func VerifyRequestCheck(req *api.VerifyRequest) (string, error) {
	if f := orDefault(req.Format, "text"); f != "text" && f != "json" {
		return "", fmt.Errorf("--format: unknown format %q (want text|json)", f)
	}
	mode, err := verify.ParseSandbox(req.Sandbox)
	if err != nil {
		return "", fmt.Errorf("--sandbox: %v", err)
	}
	return mode, nil
}

// Verify is gauntlet verify's work, for the command line and the
// server.
func Verify(ctx context.Context, c *Call, req *api.VerifyRequest) int {
	stdout := c.stdout
	fail := func(err error) int {
		fmt.Fprintf(c.stderr, "gauntlet verify: %v\n", err)
		return exitError
	}
	if _, err := VerifyRequestCheck(req); err != nil {
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
	ws.engine.SetLoop(loopSettings(ws.cfg, loopAsk{sandbox: mode, noTestEdits: req.NoTestEdits}))
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

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/patch"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

func init() {
	register(&command{name: "verify", summary: "verify a proposed patch: apply, parse, analyzers, build, tests, coverage", run: runVerify})
}

// verifyStdin is where --patch - reads from (tests replace it).
var verifyStdin io.Reader = os.Stdin

func runVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	patchArg := fs.String("patch", "", "the edit to verify: a unified diff or SEARCH/REPLACE blocks, from `FILE` (- for stdin)")
	format := fs.String("format", "text", "output format: text|json")
	sandbox := fs.String("sandbox", "auto", "run builds and tests under bubblewrap: auto|bwrap|none")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gauntlet verify --patch FILE|- [--format text|json] [--sandbox auto|bwrap|none]\n\n"+
			"Applies the edit to a shadow copy of the workspace and runs the gates of .gauntlet.yaml's loop:\n"+
			"apply, parse, analyzers, build, tests, coverage. The workspace is never modified.\n"+
			"Exit status: 0 accepted, 1 rejected, 2 error.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "gauntlet verify: %v\n", err)
		return exitError
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected argument %q (the edit comes from --patch)", fs.Arg(0)))
	}
	if *patchArg == "" {
		fs.Usage()
		return exitError
	}
	if *format != "text" && *format != "json" {
		return fail(fmt.Errorf("--format: unknown format %q (want text|json)", *format))
	}
	mode := *sandbox
	switch mode {
	case "auto":
		mode = verify.SandboxAuto
	case verify.SandboxBwrap, verify.SandboxNone:
	default:
		return fail(fmt.Errorf("--sandbox: unknown mode %q (want auto|bwrap|none)", mode))
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

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ws, err := openWorkspace(nil, stderr)
	if err != nil {
		return fail(err)
	}
	defer ws.close()
	if err := ws.loadAnalyzers(nil); err != nil {
		return fail(err)
	}
	opts := verify.FromConfig(ws.cfg)
	opts.Analyzers = ws.engine
	opts.Sandbox = mode
	snap := analysis.NewSnapshot(ws.root)
	v, err := verify.Verify(ctx, snap, editOf(ws, data), opts)
	if err != nil {
		return fail(err)
	}
	if *format == "json" {
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

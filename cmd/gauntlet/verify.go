package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/workspace"
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
		fail := failer(stderr, "verify")
		if len(args) > 0 {
			return fail(fmt.Errorf("unexpected argument %q (the edit comes from --patch)", args[0]))
		}
		if *patchArg == "" {
			fmt.Fprintln(stderr, "usage: gauntlet verify --patch FILE|- [flags]: --patch is required (gauntlet verify --help)")
			return exitError
		}
		req := &api.VerifyRequest{Format: *format, Sandbox: *sandbox, NoTestEdits: *noTestEdits}
		if _, err := workspace.VerifyRequestCheck(req); err != nil {
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

		if *serverAddr != "" && req.NoTestEdits {
			return fail(fmt.Errorf("--no-test-edits is not carried to a server yet: set loop.allow_test_edits: false in the server workspace's .gauntlet.yaml, or verify locally"))
		}
		return dispatch(*serverAddr, stdout, stderr, "verify", req, &req.Cwd, api.Backend.Verify, workspace.Verify)
	}
}

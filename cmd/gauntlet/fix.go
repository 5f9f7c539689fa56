package main

import (
	"io"

	"github.com/spf13/pflag"

	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/workspace"
)

func init() {
	register(&command{name: "fix", args: "[PATH...]", summary: "fix findings and failing tests through the closed loop; print a verified patch", flags: fixCommand,
		long: "Finds the error and warning findings of PATH (default .) and the tests there that fail, and fixes\n" +
			"them through the closed loop: the model of GAUNTLET_MODEL (or the analyzers' own fixes when there\n" +
			"is none) proposes an edit, the gates of .gauntlet.yaml's loop verify it on a shadow copy, and a\n" +
			"rejection goes back to the model with its evidence. Prints the verified patch; files change only\n" +
			"with --apply. Exit status: 0 a fix was accepted (or nothing to fix), 1 none was, 2 error."})
}

func fixCommand(fs *pflag.FlagSet) workFunc {
	apply := fs.Bool("apply", false, "write the accepted fixes to the files (atomically, and only if they did not change meanwhile)")
	maxAttempts := fs.Int("max-attempts", 0, "`N` attempts per problem (default: loop.max_attempts of .gauntlet.yaml, 3)")
	format := fs.String("format", "text", "output `FORMAT`: text|json|diff|rdjson (reviewdog suggestions)")
	sandbox := fs.String("sandbox", "", "run builds and tests under bubblewrap (`MODE`): auto|bwrap|none (default: loop.sandbox of .gauntlet.yaml, else auto; a model's edits need bubblewrap unless it is none)")
	noTests := fs.Bool("no-tests", false, "fix only findings, not failing tests")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	serverAddr := serverFlag(fs)
	return func(args []string, stdout, stderr io.Writer) int {
		paths := args
		fail := failer(stderr, "fix")
		req := &api.FixRequest{Paths: paths, Apply: *apply, MaxAttempts: *maxAttempts, Format: *format, Sandbox: *sandbox, NoTests: *noTests, Quiet: *quiet}
		if _, err := workspace.FixRequestCheck(req); err != nil {
			return fail(err)
		}
		return dispatch(*serverAddr, stdout, stderr, "", req, &req.Cwd, api.Backend.Fix, workspace.Fix)
	}
}

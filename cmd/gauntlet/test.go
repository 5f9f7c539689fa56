package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/gauntlet-dev/gauntlet/analysis/patch"
	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/workspace"
)

func init() {
	register(&command{name: "test", args: "[PATH...]", summary: "run tests: all, or only those an edit affects", flags: testCommand})
}

func testCommand(fs *pflag.FlagSet) workFunc {
	affectedBy := fs.String("affected-by", "", "run only the tests affected by the unified diff in `PATCH` (- for stdin)")
	runRE := fs.String("run", "", "run only tests whose name or id matches `REGEX`")
	withCov := fs.Bool("coverage", false, "report coverage of the run")
	format := fs.String("format", "text", "output `FORMAT`: text|json")
	serverAddr := serverFlag(fs)
	return func(args []string, stdout, stderr io.Writer) int {
		paths := args
		fail := failer(stderr, "test")
		req := &api.TestsRequest{Paths: paths, Run: *runRE, Coverage: *withCov, Format: *format}
		if err := workspace.TestRequestError(req); err != nil {
			return fail(err)
		}
		if *affectedBy != "" {
			var err error
			if req.AffectedBy, err = readInput(*affectedBy); err != nil {
				return fail(fmt.Errorf("--affected-by: %w", err))
			}
			if _, err := patch.Parse(req.AffectedBy); err != nil {
				return fail(fmt.Errorf("--affected-by %s: %w", *affectedBy, err))
			}
		}
		return dispatch(*serverAddr, stdout, stderr, "test", req, &req.Cwd, api.Backend.RunTests, workspace.Test)
	}
}

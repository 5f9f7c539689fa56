package main

import (
	"io"

	"github.com/spf13/pflag"

	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/workspace"
)

func init() {
	register(&command{name: "coverage", args: "[PATH...]", summary: "per-file coverage from the per-test map; which tests cover a line", flags: coverageCommand})
}

func coverageCommand(fs *pflag.FlagSet) workFunc {
	format := fs.String("format", "text", "output `FORMAT`: text|json|lcov")
	testsFor := fs.String("tests-for", "", "list the tests that cover `FILE:LINE`")
	serverAddr := serverFlag(fs)
	return func(args []string, stdout, stderr io.Writer) int {
		paths := args
		req := &api.CoverageRequest{Paths: paths, Format: *format, TestsFor: *testsFor}
		if _, _, err := workspace.CoverageRequestCheck(req); err != nil {
			return failer(stderr, "coverage")(err)
		}
		return dispatch(*serverAddr, stdout, stderr, "coverage", req, &req.Cwd, api.Backend.Coverage, workspace.Coverage)
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

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
			fmt.Fprintf(stderr, "gauntlet coverage: %v\n", err)
			return exitError
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if *serverAddr != "" {
			return remote(ctx, *serverAddr, stdout, stderr, func(b api.Backend, cwd string, ev api.Events) (*api.Result, error) {
				req.Cwd = cwd
				return b.Coverage(ctx, req, ev)
			})
		}
		c, done := workspace.WithTerminalProgress(localCall(stdout, stderr), "coverage")
		defer done()
		return workspace.Coverage(ctx, c, req)
	}
}

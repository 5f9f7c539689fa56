package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/gauntlet-dev/gauntlet/analysis/report"
	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/workspace"
)

func init() {
	register(&command{name: "check", args: "[PATH...]", summary: "report syntax errors and findings", flags: checkCommand})
}

func checkCommand(fs *pflag.FlagSet) workFunc {
	format := fs.String("format", "text", "output `FORMAT`: "+strings.Join(report.Formats(), "|"))
	failOn := fs.String("fail-on", "warning", "exit 1 when a finding is at or above `SEVERITY`: error|warning|info|hint|none")
	newFromRev := fs.String("new-from-rev", "", "report only findings on lines changed since the git revision `REV` (untracked files count as new)")
	newFromPatch := fs.String("new-from-patch", "", "report only findings on lines the unified diff in `FILE` adds or changes (paths relative to the workspace root; - for stdin)")
	only := fs.String("only", "", "run only these analyzers or rules (`ID,...`), even ones off by default")
	serverAddr := serverFlag(fs)
	return func(args []string, stdout, stderr io.Writer) int {
		paths := args
		if len(paths) == 0 {
			paths = []string{"."}
		}
		req := &api.AnalyzeRequest{Paths: paths, Format: *format, FailOn: *failOn, NewFromRev: *newFromRev}
		for _, id := range strings.Split(*only, ",") {
			if id = strings.TrimSpace(id); id != "" {
				req.Only = append(req.Only, id)
			}
		}
		if msg := workspace.CheckRequestError(req, *newFromPatch != ""); msg != "" {
			fmt.Fprintf(stderr, "gauntlet check: %s\n", msg)
			return exitError
		}
		if *newFromPatch != "" {
			var err error
			if req.NewFromPatch, err = readInput(*newFromPatch); err != nil {
				fmt.Fprintf(stderr, "gauntlet check: --new-from-patch: %v\n", err)
				return exitError
			}
		}

		return dispatch(*serverAddr, stdout, stderr, "", req, &req.Cwd, api.Backend.Analyze, workspace.Check)
	}
}

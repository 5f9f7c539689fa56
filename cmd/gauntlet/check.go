package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/report"
)

func init() {
	register(&command{name: "check", summary: "report syntax errors and findings", run: runCheck})
}

func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: "+strings.Join(report.Formats(), "|"))
	failOn := fs.String("fail-on", "warning", "exit 1 when a finding is at or above: error|warning|info|hint|none")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gauntlet check [PATH...] [--format FORMAT] [--fail-on SEVERITY]")
		fs.PrintDefaults()
	}
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	threshold, err := parseFailOn(*failOn)
	if err != nil {
		fmt.Fprintf(stderr, "gauntlet check: --fail-on: %v\n", err)
		return exitError
	}
	if !contains(report.Formats(), *format) {
		fmt.Fprintf(stderr, "gauntlet check: --format: unknown format %q (want %s)\n", *format, strings.Join(report.Formats(), "|"))
		return exitError
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ws, err := openWorkspace(paths, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "gauntlet check: %v\n", err)
		return exitError
	}
	defer ws.close()
	snap := analysis.NewSnapshot(ws.root)
	files, err := ws.files(snap, paths)
	if err != nil {
		fmt.Fprintf(stderr, "gauntlet check: %v\n", err)
		return exitError
	}
	res, err := ws.engine.Check(ctx, snap, files)
	if err != nil {
		fmt.Fprintf(stderr, "gauntlet check: %v\n", err)
		return exitError
	}
	in := &report.Input{
		Diagnostics: res.Diagnostics,
		Files:       res.Files,
		Analyzers:   ws.engine.Analyzers(),
		DisplayPath: ws.display,
		ToolVersion: version,
	}
	if err := report.Write(stdout, *format, in); err != nil {
		fmt.Fprintf(stderr, "gauntlet check: %v\n", err)
		return exitError
	}
	if len(res.Errors) > 0 {
		// Failures were printed once each as they happened; CI must not pass
		// when a configured analyzer did not run.
		fmt.Fprintf(stderr, "gauntlet check: %d analyzer failure(s); results are incomplete\n", len(res.Errors))
		return exitError
	}
	for _, d := range res.Diagnostics {
		if threshold != 0 && d.Severity <= threshold {
			return exitFindings
		}
	}
	return exitOK
}

// parseFailOn reads --fail-on; "none" is 0 (never fail).
func parseFailOn(s string) (analysis.Severity, error) {
	if s == "none" {
		return 0, nil
	}
	return analysis.ParseSeverity(s)
}

// parseInterspersed parses flags that may come before or after positional
// arguments, as users type them (`gauntlet check . --format json`).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

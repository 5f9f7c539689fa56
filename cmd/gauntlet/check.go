package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/report"
	"github.com/gauntlet-dev/gauntlet/analysis/rules"
)

func init() {
	register(&command{name: "check", summary: "report syntax errors and findings", run: runCheck})
}

func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: "+strings.Join(report.Formats(), "|"))
	failOn := fs.String("fail-on", "warning", "exit 1 when a finding is at or above: error|warning|info|hint|none")
	newFromRev := fs.String("new-from-rev", "", "report only findings on lines changed since this git revision (untracked files count as new)")
	newFromPatch := fs.String("new-from-patch", "", "report only findings on lines this unified diff adds or changes (paths relative to the workspace root; - for stdin)")
	only := fs.String("only", "", "run only these analyzers or rules (comma-separated ids), even ones off by default")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gauntlet check [PATH...] [--format FORMAT] [--fail-on SEVERITY] [--new-from-rev REV | --new-from-patch FILE] [--only ID,...]")
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

	if *newFromRev != "" && *newFromPatch != "" {
		fmt.Fprintln(stderr, "gauntlet check: --new-from-rev and --new-from-patch exclude each other")
		return exitError
	}
	var onlyIDs []string
	for _, id := range strings.Split(*only, ",") {
		if id = strings.TrimSpace(id); id != "" {
			onlyIDs = append(onlyIDs, id)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ws, err := openWorkspace(paths, stderr)
	if err != nil {
		printCheckError(stderr, err)
		return exitError
	}
	defer ws.close()
	if err := ws.loadAnalyzers(onlyIDs); err != nil {
		printCheckError(stderr, err)
		return exitError
	}
	var changed changedLines
	switch {
	case *newFromRev != "":
		if changed, err = changedSinceRev(ws.root, *newFromRev); err != nil {
			fmt.Fprintf(stderr, "gauntlet check: --new-from-rev: %v\n", err)
			return exitError
		}
	case *newFromPatch != "":
		if changed, err = changedFromPatchFile(*newFromPatch); err != nil {
			fmt.Fprintf(stderr, "gauntlet check: --new-from-patch: %v\n", err)
			return exitError
		}
	}
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
	if changed != nil {
		res.Diagnostics = changed.filter(res.Files, res.Diagnostics)
	}
	in := &report.Input{
		Diagnostics: res.Diagnostics,
		Files:       res.Files,
		Analyzers:   ws.engine.Analyzers(),
		DisplayPath: ws.display,
		RepoPath:    ws.repoPath(),
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

// printCheckError prints an error that may list several problems (a
// configuration's, broken rules'), one FILE:LINE: message per line.
func printCheckError(w io.Writer, err error) {
	var ce config.Errors
	var re rules.Errors
	if errors.As(err, &ce) || errors.As(err, &re) {
		// Already FILE:LINE: ..., which editors and CI logs link.
		printErrors(w, err)
		return
	}
	fmt.Fprintf(w, "gauntlet check: %v\n", err)
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

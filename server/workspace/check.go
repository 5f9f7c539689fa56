package workspace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/report"
	"github.com/gauntlet-dev/gauntlet/analysis/rules"
	"github.com/gauntlet-dev/gauntlet/server/api"
)

// CheckRequestError says what is wrong with a check request's flags, or "".
func CheckRequestError(req *api.AnalyzeRequest, newFromPatch bool) string {
	if _, err := parseFailOn(orDefault(req.FailOn, "warning")); err != nil {
		return fmt.Sprintf("--fail-on: %v", err)
	}
	if f := orDefault(req.Format, "text"); !contains(report.Formats(), f) {
		return fmt.Sprintf("--format: unknown format %q (want %s)", f, strings.Join(report.Formats(), "|"))
	}
	if req.NewFromRev != "" && newFromPatch {
		return "--new-from-rev and --new-from-patch exclude each other"
	}
	return ""
}

// Check is gauntlet check's work, for the command line and the server.
func Check(ctx context.Context, c *Call, req *api.AnalyzeRequest) int {
	stderr := c.stderr
	if msg := CheckRequestError(req, req.NewFromPatch != nil); msg != "" {
		fmt.Fprintf(stderr, "gauntlet check: %s\n", msg)
		return exitError
	}
	threshold, _ := parseFailOn(orDefault(req.FailOn, "warning"))
	ws, paths, ok := c.openAnalyzed(req.Paths, req.Only)
	if !ok {
		return exitError
	}
	defer ws.close()
	var changed changedLines
	var err error
	switch {
	case req.NewFromRev != "":
		if changed, err = changedSinceRev(ws.root, req.NewFromRev); err != nil {
			fmt.Fprintf(stderr, "gauntlet check: --new-from-rev: %v\n", err)
			return exitError
		}
	case req.NewFromPatch != nil:
		if changed, err = changedFromDiff(req.NewFromPatch); err != nil {
			fmt.Fprintf(stderr, "gauntlet check: --new-from-patch: %v\n", err)
			return exitError
		}
	}
	snap := analysis.NewSnapshot(ws.root)
	snap, files, err := c.checkFiles(ws, snap, paths, req.Files)
	if err != nil {
		fmt.Fprintf(stderr, "gauntlet check: %v\n", err)
		return exitError
	}
	if c.files != nil {
		snap = c.files.share(snap, files)
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
		RepoRoot:    ws.repoRoot(),
		ToolVersion: c.opts.Version,
	}
	if err := report.Write(c.stdout, orDefault(req.Format, "text"), in); err != nil {
		fmt.Fprintf(stderr, "gauntlet check: %v\n", err)
		return exitError
	}
	c.setResult(report.ToJSON(in))
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

// checkFiles lists the files to analyse under paths, with the open
// buffers (an editor's unsaved changes) in the snapshot in place of the
// disk's files; a buffer need not exist on disk.
func (c *Call) checkFiles(ws *workspace, snap *analysis.Snapshot, paths []string, open []api.File) (*analysis.Snapshot, []string, error) {
	var buffers []string
	isBuffer := map[string]bool{}
	for _, f := range open {
		rel, err := snap.Rel(c.abs(f.Path))
		if err != nil {
			return nil, nil, err
		}
		snap = snap.With(analysis.NewFile(rel, f.Content, 0))
		buffers = append(buffers, rel)
		isBuffer[rel] = true
	}
	var walk []string
	var named []string // buffers a path names
	for _, p := range paths {
		rel, err := snap.Rel(c.abs(p))
		if err == nil && isBuffer[rel] {
			named = append(named, rel)
			continue
		}
		walk = append(walk, p)
	}
	var files []string
	if len(walk) > 0 {
		var err error
		if files, err = ws.files(snap, c.absAll(walk)); err != nil {
			return nil, nil, err
		}
	}
	seen := map[string]bool{}
	for _, f := range files {
		seen[f] = true
	}
	for _, b := range buffers {
		under := slices.Contains(named, b)
		for _, p := range walk {
			if rel, err := snap.Rel(c.abs(p)); err == nil && (rel == "." || strings.HasPrefix(b, rel+"/")) {
				under = true
			}
		}
		if under && !seen[b] {
			seen[b] = true
			files = append(files, b)
		}
	}
	return snap, files, nil
}

// printCheckError prints an error that may list several problems (a
// configuration's, broken rules'), one FILE:LINE: message per line.
func printCheckError(w io.Writer, err error) {
	var ce config.Errors
	var re rules.Errors
	if errors.As(err, &ce) || errors.As(err, &re) {
		// Already FILE:LINE: ..., which editors and CI logs link.
		PrintErrors(w, err)
		return
	}
	fmt.Fprintf(w, "gauntlet check: %v\n", err)
}

// parseFailOn reads --fail-on; "none" is 0 (never fail).
func parseFailOn(s string) (analysis.Severity, error) {
	if s == "none" {
		return 0, nil
	}
	sev, err := analysis.ParseSeverity(s)
	if err != nil {
		return 0, fmt.Errorf("unknown severity %q (want error, warning, info, hint or none)", s)
	}
	return sev, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// PrintErrors prints a list of errors one per line, as FILE:LINE: ...
func PrintErrors(w io.Writer, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintln(w, line)
	}
}

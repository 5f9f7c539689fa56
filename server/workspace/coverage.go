package workspace

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/api"
)

// CoverageRequestCheck validates a coverage request's flags and reads
// --tests-for FILE:LINE.
func CoverageRequestCheck(req *api.CoverageRequest) (file string, line int, err error) {
	format := orDefault(req.Format, "text")
	if format != "text" && format != "json" && format != "lcov" {
		return "", 0, fmt.Errorf("--format: unknown format %q (want text|json|lcov)", format)
	}
	if req.TestsFor == "" {
		return "", 0, nil
	}
	i := strings.LastIndexByte(req.TestsFor, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("--tests-for: want FILE:LINE, got %q", req.TestsFor)
	}
	file = req.TestsFor[:i]
	if line, err = strconv.Atoi(req.TestsFor[i+1:]); err != nil || line < 1 {
		return "", 0, fmt.Errorf("--tests-for: bad line in %q", req.TestsFor)
	}
	if format == "lcov" {
		return "", 0, fmt.Errorf("--tests-for answers in text or json, not lcov")
	}
	return file, line, nil
}

// Coverage is gauntlet coverage's work, for the command line and the
// server.
func Coverage(ctx context.Context, c *Call, req *api.CoverageRequest) int {
	stdout, stderr := c.stdout, c.stderr
	fail := func(err error) int {
		fmt.Fprintf(stderr, "gauntlet coverage: %v\n", err)
		return exitError
	}
	forFile, forLine, err := CoverageRequestCheck(req)
	if err != nil {
		return fail(err)
	}
	format := orDefault(req.Format, "text")
	paths := req.Paths
	if forFile != "" && len(paths) == 0 {
		paths = []string{forFile}
	}
	ws, snap, rels, err := c.openTests(paths)
	if err != nil {
		return fail(err)
	}
	defer ws.close()
	opts := server.CoverageOptions{Paths: rels, Settings: testSettings(ws.cfg), Display: ws.display, Progress: c.testProgress("coverage")}
	if forFile != "" {
		rel, err := snap.Rel(c.abs(forFile))
		if err != nil {
			return fail(err)
		}
		tests, granularity, err := ws.engine.TestsFor(ctx, snap, opts, rel, forLine)
		if err != nil {
			return fail(err)
		}
		doc := api.CoveringTestsDocument{Tests: tests, Granularity: granularity}
		c.setResult(doc)
		if format == "json" {
			return writeJSON(stdout, stderr, doc)
		}
		for _, t := range tests {
			fmt.Fprintln(stdout, t)
		}
		if granularity == coverage.PerFile {
			fmt.Fprintln(stderr, "gauntlet coverage: note: coverage is per test file here (the runner could not run some tests alone): the list may name tests of the same file that do not run this line")
		}
		if len(tests) == 0 {
			fmt.Fprintf(stderr, "gauntlet coverage: no test covers %s:%d\n", forFile, forLine)
		}
		return exitOK
	}
	cov, err := ws.engine.Coverage(ctx, snap, opts)
	if err != nil {
		return fail(err)
	}
	c.setResult(cov)
	switch format {
	case "json":
		return writeJSON(stdout, stderr, cov)
	case "lcov":
		if err := cov.Profile.WriteLCOV(stdout); err != nil {
			return fail(err)
		}
	default:
		for _, f := range cov.Files {
			fmt.Fprintf(stdout, "%6.1f%%  %s", f.Percent, f.Path)
			if len(f.Uncovered) > 0 {
				var parts []string
				for _, u := range f.Uncovered {
					if u[0] == u[1] {
						parts = append(parts, strconv.Itoa(u[0]))
					} else {
						parts = append(parts, fmt.Sprintf("%d-%d", u[0], u[1]))
					}
				}
				fmt.Fprintf(stdout, "  uncovered: %s", strings.Join(parts, ","))
			}
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "%6.1f%%  total (%d tests)\n", cov.Percent, cov.Tests)
	}
	return exitOK
}

func writeJSON(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(stderr, "gauntlet: %v\n", err)
		return exitError
	}
	return exitOK
}

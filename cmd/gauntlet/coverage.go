package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

func init() {
	register(&command{name: "coverage", summary: "per-file coverage from the per-test map; which tests cover a line", run: runCoverage})
}

func runCoverage(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("coverage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text|json|lcov")
	testsFor := fs.String("tests-for", "", "list the tests that cover `FILE:LINE`")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gauntlet coverage [PATH...] [--format text|json|lcov] [--tests-for FILE:LINE]")
		fs.PrintDefaults()
	}
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "gauntlet coverage: %v\n", err)
		return exitError
	}
	if *format != "text" && *format != "json" && *format != "lcov" {
		return fail(fmt.Errorf("--format: unknown format %q (want text|json|lcov)", *format))
	}
	var forFile string
	var forLine int
	if *testsFor != "" {
		i := strings.LastIndexByte(*testsFor, ':')
		if i < 0 {
			return fail(fmt.Errorf("--tests-for: want FILE:LINE, got %q", *testsFor))
		}
		forFile = (*testsFor)[:i]
		if forLine, err = strconv.Atoi((*testsFor)[i+1:]); err != nil || forLine < 1 {
			return fail(fmt.Errorf("--tests-for: bad line in %q", *testsFor))
		}
		if *format == "lcov" {
			return fail(fmt.Errorf("--tests-for answers in text or json, not lcov"))
		}
		if len(paths) == 0 {
			paths = []string{forFile}
		}
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ws, err := openWorkspace(paths, stderr)
	if err != nil {
		return fail(err)
	}
	defer ws.close()
	settings, err := testSettings(ws.root)
	if err != nil {
		return fail(err)
	}
	snap := analysis.NewSnapshot(ws.root)
	rels, err := relPaths(snap, paths)
	if err != nil {
		return fail(err)
	}
	suite := testrun.New(snap, settings)
	m, err := suite.Map(ctx, rels...)
	if err != nil {
		return fail(err)
	}
	if *testsFor != "" {
		abs, err := filepath.Abs(forFile)
		if err != nil {
			return fail(err)
		}
		rel, err := snap.Rel(abs)
		if err != nil {
			return fail(err)
		}
		tests := m.TestsAt(rel, forLine)
		if tests == nil {
			tests = []string{}
		}
		if *format == "json" {
			return writeJSON(stdout, stderr, map[string][]string{"tests": tests})
		}
		for _, t := range tests {
			fmt.Fprintln(stdout, t)
		}
		if len(tests) == 0 {
			fmt.Fprintf(stderr, "gauntlet coverage: no test covers %s:%d\n", forFile, forLine)
		}
		return exitOK
	}
	prof := m.Profile()
	switch *format {
	case "json":
		return writeJSON(stdout, stderr, coverageOf(prof, ws, rels))
	case "lcov":
		if err := scoped(prof, rels).WriteLCOV(stdout); err != nil {
			return fail(err)
		}
	default:
		c := coverageOf(prof, ws, rels)
		for _, f := range c.Files {
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
		fmt.Fprintf(stdout, "%6.1f%%  total (%d tests)\n", c.Percent, len(m.Tests))
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

// scoped keeps the files under the paths.
func scoped(p *coverage.Profile, rels []string) *coverage.Profile {
	return p.Filter(func(path string) bool {
		for _, r := range rels {
			if r == "." || path == r || strings.HasPrefix(path, r+"/") {
				return true
			}
		}
		return false
	})
}

// coverageOf is the JSON form of a profile, limited to the paths.
func coverageOf(p *coverage.Profile, ws *workspace, rels []string) *coverageJSON {
	out := &coverageJSON{Files: []fileCoverageJSON{}}
	if p == nil {
		out.Percent = 100
		return out
	}
	p = scoped(p, rels)
	out.Percent = round1(p.Percent())
	for _, path := range p.Paths() {
		f := p.Files[path]
		u := f.Uncovered()
		if u == nil {
			u = [][2]int{}
		}
		out.Files = append(out.Files, fileCoverageJSON{Path: ws.display(path), Percent: round1(f.Percent()), Uncovered: u})
	}
	return out
}

func round1(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 1, 64), 64)
	return v
}

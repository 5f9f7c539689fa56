package lsp

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sourcegraph/go-lsp"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// FunctionCoverage is what the coverage map knows of one function of a
// document: where it is declared and how well the tests cover it.
type FunctionCoverage struct {
	Start   int // byte offset of the declaration
	Tests   int // how many tests run any of its statements
	Percent float64
}

// CoverageView answers the editor's coverage questions from a built
// per-test coverage map.
type CoverageView interface {
	// Functions lists f's functions that the map knows.
	Functions(ctx context.Context, f *analysis.File) ([]FunctionCoverage, error)
	// Uncovered lists f's uncovered lines, as 1-based [first, last] ranges.
	Uncovered(f *analysis.File) [][2]int
	// Summary is one line for the user: "12 tests · 83.4% of statements".
	Summary() string
}

// CoverageRunner is a TestRunner that can also build (or load from its
// cache) the workspace's per-test coverage map. gauntlet.coverage uses it.
type CoverageRunner interface {
	Coverage(ctx context.Context, progress func(message string, percent int)) (CoverageView, error)
}

// Diagnostic code of an uncovered line.
const codeUncovered = "uncovered"

type coverageArgs struct {
	// Refresh rebuilds the map (only packages whose inputs changed run
	// again) instead of toggling the uncovered-line hints.
	Refresh bool `json:"refresh"`
}

type coverageResult struct {
	Showing bool   `json:"showing"` // uncovered-line hints are on
	Summary string `json:"summary"`
	// Building is true when the call started building the map: the answer
	// comes at once, the map through $/progress and a window/showMessage.
	Building bool `json:"building,omitempty"`
}

// coverage is gauntlet.coverage: the first call starts building the per-test
// map in the background (with $/progress, cancellable) and answers at once;
// when the map is built, the hints on uncovered lines turn on and a
// window/showMessage says so. Later calls toggle the hints. Once a map
// exists, functions get a "covered by N tests · P%" lens.
func (s *Server) coverage(ctx context.Context, p executeCommandParams) (any, error) {
	var args coverageArgs
	if len(p.Arguments) > 0 {
		if err := json.Unmarshal(p.Arguments[0], &args); err != nil {
			return nil, invalidParams("gauntlet.coverage", err)
		}
	}
	cr, ok := s.runner().(CoverageRunner)
	if !ok {
		return nil, invalidParams("gauntlet.coverage", fmt.Errorf("no coverage for this workspace"))
	}
	s.mu.Lock()
	view, showing := s.coverageView, s.showUncovered
	s.mu.Unlock()
	if view == nil || args.Refresh {
		const title = "Building the coverage map"
		s.background(func(ctx context.Context) {
			pctx, pr := s.beginProgress(ctx, title)
			v, err := cr.Coverage(pctx, pr.report)
			if err != nil {
				msg := "gauntlet.coverage: " + err.Error()
				if pctx.Err() != nil && s.ctx.Err() == nil {
					msg = "gauntlet.coverage: cancelled"
					pr.end(msg)
					s.message("window/showMessage", lsp.MTError, msg)
					return
				}
				pr.end(msg)
				s.showOnce(err, msg)
				return
			}
			pr.end(v.Summary())
			s.showCoverage(v, true)
		})
		return coverageResult{Showing: showing, Summary: title, Building: true}, nil
	}
	showing = !showing
	s.showCoverage(view, showing)
	return coverageResult{Showing: showing, Summary: view.Summary()}, nil
}

// showCoverage sets the map and whether its hints show, republishes the open
// documents' diagnostics and tells the user.
func (s *Server) showCoverage(view CoverageView, showing bool) {
	s.mu.Lock()
	s.coverageView, s.showUncovered = view, showing
	var docs []*document
	for _, d := range s.docs {
		docs = append(docs, d)
	}
	s.mu.Unlock()
	for _, d := range docs {
		s.republish(d)
	}
	s.message("window/showMessage", lsp.Info, "coverage: "+view.Summary())
}

// uncoveredDiagnostics are hints on f's uncovered lines, when they are on.
// The caller holds s.mu.
func (s *Server) uncoveredDiagnostics(f *analysis.File) []analysis.Diagnostic {
	if !s.showUncovered || s.coverageView == nil {
		return nil
	}
	m := f.Mapper()
	var out []analysis.Diagnostic
	for _, r := range s.coverageView.Uncovered(f) {
		start, _, ok1 := lineSpan(m, r[0])
		_, end, ok2 := lineSpan(m, r[1])
		if !ok1 || !ok2 {
			continue
		}
		msg := "not covered by any test"
		if r[1] > r[0] {
			msg = fmt.Sprintf("lines %d-%d are not covered by any test", r[0], r[1])
		}
		out = append(out, analysis.Diagnostic{Path: f.Path, Start: start, End: end, Severity: analysis.SeverityHint, Code: codeUncovered, Source: "gauntlet coverage", Message: msg})
	}
	return out
}

// coverageLenses are the "covered by N tests · P%" lenses of f's functions.
func (s *Server) coverageLenses(ctx context.Context, f *analysis.File, enc analysis.Encoding) []codeLens {
	s.mu.Lock()
	view := s.coverageView
	s.mu.Unlock()
	if view == nil {
		return nil
	}
	fns, err := view.Functions(ctx, f)
	if err != nil {
		s.logf("coverage lenses for %s: %v", f.Path, err)
		return nil
	}
	var out []codeLens
	for _, fn := range fns {
		tests := fmt.Sprintf("covered by %d tests", fn.Tests)
		if fn.Tests == 1 {
			tests = "covered by 1 test"
		}
		out = append(out, codeLens{
			Range:   toRange(f.Mapper(), fn.Start, fn.Start, enc),
			Command: &lsp.Command{Title: fmt.Sprintf("%s · %.0f%%", tests, fn.Percent), Command: cmdCoverage, Arguments: []any{coverageArgs{}}},
		})
	}
	return out
}

package lsp

import (
	"context"
	"fmt"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// TestReport is the outcome of a test run for the editor: a summary, and
// the tests that failed, so that they show as diagnostics where they are
// declared (and offer "Fix with model (verified)").
type TestReport struct {
	Summary  string
	Passed   bool
	Ran      []string // the ids that ran: their earlier failures are cleared
	Failures []testrun.Failure
}

// TestReporter is a TestRunner that also reports which tests failed.
// gauntlet.runTests uses it when the runner implements it.
type TestReporter interface {
	Report(ctx context.Context, ids []string, progress func(message string, percent int)) (TestReport, error)
}

// Diagnostic code and source of a failing test.
const (
	codeTestFailed   = "test-failed"
	sourceTestFailed = "gauntlet test"
)

// recordFailures replaces the failures of the tests that ran and
// republishes the documents they concern.
func (s *Server) recordFailures(rep TestReport) {
	ran := map[string]bool{}
	for _, id := range rep.Ran {
		ran[id] = true
	}
	for _, f := range rep.Failures {
		ran[f.ID] = true
	}
	s.mu.Lock()
	if s.failures == nil {
		s.failures = map[string]testrun.Failure{}
	}
	touched := map[string]bool{}
	for id, f := range s.failures {
		if ran[id] {
			touched[f.File] = true
			delete(s.failures, id)
		}
	}
	for _, f := range rep.Failures {
		s.failures[f.ID] = f
		touched[f.File] = true
	}
	docs := s.docsAt(touched)
	s.mu.Unlock()
	for _, d := range docs {
		s.republish(d)
	}
}

// clearFailure forgets a test's failure (a verified fix made it pass).
func (s *Server) clearFailure(id string) {
	s.mu.Lock()
	f, ok := s.failures[id]
	delete(s.failures, id)
	docs := s.docsAt(map[string]bool{f.File: ok})
	s.mu.Unlock()
	for _, d := range docs {
		s.republish(d)
	}
}

// failure returns a recorded failure.
func (s *Server) failure(id string) (testrun.Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.failures[id]
	return f, ok
}

// docsAt lists the open documents of the paths. s.mu is held.
func (s *Server) docsAt(paths map[string]bool) []*document {
	var out []*document
	for _, d := range s.docs {
		if d.file != nil && paths[d.file.Path] {
			out = append(out, d)
		}
	}
	return out
}

// failureDiagnostics are the failing tests declared in f, as diagnostics
// on their declarations' lines. s.mu is held.
func (s *Server) failureDiagnostics(f *analysis.File) []analysis.Diagnostic {
	var out []analysis.Diagnostic
	for _, fl := range s.failures {
		if fl.File != f.Path {
			continue
		}
		start, end, ok := lineSpan(f.Mapper(), fl.Line)
		if !ok {
			continue
		}
		msg := fmt.Sprintf("%s fails", fl.ID)
		if l := firstOutputLine(fl.Output); l != "" {
			msg += ": " + l
		}
		out = append(out, analysis.Diagnostic{Path: f.Path, Start: start, End: end, Severity: analysis.SeverityError,
			Code: codeTestFailed, Source: sourceTestFailed, Message: msg})
	}
	analysis.SortDiagnostics(out)
	return out
}

// testAt is the id of the failing test whose diagnostic covers [start, end]
// of f, or "".
func (s *Server) testAt(f *analysis.File, start, end int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.failureDiagnostics(f) {
		if d.Start <= end && start <= d.End {
			id, _, _ := strings.Cut(d.Message, " fails")
			return id
		}
	}
	return ""
}

// firstOutputLine is the first line of a test's output that says something.
func firstOutputLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== RUN") || strings.HasPrefix(l, "--- FAIL") {
			continue
		}
		return l
	}
	return ""
}

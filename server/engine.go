// Package server provides the Engine, gauntlet's composition root: it holds
// the analyzers (built-in, rules and plugins alike, as *analysis.Analyzer) and
// answers the questions every front end asks — the LSP server, the command
// line, and the gRPC service. It is handed analyzers; it never builds plugins.
package server

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/fixup"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// Engine analyses snapshots with a set of analyzers. It is safe for
// concurrent use; SetAnalyzers swaps the set atomically (config reload).
type Engine struct {
	mu        sync.RWMutex
	analyzers []*analysis.Analyzer
	filter    func(*analysis.File, []analysis.Diagnostic) []analysis.Diagnostic

	loop Loop
	// verifier replaces verify.Verify in the closed loop (tests).
	verifier func(ctx context.Context, base *analysis.Snapshot, edit verify.Edit, opts verify.Options) (*verify.Verdict, error)

	reportMu sync.Mutex
	reported map[string]bool
	onError  func(error)
}

// Option configures an Engine.
type Option func(*Engine)

// WithAnalyzers sets the analyzers the engine runs.
func WithAnalyzers(as ...*analysis.Analyzer) Option {
	return func(e *Engine) { e.analyzers = as }
}

// WithErrorHandler receives each distinct analyzer failure once (the CLI
// prints it, the LSP shows it to the user).
func WithErrorHandler(f func(error)) Option {
	return func(e *Engine) { e.onError = f }
}

// WithFilter post-processes each file's diagnostics (inline suppressions,
// severity overrides).
func WithFilter(f func(*analysis.File, []analysis.Diagnostic) []analysis.Diagnostic) Option {
	return func(e *Engine) { e.filter = f }
}

// New returns an engine.
func New(opts ...Option) *Engine {
	e := &Engine{reported: map[string]bool{}}
	for _, o := range opts {
		o(e)
	}
	return e
}

// SetAnalyzers replaces the analyzers; requests in flight keep the old set.
func (e *Engine) SetAnalyzers(as []*analysis.Analyzer) {
	e.mu.Lock()
	e.analyzers = as
	e.mu.Unlock()
}

// SetFilter replaces the diagnostics filter.
func (e *Engine) SetFilter(f func(*analysis.File, []analysis.Diagnostic) []analysis.Diagnostic) {
	e.mu.Lock()
	e.filter = f
	e.mu.Unlock()
}

// Analyzers returns the current analyzers.
func (e *Engine) Analyzers() []*analysis.Analyzer {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.analyzers
}

// AnalyzeFile runs every applicable analyzer on f. Analyzer failures are
// returned (and reported once through the error handler); the other
// analyzers' diagnostics are returned regardless.
func (e *Engine) AnalyzeFile(ctx context.Context, f *analysis.File) ([]analysis.Diagnostic, []error) {
	e.mu.RLock()
	as, filter := e.analyzers, e.filter
	e.mu.RUnlock()
	diags, errs := analysis.Run(ctx, f, as)
	if filter != nil {
		diags = filter(f, diags)
	}
	diags = completeFixes(f, diags)
	for _, err := range errs {
		e.reportOnce(err)
	}
	return diags, errs
}

// completeFixes completes each diagnostic's fixes (see fixup.Fix): every
// front end gets its fixes here, so the editor's quick fix, gauntlet fix
// and the closed loop carry the same edits. The analyzers' own slices are
// left alone (they may be cached).
func completeFixes(f *analysis.File, diags []analysis.Diagnostic) []analysis.Diagnostic {
	for i, d := range diags {
		if len(d.Fixes) == 0 {
			continue
		}
		fixes := make([]analysis.Fix, len(d.Fixes))
		for j, fx := range d.Fixes {
			fixes[j] = fixup.Fix(f, fx)
		}
		diags[i].Fixes = fixes
	}
	return diags
}

// reportOnce hands an analyzer's failure to the error handler the first time
// that analyzer fails; later failures of the same analyzer are not repeated.
func (e *Engine) reportOnce(err error) {
	if e.onError == nil || errors.Is(err, context.Canceled) {
		return
	}
	key := err.Error()
	var ae *analysis.AnalyzerError
	if errors.As(err, &ae) {
		key = ae.Analyzer
	}
	e.reportMu.Lock()
	seen := e.reported[key]
	e.reported[key] = true
	e.reportMu.Unlock()
	if !seen {
		e.onError(err)
	}
}

// ResetReported forgets which failures were reported (a config reload gives
// every analyzer a fresh start).
func (e *Engine) ResetReported() {
	e.reportMu.Lock()
	e.reported = map[string]bool{}
	e.reportMu.Unlock()
}

// CheckResult is the outcome of Check: every diagnostic, sorted, the files
// they refer to, and the failures of analyzers that did not run completely.
type CheckResult struct {
	Diagnostics []analysis.Diagnostic
	Files       map[string]*analysis.File // by snapshot path
	Errors      []error
}

// Check analyses the files at paths (snapshot paths) in parallel across cores.
func (e *Engine) Check(ctx context.Context, snap *analysis.Snapshot, paths []string) (*CheckResult, error) {
	type result struct {
		file  *analysis.File
		diags []analysis.Diagnostic
		errs  []error
	}
	results := make([]result, len(paths))
	work := make(chan int)
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), max(len(paths), 1))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				f, err := snap.File(paths[i])
				if err != nil {
					results[i].errs = []error{fmt.Errorf("read %s: %w", paths[i], err)}
					continue
				}
				d, errs := e.AnalyzeFile(ctx, f)
				f.ReleaseTree()
				results[i] = result{file: f, diags: d, errs: errs}
			}
		}()
	}
feed:
	for i := range paths {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := &CheckResult{Files: map[string]*analysis.File{}}
	for _, r := range results {
		if r.file != nil {
			out.Files[r.file.Path] = r.file
		}
		out.Diagnostics = append(out.Diagnostics, r.diags...)
		out.Errors = append(out.Errors, r.errs...)
	}
	analysis.SortDiagnostics(out.Diagnostics)
	sort.SliceStable(out.Errors, func(i, j int) bool { return out.Errors[i].Error() < out.Errors[j].Error() })
	return out, nil
}

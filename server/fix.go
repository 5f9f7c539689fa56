package server

import (
	"context"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/server/loop"
	"github.com/gauntlet-dev/gauntlet/server/model"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// Loop is what the closed loop needs beyond the engine's analyzers: the
// model (nil: none, the analyzers' own fixes are the candidates), the
// gates' options (verify.FromConfig of .gauntlet.yaml), and the bounds.
type Loop struct {
	Model       model.Model
	Verify      verify.Options
	MaxAttempts int // per problem; 0: loop.DefaultMaxAttempts
	Budget      int // tokens per request; 0: the prompt's default
	// PathPrefix is put before the paths of the patches (the workspace's
	// directory in its repository).
	PathPrefix string
}

// WithLoop sets the closed loop's settings.
func WithLoop(l Loop) Option { return func(e *Engine) { e.loop = l } }

// SetLoop replaces the closed loop's settings (config reload); jobs in
// flight keep the old ones.
func (e *Engine) SetLoop(l Loop) {
	e.mu.Lock()
	e.loop = l
	e.mu.Unlock()
}

// Loop returns the closed loop's settings.
func (e *Engine) Loop() Loop {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.loop
}

// HasModel reports whether a model is configured.
func (e *Engine) HasModel() bool { return e.Loop().Model != nil }

func (e *Engine) loopOptions(progress func(analysis.Progress)) loop.Options {
	l := e.Loop()
	vo := l.Verify
	vo.Analyzers = e
	return loop.Options{Model: l.Model, Analyzers: e, Verify: vo, MaxAttempts: l.MaxAttempts, Budget: l.Budget, PathPrefix: l.PathPrefix, Progress: progress}
}

// Problems lists the problems in scope (findings of the analyzers, failing
// tests) in the order Fix takes them; see loop.Find.
func (e *Engine) Problems(ctx context.Context, snap *analysis.Snapshot, scope loop.Scope) ([]loop.Problem, []error) {
	return loop.Find(ctx, snap, scope, e.loopOptions(nil))
}

// Fix runs the closed loop on problems of snap: propose (the model, or the
// analyzers' fixes), verify on a shadow snapshot, feed the evidence back,
// retry. Nothing is written: the result holds the accepted changes.
// progress, if set, hears each step; cancelling ctx stops the loop.
func (e *Engine) Fix(ctx context.Context, snap *analysis.Snapshot, problems []loop.Problem, progress func(analysis.Progress)) (*loop.Result, error) {
	return loop.Run(ctx, snap, problems, e.loopOptions(progress))
}

// Reverify carries a fix over to a newer snapshot (the document changed
// meanwhile) and verifies it again; see loop.Reverify.
func (e *Engine) Reverify(ctx context.Context, to *analysis.Snapshot, res *loop.Result) (*loop.Result, error) {
	return loop.Reverify(ctx, to, res, e.loopOptions(nil))
}

// Verify runs the gates on an edit of base with the engine's analyzers and
// the loop's gate settings; see verify.Verify. progress, if set, hears
// each gate as it starts.
func (e *Engine) Verify(ctx context.Context, base *analysis.Snapshot, edit verify.Edit, progress func(gate string)) (*verify.Verdict, error) {
	opts := e.Loop().Verify
	opts.Analyzers = e
	opts.Progress = progress
	return verify.Verify(ctx, base, edit, opts)
}

// TestProblem is the problem of making the failing test id pass, placed on
// the code it tests; output is its failure output, if known.
func (e *Engine) TestProblem(ctx context.Context, snap *analysis.Snapshot, id, output string) (loop.Problem, error) {
	return loop.TestProblem(ctx, snap, id, output, e.loopOptions(nil))
}

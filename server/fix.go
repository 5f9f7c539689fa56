package server

import (
	"context"
	"errors"
	"strings"

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
	return loop.Options{Model: l.Model, Analyzers: e, Verify: vo, MaxAttempts: l.MaxAttempts, Budget: l.Budget, PathPrefix: l.PathPrefix, Progress: progress, Verifier: e.verifier}
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

// Target is what a front end points at when it asks for a fix: a span of a
// file and, optionally, what to fix there.
type Target struct {
	File *analysis.File
	// Start and End are the span in File's content; Ranged is false when the
	// front end gave no span (Start and End then cover the file).
	Start, End int
	Ranged     bool
	// Instruction is the user's own request (it needs a span).
	Instruction string
	// Test is a failing test's id; ForTest asks for the failing test at the
	// span (FailingAt) when Test is "".
	Test    string
	ForTest bool
	// Code and Message choose among the findings in the span.
	Code, Message string
	// Diagnostics returns File's findings (the front end's own, when it has
	// them for this content); nil: the engine analyzes File.
	Diagnostics func(ctx context.Context) []analysis.Diagnostic
	// FailingAt is the id of a failing test reported in [start, end] of
	// File, or ""; Output is a failing test's output, if known. Either may
	// be nil.
	FailingAt func(start, end int) string
	Output    func(id string) string
}

// ProblemAt chooses the problem a front end points at: the user's
// instruction; else the failing test named (or the one at the span); else
// the first error or warning in the span that matches Code and Message;
// else a failing test reported in the span. The error says why there is
// none.
func (e *Engine) ProblemAt(ctx context.Context, snap *analysis.Snapshot, t Target) (loop.Problem, error) {
	f := t.File
	failingAt := func(start, end int) string {
		if t.FailingAt == nil {
			return ""
		}
		return t.FailingAt(start, end)
	}
	switch {
	case strings.TrimSpace(t.Instruction) != "":
		if !t.Ranged {
			return loop.Problem{}, errors.New("an instruction needs a range")
		}
		return loop.NewInstructionProblem(f, t.Start, t.End, t.Instruction), nil
	case t.Test != "" || t.ForTest:
		id := t.Test
		if id == "" {
			id = failingAt(t.Start, t.End)
		}
		output := ""
		if t.Output != nil {
			output = t.Output(id)
		}
		return e.TestProblem(ctx, snap, id, output)
	}
	var diags []analysis.Diagnostic
	if t.Diagnostics != nil {
		diags = t.Diagnostics(ctx)
	} else {
		diags, _ = e.AnalyzeFile(ctx, f)
	}
	for _, dg := range diags {
		if dg.Path != "" && dg.Path != f.Path || dg.Severity > analysis.SeverityWarning || dg.Start > t.End || dg.End < t.Start {
			continue
		}
		if t.Code != "" && dg.Code != t.Code || t.Message != "" && dg.Message != t.Message {
			continue
		}
		return loop.NewDiagnosticProblem(f, dg), nil
	}
	if id := failingAt(t.Start, t.End); id != "" {
		t.Test = id
		return e.ProblemAt(ctx, snap, t)
	}
	return loop.Problem{}, errors.New("no error or warning in the range, and no instruction")
}

// A View is the workspace as a front end shows it, which may change while
// a fix is verified (the user types on).
type View interface {
	// Stale reports whether a file res changes is no longer the version
	// res was verified on.
	Stale(res *loop.Result) bool
	// Next is the view as it is now, and its snapshot.
	Next() (View, *analysis.Snapshot)
}

// MaxReverify bounds how often Refresh verifies a fix again before it
// gives up on a document that keeps changing.
const MaxReverify = 2

// Fresh is what Refresh makes of an accepted fix.
type Fresh struct {
	// Result is the fix for the view's current text, and View the view it
	// was verified on; both nil when the fix was dropped.
	Result *loop.Result
	View   View
	// Attempts counts the re-verifications' attempts.
	Attempts int
	// Dropped says why no fix holds for the current text ("" if one does).
	Dropped string
}

// Refresh carries the accepted fix res, verified on view v, over to the
// text the front end holds now: while a file it changes is stale, it
// verifies the fix again on the new text (at most MaxReverify times), and
// drops it when it no longer fits or is rejected there. progress, if set,
// hears each re-verification. The error is ctx's, when it is cancelled.
func (e *Engine) Refresh(ctx context.Context, res *loop.Result, v View, progress func(string)) (Fresh, error) {
	out := Fresh{Result: res, View: v}
	for round := 0; out.View.Stale(out.Result); round++ {
		if round == MaxReverify {
			return Fresh{Attempts: out.Attempts, Dropped: "the document kept changing while gauntlet verified the fix"}, nil
		}
		if progress != nil {
			progress("the document changed: verifying the fix again on the new text")
		}
		next, snap := out.View.Next()
		res2, err := e.Reverify(ctx, snap, out.Result)
		if err := ctx.Err(); err != nil {
			return Fresh{Attempts: out.Attempts}, err
		}
		if err != nil || !res2.Accepted() {
			why := "it was rejected on the new text"
			if err != nil {
				why = err.Error()
			} else if n := len(res2.Attempts); n > 0 && res2.Attempts[n-1].Reason != "" {
				why = "rejected on the new text by " + res2.Attempts[n-1].Reason
			}
			return Fresh{Attempts: out.Attempts, Dropped: "the document changed while gauntlet verified the fix, and " + why}, nil
		}
		out.Result, out.View = res2, next
		out.Attempts += len(res2.Attempts)
	}
	return out, nil
}

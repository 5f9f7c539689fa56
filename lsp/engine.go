package lsp

import (
	"context"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/loop"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// Engine is what the server asks for its answers: a *server.Engine of the
// process's own, or one that delegates to a running `gauntlet serve`
// (gauntlet lsp --server).
type Engine interface {
	AnalyzeFile(ctx context.Context, f *analysis.File) ([]analysis.Diagnostic, []error)
	SetAnalyzers(as []*analysis.Analyzer)
	ResetReported()
	HasModel() bool
	Verify(ctx context.Context, base *analysis.Snapshot, edit verify.Edit, progress func(gate string)) (*verify.Verdict, error)
	Fix(ctx context.Context, snap *analysis.Snapshot, problems []loop.Problem, progress func(analysis.Progress)) (*loop.Result, error)
	Reverify(ctx context.Context, to *analysis.Snapshot, res *loop.Result) (*loop.Result, error)
	TestProblem(ctx context.Context, snap *analysis.Snapshot, id, output string) (loop.Problem, error)
}

var _ Engine = (*server.Engine)(nil)

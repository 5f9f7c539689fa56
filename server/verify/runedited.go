package verify

import (
	"context"
	"fmt"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// RunEdited runs tests of after, the workspace of base with an edit that
// nobody has verified (a served `test --affected-by`: a caller's or a
// model's patch), as the tests gate runs them: in the sandbox opts asks
// for, in the edited view or copy of the workspace, bounded by the test
// time limit, a hanging test stopped early. The workspace is never
// written.
func RunEdited(ctx context.Context, base, after *analysis.Snapshot, tests []testrun.Test, ropts testrun.RunOptions, opts Options) (*testrun.Report, error) {
	r, err := newRun(opts, base, "gauntlet-run-")
	if err != nil {
		return nil, err
	}
	defer r.close()
	r.after = after
	sh, err := r.ensureShadow()
	if err != nil {
		return nil, err
	}
	if err := sh.addWritable(testDirs(tests)); err != nil {
		return nil, fmt.Errorf("shadow: %w", err)
	}
	limit := r.testLimit()
	tctx, cancel := context.WithTimeout(ctx, limit+testGrace)
	defer cancel()
	settings, sbOpts := r.sandboxedSettings(limit, sh.writableDir())
	ropts.Before = r.beforeEdit
	return testrun.New(sh.runSnapshot(), settings, sbOpts...).Run(tctx, tests, ropts)
}

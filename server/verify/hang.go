package verify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// beforeEdit runs t alone on the code before the edit, beside the edited
// run, in a view (or copy) of its own and the same sandbox, and returns how
// long it took when it passed: the figure that tells a test the edit makes
// hang from one that is slow anyway (testrun.RunOptions.Before). The view
// shows the workspace at its own path, as the edited one does, so the
// build cache serves its compile.
func (r *run) beforeEdit(ctx context.Context, t testrun.Test) (time.Duration, error) {
	if !r.existedBefore(t) {
		return 0, errors.New("the edit adds the test")
	}
	defer trace(time.Now(), "hang check: %s on the unedited code", t.ID)
	tmp, err := os.MkdirTemp(r.tmp, "before-")
	if err != nil {
		return 0, err
	}
	defer removeTree(tmp)
	var sh *shadow
	var sb *sandbox
	if r.shadow != nil && r.shadow.bound {
		if sh, err = materializeView(r.base, tmp); err == nil {
			err = sh.addWritable(testDirs([]testrun.Test{t}))
		}
		sb = r.plain.withView(sh)
	} else {
		if sh, err = materialize(r.base, tmp); err == nil {
			sb = r.plain.with(sh.dir)
		}
	}
	if sh != nil {
		defer sh.remove()
	}
	if err != nil {
		return 0, err
	}
	limit := r.testLimit()
	tctx, cancel := context.WithTimeout(ctx, limit+testGrace)
	defer cancel()
	settings, opts := r.settingsIn(sb, limit, sh.writableDir())
	out, err := testrun.New(sh.runSnapshot(), settings, opts...).Run(tctx, []testrun.Test{t},
		testrun.RunOptions{Coverage: true, CoverFiles: []string{}, CoverOwn: r.coverOwn})
	if err != nil {
		return 0, err
	}
	if d, ok := out.PassTime(t.ID); ok {
		return d, nil
	}
	return 0, fmt.Errorf("%s did not pass before the edit", t.ID)
}

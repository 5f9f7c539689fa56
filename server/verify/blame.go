package verify

import (
	"context"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// baseResults are the failing tests of a run on the unedited code, cached
// by content so that blaming a failure does not run the base again.
type baseResults struct {
	Failing map[string]string `json:"failing"` // id → output
}

// blameCache is where runs of the base are kept: beside the per-test
// maps, keyed by testrun.ContentKey (the code they ran), the sandbox and
// the time limit.
func (r *run) blameCache() *coverage.Cache {
	dir := r.opts.CacheDir
	if dir == "" {
		dir = filepath.Join(coverage.DefaultCacheDir(), "coverage")
	}
	return &coverage.Cache{Dir: dir}
}

// blameKey is the cache key of running tests on snap in this run's
// sandbox; ok is false when it cannot be computed (tests other than Go's).
func (r *run) blameKey(snap *analysis.Snapshot, tests []testrun.Test) (group, key string, ok bool) {
	k, ok, err := testrun.ContentKey(snap, tests, r.opts.Tests)
	if err != nil || !ok {
		return "", "", false
	}
	group = "blame-" + coverage.Key(snap.Root())[:12]
	return group, coverage.Key(k, string(r.sb.mode()), r.testLimit().String(), strconv.FormatBool(r.sb.bwrap != "")), true
}

// runOnBase is runOn for the unedited code, answered from the cache when
// the same tests already ran on the same content.
func (r *run) runOnBase(ctx context.Context, tests []testrun.Test) (map[string]string, error) {
	if len(tests) == 0 {
		return map[string]string{}, nil
	}
	defer trace(time.Now(), "blame: %d tests on the unedited code", len(tests))
	group, key, ok := r.blameKey(r.base, tests)
	var cached baseResults
	if ok && r.blameCache().Get(group, key, &cached) && cached.Failing != nil {
		return cached.Failing, nil
	}
	failing, complete, err := r.runOn(ctx, r.base, tests)
	if err != nil || !ok || !complete {
		return failing, err
	}
	// Keep a few selections per workspace: the latest edits' neighbours.
	r.blameCache().Put(group, key, baseResults{Failing: failing}, 16)
	return failing, nil
}

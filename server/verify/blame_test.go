package verify

import (
	"context"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// TestBlameCacheReusesBaseResultsOnlyAtSameContent: a run of tests on the
// unedited code is answered from the cache only when the code it would run
// has the same content; any change to the package runs the tests again.
func TestBlameCacheReusesBaseResultsOnlyAtSameContent(t *testing.T) {
	testenv.NeedTool(t, "go")
	files := map[string]string{
		"go.mod":    "module example.com/m\n\ngo 1.21\n",
		"m.go":      "package m\n\nfunc Two() int { return 2 }\n",
		"m_test.go": "package m\n\nimport \"testing\"\n\nfunc TestTwo(t *testing.T) {\n\tif Two() != 2 {\n\t\tt.Fatal(\"not two\")\n\t}\n}\n",
	}
	base := workspace(t, files)
	ctx := context.Background()
	newRun := func(base *analysis.Snapshot, cacheDir string) *run {
		t.Helper()
		opts := Options{Sandbox: SandboxNone, CacheDir: cacheDir}
		tmp := t.TempDir()
		sb, err := newSandbox(opts, base.Root(), tmp)
		if err != nil {
			t.Fatal(err)
		}
		r := &run{opts: opts, base: base, after: base, tmp: tmp, sb: sb}
		t.Cleanup(func() {
			if r.shadow != nil {
				r.shadow.remove()
			}
		})
		if _, err := r.ensureShadow(); err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []testrun.Test{{ID: "example.com/m.TestTwo", Language: "go", Package: "example.com/m", File: "m_test.go", Line: 5, Name: "TestTwo"}}
	cache := t.TempDir()

	// A result kept for this content: it is what runOnBase answers, with
	// no run (the real test passes; the kept result says it failed).
	r := newRun(base, cache)
	group, key, ok := r.blameKey(base, tests)
	if !ok {
		t.Fatal("no content key for a Go test")
	}
	if err := r.blameCache().Put(group, key, baseResults{Failing: map[string]string{tests[0].ID: "kept"}}, 4); err != nil {
		t.Fatal(err)
	}
	got, err := r.runOnBase(ctx, tests)
	if err != nil {
		t.Fatal(err)
	}
	if got[tests[0].ID] != "kept" {
		t.Fatalf("same content: runOnBase = %v, want the kept result", got)
	}

	// The same workspace with the package's code changed (an unsaved
	// buffer counts as content too): the kept result is not used.
	changed := base.With(analysis.NewFile("m.go", []byte("package m\n\nfunc Two() int { return 1 + 1 }\n"), 0))
	r2 := newRun(changed, cache)
	if _, key2, _ := r2.blameKey(changed, tests); key2 == key {
		t.Fatal("a changed package has the same content key")
	}
	got, err = r2.runOnBase(ctx, tests)
	if err != nil {
		t.Fatal(err)
	}
	if _, failed := got[tests[0].ID]; failed {
		t.Fatalf("changed content: runOnBase = %v, want the test run again (it passes)", got)
	}
	// That run is kept in turn, under its own content.
	var kept baseResults
	_, key2, _ := r2.blameKey(changed, tests)
	if !r2.blameCache().Get(group, key2, &kept) || kept.Failing == nil || len(kept.Failing) != 0 {
		t.Fatalf("the run on the changed content was not kept: %+v", kept)
	}
	// A change outside the package and its dependencies (a document in
	// another directory) keeps the key.
	if _, key3, _ := r.blameKey(base.With(analysis.NewFile("docs/notes.md", []byte("hi\n"), 0)), tests); key3 != key {
		t.Error("a document edit changed the content key of the package's tests")
	}
}

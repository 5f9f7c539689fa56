package testrun

import (
	"context"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// TestNodeMapGranularity: each test of jscalc runs alone, so its map is
// per test; when two tests of a file share a name (in different suites) the
// runner's name filter runs both, their coverage is shared, and the map
// says "file" instead of passing the shared coverage off as each test's own.
func TestNodeMapGranularity(t *testing.T) {
	needNode(t)
	dir := testenv.CopyTemp(t, "../../examples/jscalc")
	m, err := New(analysis.NewSnapshot(dir), Settings{}, WithCacheDir(t.TempDir())).Map(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m.Granularity != coverage.PerTest {
		t.Errorf("jscalc map granularity = %q, want %q", m.Granularity, coverage.PerTest)
	}

	testenv.WriteFiles(t, dir, map[string]string{"test/twice.test.js": testenv.JSCalcTwiceTest})
	m, err = New(analysis.NewSnapshot(dir), Settings{}, WithCacheDir(t.TempDir())).Map(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m.Granularity != coverage.PerFile {
		t.Errorf("map with two tests of one name: granularity = %q, want %q", m.Granularity, coverage.PerFile)
	}
}

// TestMapMergeGranularity: a merged map is per file as soon as one part is.
func TestMapMergeGranularity(t *testing.T) {
	m := coverage.NewMap()
	m.Granularity = coverage.PerTest
	m.Merge(&coverage.Map{Granularity: coverage.PerFile})
	m.Merge(&coverage.Map{Granularity: coverage.PerTest})
	if m.Granularity != coverage.PerFile {
		t.Errorf("merged granularity = %q, want %q", m.Granularity, coverage.PerFile)
	}
}

package testrun

import (
	"sync"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
)

// A listing kept on disk serves a later process (a fresh in-process
// cache) for the same key, and only for it.
func TestListingsKeptOnDisk(t *testing.T) {
	disk := &coverage.Cache{Dir: t.TempDir()}
	runs := 0
	list := func(string) ([]Test, error) {
		runs++
		return []Test{{ID: "test/a.test.js::adds", File: "test/a.test.js", Line: 3, Kind: KindTest, Language: "node"}}, nil
	}
	var first, second, other sync.Map
	got, err := listOnce(disk, &first, "k1", "gauntlet-test-", list)
	if err != nil || len(got) != 1 || runs != 1 {
		t.Fatalf("first listing: %v %v, %d runs", got, err, runs)
	}
	got, err = listOnce(disk, &second, "k1", "gauntlet-test-", list)
	if err != nil || len(got) != 1 || got[0].ID != "test/a.test.js::adds" || got[0].Line != 3 || runs != 1 {
		t.Fatalf("listing from disk: %+v %v, %d runs", got, err, runs)
	}
	if _, err := listOnce(disk, &other, "k2", "gauntlet-test-", list); err != nil || runs != 2 {
		t.Fatalf("another key: %v, %d runs", err, runs)
	}
	if _, err := listOnce(nil, &sync.Map{}, "k1", "gauntlet-test-", list); err != nil || runs != 3 {
		t.Fatalf("without a disk cache: %v, %d runs", err, runs)
	}
}

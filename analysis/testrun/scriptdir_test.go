package testrun

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestScriptDirConcurrent: the runs of a map build write the helper
// scripts into one directory at once while their processes load them; no
// reader ever sees a script other than whole (mocha read an empty reporter,
// truncated by another run's write, as one that "is not a constructor").
func TestScriptDirConcurrent(t *testing.T) {
	dir := t.TempDir()
	want, err := scripts.ReadFile("scripts/gauntlet_mocha.cjs")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scriptDir(dir); err != nil {
		t.Fatal(err)
	}
	// An old version of the script is replaced.
	name := filepath.Join(dir, "scripts", "gauntlet_mocha.cjs")
	if err := os.WriteFile(name, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var bad []string
	var mu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			got, err := os.ReadFile(name)
			if err == nil && !bytes.Equal(got, want) && string(got) != "old" {
				mu.Lock()
				bad = append(bad, string(got))
				mu.Unlock()
			}
		}
	}()
	var writers sync.WaitGroup
	for range 8 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for range 50 {
				if _, err := scriptDir(dir); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	if len(bad) > 0 {
		t.Errorf("a reader saw %d partial scripts, first %q", len(bad), bad[0])
	}
	if got, _ := os.ReadFile(name); !bytes.Equal(got, want) {
		t.Errorf("the script is %q after the writes", got)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "scripts", ".tmp-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

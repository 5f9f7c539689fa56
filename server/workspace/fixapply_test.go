package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/server/loop"
)

// TestWriteChangesRefusesStale: --apply writes nothing when a file changed
// after the loop read it.
func TestWriteChangesRefusesStale(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.go"), []byte("package a // edited meanwhile\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.go"), []byte("package b\n"), 0o644)
	changes := []loop.FileChange{
		{Path: "a.go", Old: []byte("package a\n"), New: []byte("package a // fixed\n")},
		{Path: "b.go", Old: []byte("package b\n"), New: []byte("package b // fixed\n")},
		{Path: "new/c.go", New: []byte("package c\n"), Created: true},
	}
	if _, err := writeChanges(dir, changes); err == nil || !strings.Contains(err.Error(), "a.go: the file changed since gauntlet read it; nothing written") {
		t.Fatalf("err %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "b.go")); string(data) != "package b\n" {
		t.Errorf("b.go written although a.go was stale: %q", data)
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); err == nil {
		t.Errorf("new/ created although a.go was stale")
	}
	written, err := writeChanges(dir, changes[1:])
	if err != nil || len(written) != 2 {
		t.Fatalf("written %v, err %v", written, err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "new", "c.go")); string(data) != "package c\n" {
		t.Errorf("new/c.go = %q", data)
	}
	// A path through a symbolic link out of the workspace is refused.
	out := t.TempDir()
	os.Symlink(out, filepath.Join(dir, "out"))
	if _, err := writeChanges(dir, []loop.FileChange{{Path: "out/x.go", New: []byte("x"), Created: true}}); err == nil {
		t.Error("wrote through a symbolic link out of the workspace")
	}
	if entries, _ := os.ReadDir(out); len(entries) > 0 {
		t.Errorf("files appeared outside: %v", entries)
	}
}

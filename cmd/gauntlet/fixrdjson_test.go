package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis/report"
)

// TestFixRDJSONCommand: gauntlet fix --format rdjson on the offline demo
// prints the accepted fix as a reviewdog suggestion.
func TestFixRDJSONCommand(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	t.Setenv("GAUNTLET_MODEL", "none")
	dir := filepath.Join(t.TempDir(), "demo-fix")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(pkgDir, "..", "..", "examples", "demo-fix"))); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			os.Chmod(p, 0o644)
		}
		return nil
	})
	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"fix", "--quiet", "--format", "rdjson"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var doc report.RDJSON
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, stdout.String())
	}
	if len(doc.Diagnostics) != 1 {
		t.Fatalf("diagnostics:\n%s", stdout.String())
	}
	d := doc.Diagnostics[0]
	if d.Location.Path != "text/slug.go" || !strings.Contains(d.Suggestions[0].Text, `strings.Replace(s, " ", "-", -1)`) || !strings.Contains(d.Message, "TestSlug") {
		t.Errorf("suggestion: %+v", d)
	}
}

package server

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
)

// BenchmarkCheckStdlib checks the Go standard library's net/http tree with the
// syntax analyzer: the shape of `gauntlet check` on a large tree.
func BenchmarkCheckStdlib(b *testing.B) {
	goroot, err := exec.Command("go", "env", "GOROOT").Output() // runtime.GOROOT is deprecated
	if err != nil {
		b.Fatal(err)
	}
	root := filepath.Join(strings.TrimSpace(string(goroot)), "src", "net", "http")
	files, err := analysis.Walk(root, []string{root}, nil)
	if err != nil {
		b.Fatal(err)
	}
	e := New(WithAnalyzers(syntax.Analyzer))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		snap := analysis.NewSnapshot(root)
		var rel []string
		for _, f := range files {
			r, _ := snap.Rel(f)
			rel = append(rel, r)
		}
		if _, err := e.Check(context.Background(), snap, rel); err != nil {
			b.Fatal(err)
		}
	}
}

package builtin_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/rules"
)

// BenchmarkPacksServerGo runs the built-in Go rules on net/http/server.go
// (131 KB), already parsed: the rules' share of an editor's edit.
func BenchmarkPacksServerGo(b *testing.B) {
	goroot, err := exec.Command("go", "env", "GOROOT").Output() // runtime.GOROOT is deprecated
	if err != nil {
		b.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "src", "net", "http", "server.go"))
	if err != nil {
		b.Fatal(err)
	}
	set, err := rules.ForConfig(config.Default(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	as := set.Analyzers()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// A new version each time: results are cached per file.
		b.StopTimer()
		f := analysis.NewFile("server.go", src, int32(i))
		if _, err := f.Tree(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		analysis.Run(context.Background(), f, as)
	}
}

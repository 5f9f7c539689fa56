package workspace

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
)

// The cache keeps a workspace's plugins while their configuration stays
// the same, a changed rule included, and stops them once they are
// replaced and nobody uses them.
func TestAnalyzerCacheKeepsPlugins(t *testing.T) {
	root := t.TempDir()
	var started, stopped []string
	load := func(_ context.Context, cfg *config.Config, _ io.Writer) ([]*analysis.Analyzer, func(), error) {
		name := cfg.Plugins[0].Name
		started = append(started, name)
		return []*analysis.Analyzer{{Name: name + "-check", Source: name}}, func() { stopped = append(stopped, name) }, nil
	}
	ac := newAnalyzerCache(io.Discard, load)
	gen := 0
	write := func(plugin, severity string) *config.Config {
		t.Helper()
		gen++
		yaml := "plugins:\n  - name: " + plugin + "\n    path: /bin/true\nseverity:\n  syntax: " + severity + "\n"
		p := filepath.Join(root, config.FileName)
		if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		// A stamp of its own, even within the file system's clock tick.
		mtime := time.Unix(1_700_000_000+int64(gen), 0)
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Find(root)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	get := func(cfg *config.Config) func() {
		t.Helper()
		as, release, err := ac.get(context.Background(), root, cfg, nil, true)
		if err != nil || len(as) == 0 || as[len(as)-1].Source != cfg.Plugins[0].Name {
			t.Fatalf("get: %v %v", as, err)
		}
		return release
	}

	r1 := get(write("one", "warning"))
	r2 := get(write("one", "error")) // another configuration, the same plugin
	r1()
	r2b := get(write("one", "error"))
	r2()
	if len(started) != 1 || len(stopped) != 0 {
		t.Errorf("a changed rule restarted the plugin: started %v, stopped %v", started, stopped)
	}
	r3 := get(write("two", "error"))
	if len(started) != 2 || started[1] != "two" {
		t.Errorf("a changed plugin did not start: %v", started)
	}
	if len(stopped) != 0 {
		t.Errorf("a plugin in use was stopped: %v", stopped)
	}
	r2b()
	if len(stopped) != 1 || stopped[0] != "one" {
		t.Errorf("the replaced plugin was not stopped once unused: %v", stopped)
	}
	r3()
	ac.closeAll()
	if len(stopped) != 2 {
		t.Errorf("closeAll left plugins running: %v", stopped)
	}
}

package main

import (
	"context"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
	"github.com/gauntlet-dev/gauntlet/plugins"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/workspace"
)

// TestLSPRemoteEngine: with --server, an editor's unsaved buffer gets from
// the server the findings the local engine gives (rules of the workspace's
// configuration, fixes, byte offsets); a server that does not answer is
// reported once and the local engine answers.
func TestLSPRemoteEngine(t *testing.T) {
	root := filepath.Join(pkgDir, "testdata/checkrules")
	s := startServe(t, nil, "--listen", "unix:"+shortSocket(t), "--root", pkgDir)
	c, err := dialServer(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// Not on disk: the buffer of a new file, with a rule finding, a fix and a
	// syntax error after a 4-byte character.
	buf := analysis.NewFile("src/new.go", []byte("package main\n\nimport \"fmt\"\n\nfunc main() {\n\ts := \"😀\"; fmt.Println(s)\n\tx := (\n}\n"), 3)
	// The local engine of gauntlet lsp, with the workspace's analyzers.
	engine := server.New(server.WithAnalyzers(syntax.Analyzer), server.WithFilter(analysis.Suppress))
	ws := workspace.NewEditor(engine, "", workspace.Options{Plugins: plugins.Load}, io.Discard, func(error) {})
	defer ws.Close()
	as, _, err := ws.Load(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	engine.SetAnalyzers(as)
	want, errs := engine.AnalyzeFile(context.Background(), buf)
	if len(errs) > 0 || len(want) < 2 {
		t.Fatalf("local: %v %+v", errs, want)
	}

	var shown []string
	r := workspace.NewRemoteEngine(engine, c, s.addr, func(err error) { shown = append(shown, err.Error()) })
	r.SetRoot(root)
	got, errs := r.AnalyzeFile(context.Background(), buf)
	if len(errs) > 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("remote:\n%+v\nlocal:\n%+v\nerrors %v", got, want, errs)
	}
	if len(shown) > 0 {
		t.Errorf("shown: %q", shown)
	}

	dead, err := dialServer("unix:" + filepath.Join(t.TempDir(), "none.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	r = workspace.NewRemoteEngine(engine, dead, "unix:none.sock", func(err error) { shown = append(shown, err.Error()) })
	r.SetRoot(root)
	for i := 0; i < 2; i++ {
		if got, _ := r.AnalyzeFile(context.Background(), buf); !reflect.DeepEqual(got, want) {
			t.Errorf("fallback: %+v", got)
		}
	}
	if len(shown) != 1 || !strings.Contains(shown[0], "no server answers") {
		t.Errorf("shown: %q", shown)
	}
}

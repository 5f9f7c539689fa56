package syntax_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/analysistest"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
)

func TestSyntax(t *testing.T) {
	analysistest.Run(t, "testdata", syntax.Analyzer)
}

// Typing `defer cr.unlock() := := (` at line 743 of net/http/server.go is
// reported at line 743 with the message gofmt -e gives, not at 1:1.
func TestGoErrorWhereTyped(t *testing.T) {
	root := analysistest.GoRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "src", "net", "http", "server.go"))
	if err != nil {
		t.Skipf("no net/http/server.go in GOROOT: %v", err)
	}
	lines := strings.Split(string(src), "\n")
	if strings.TrimSpace(lines[742]) != "defer cr.unlock()" {
		t.Skipf("line 743 of this Go's server.go is %q", lines[742])
	}
	lines[742] = "\tdefer cr.unlock() := := ("
	dir := t.TempDir()
	p := filepath.Join(dir, "server.go")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	// gofmt -e of the same toolchain says where and what.
	out, _ := exec.Command(filepath.Join(root, "bin", "gofmt"), "-e", p).CombinedOutput()
	first, _, _ := strings.Cut(string(out), "\n")
	_, want, ok := strings.Cut(first, "server.go:743:")
	if !ok {
		t.Fatalf("gofmt -e: %s", out)
	}
	_, wantMsg, _ := strings.Cut(want, ": ") // after the column

	f := analysis.NewFile("server.go", []byte(strings.Join(lines, "\n")), 1)
	diags, errs := analysis.Run(context.Background(), f, []*analysis.Analyzer{syntax.Analyzer})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(diags) == 0 {
		t.Fatal("no syntax error reported")
	}
	d := diags[0]
	if line := f.Mapper().Line(d.Start) + 1; line != 743 || d.Message != wantMsg {
		t.Errorf("first finding at line %d: %q; want line 743: %q (gofmt -e: %s)", line, d.Message, wantMsg, first)
	}
	for _, d := range diags {
		if f.Mapper().Line(d.Start) < 742 {
			t.Errorf("finding above the edit: line %d: %s", f.Mapper().Line(d.Start)+1, d.Message)
		}
	}
}

// Go's own source compiles: no syntax finding in any of its files (testdata
// aside), though the tree-sitter grammar lags the language (runtime/secret's
// new(secretType(secretValue)), encoding/json/v2's local func named make).
func TestNoGoErrorsOnGoSource(t *testing.T) {
	if testing.Short() {
		t.Skip("parses all of GOROOT/src")
	}
	src := filepath.Join(analysistest.GoRoot(t), "src")
	var files []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 1000 {
		t.Fatalf("only %d Go files under %s", len(files), src)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan string)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				content, err := os.ReadFile(p)
				if err != nil {
					t.Error(err)
					continue
				}
				rel, _ := filepath.Rel(src, p)
				f := analysis.NewFile(filepath.ToSlash(rel), content, 0)
				diags, errs := analysis.Run(context.Background(), f, []*analysis.Analyzer{syntax.Analyzer})
				f.ReleaseTree()
				mu.Lock()
				for _, e := range errs {
					if errors.Is(e, analysis.ErrParseTimeout) {
						// tree-sitter's time limit on a loaded machine
						// (cmd/compile's 1 MB rewrite tables): not a finding.
						t.Logf("%s: %v", rel, e)
						continue
					}
					t.Errorf("%s: %v", rel, e)
				}
				for _, d := range diags {
					t.Errorf("%s:%d: %s", rel, f.Mapper().Line(d.Start)+1, d.Message)
				}
				mu.Unlock()
			}
		}()
	}
	for _, p := range files {
		next <- p
	}
	close(next)
	wg.Wait()
}

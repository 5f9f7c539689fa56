package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis/analysistest"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
)

// packSet compiles bench/rules/pack's rules (ast-grep rule files).
func packSet(t *testing.T) *Set {
	t.Helper()
	files, err := filepath.Glob("../../bench/rules/pack/rules/*.yml")
	if err != nil || len(files) < 10 {
		t.Fatalf("the pack's rule files: %v %v", files, err)
	}
	return compileFiles(t, files)
}

// compileFiles compiles the rules of the given rule files.
func compileFiles(tb testing.TB, files []string) *Set {
	tb.Helper()
	var rs []config.Rule
	for _, f := range files {
		r, err := config.LoadRules(f)
		if err != nil {
			tb.Fatal(err)
		}
		rs = append(rs, r...)
	}
	s, err := Compile(rs)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// goSources returns the .go files of a few packages of Go's own tree: real
// code with findings of every kind the pack looks for.
func goSources(t *testing.T, pkgs ...string) map[string][]byte {
	t.Helper()
	root := filepath.Join(analysistest.GoRoot(t), "src")
	srcs := map[string][]byte{}
	for _, p := range pkgs {
		names, _ := filepath.Glob(filepath.Join(root, p, "*.go"))
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				t.Fatal(err)
			}
			srcs[strings.TrimPrefix(n, root+"/")] = b
		}
	}
	if len(srcs) == 0 {
		t.Fatalf("no Go sources under %s", root)
	}
	return srcs
}

var shapePkgs = []string{"sync", "os", "os/exec", "net/http", "net/rpc", "database/sql", "encoding/gob", "go/types", "cmd/go/internal/work", "testing"}

// The shape queries only hand the matcher fewer candidates: with them the
// pack finds exactly what it finds with kind queries alone.
func TestShapeFilterKeepsEveryFinding(t *testing.T) {
	srcs := goSources(t, shapePkgs...)
	shaped := packSet(t)
	shapeFilter = false
	plain := packSet(t)
	shapeFilter = true
	per := map[string]int{}
	for path, src := range srcs {
		a := check(t, shaped, path, string(src))
		b := check(t, plain, path, string(src))
		if sa, sb := summary(string(src), a), summary(string(src), b); sa != sb {
			t.Errorf("%s: with shapes:\n%s\nwith kinds only:\n%s", path, sa, sb)
		}
		for _, d := range a {
			per[d.Code]++
		}
	}
	// the comparison means something only if most rules found something
	if len(per) < 6 {
		t.Fatalf("the pack found too little to compare over %d files: %v", len(srcs), per)
	}
	t.Logf("%d files, findings per rule: %v", len(srcs), per)
}

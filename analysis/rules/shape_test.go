package rules

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// packSet compiles bench/rules/pack's rules (ast-grep rule files).
func packSet(t *testing.T) *Set {
	t.Helper()
	files, err := filepath.Glob("../../bench/rules/pack/rules/*.yml")
	if err != nil || len(files) < 10 {
		t.Fatalf("the pack's rule files: %v %v", files, err)
	}
	var rs []config.Rule
	for _, f := range files {
		r, err := config.LoadRules(f)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r...)
	}
	s, err := Compile(rs)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// goSources returns the .go files of a few packages of Go's own tree: real
// code with findings of every kind the pack looks for. Some are large: on a
// loaded machine their parse may take longer than analysis.ParseTimeout,
// which the tests that use them do not measure, so for them the bound on a
// parse is the test's deadline.
func goSources(t *testing.T, pkgs ...string) map[string][]byte {
	t.Helper()
	old := analysis.ParseTimeout
	analysis.ParseTimeout = testenv.Timeout(t)
	t.Cleanup(func() { analysis.ParseTimeout = old })
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "src")
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

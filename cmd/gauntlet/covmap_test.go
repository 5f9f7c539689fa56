package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// twoPackageModule writes a module with a tested package (a), a package no
// test imports and that has no tests (b), and a package whose test runs
// none of its code (c).
func twoPackageModule(t *testing.T) string {
	t.Helper()
	testenv.NeedTool(t, "go")
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":      "module example.com/fx\n\ngo 1.22\n",
		"a/a.go":      "package a\n\nfunc Add(x, y int) int {\n\tif x < 0 {\n\t\treturn -1\n\t}\n\treturn x + y\n}\n",
		"a/a_test.go": "package a\n\nimport \"testing\"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(1, 2) != 3 {\n\t\tt.Fatal(\"bad\")\n\t}\n}\n",
		"b/b.go":      "package b\n\nfunc Mul(x, y int) int {\n\tr := 0\n\tfor i := 0; i < y; i++ {\n\t\tr += x\n\t}\n\treturn r\n}\n\nfunc Neg(x int) int {\n\treturn -x\n}\n",
		"c/c.go":      "package c\n\nfunc Sub(x, y int) int { return x - y }\n",
		"c/c_test.go": "package c\n\nimport \"testing\"\n\nfunc TestNothing(t *testing.T) {}\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// goCoverTotal is `go test -coverpkg=./... -coverprofile` then `go tool
// cover -func`'s total, in percent.
func goCoverTotal(t *testing.T, dir string) float64 {
	t.Helper()
	prof := filepath.Join(t.TempDir(), "cover.out")
	cmd := exec.Command("go", "test", "-coverpkg=./...", "-coverprofile="+prof, "./...")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
	cmd = exec.Command("go", "tool", "cover", "-func="+prof)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go tool cover: %v", err)
	}
	m := regexp.MustCompile(`(?m)^total:\s+\(statements\)\s+([0-9.]+)%`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no total in go tool cover -func:\n%s", out)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// coverageJSON is the coverage of `coverage --format json`, and of `test
// --coverage --format json`.
type coverageJSON struct {
	Percent     float64 `json:"percent"`
	Map         string  `json:"map"`
	Granularity string  `json:"granularity"`
	Files       []struct {
		Path      string   `json:"path"`
		Percent   float64  `json:"percent"`
		Uncovered [][2]int `json:"uncovered"`
	} `json:"files"`
}

// coverageOf runs `coverage --format json` in dir, which must exit 0 (what
// names the run in a failure).
func coverageOf(t *testing.T, dir string, env []string, what string) coverageJSON {
	t.Helper()
	code, out, stderr := runBin(t, dir, env, "", "coverage", "--format", "json")
	if code != exitOK {
		t.Fatalf("%s: exit %d: %s", what, code, stderr)
	}
	var cov coverageJSON
	if err := json.Unmarshal([]byte(out), &cov); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	return cov
}

// TestGoCoverageTotalsCountUntestedPackages: the totals of `test
// --coverage` and `coverage` count the statements of a package that has no
// tests, as `go test -coverpkg=./... ./...` does (they left it out: 50%
// here against go's 22.2%).
func TestGoCoverageTotalsCountUntestedPackages(t *testing.T) {
	dir := twoPackageModule(t)
	want := goCoverTotal(t, dir)
	env := []string{"GAUNTLET_CACHE=" + t.TempDir()}

	code, out, stderr := runBin(t, dir, env, "", "test", "--coverage", "--format", "json")
	if code != exitOK {
		t.Fatalf("test --coverage: exit %d: %s\n%s", code, stderr, out)
	}
	doc := decodeTest(t, out)
	if doc.Coverage == nil || doc.Coverage.Percent != want {
		t.Fatalf("test --coverage total = %+v, want %.1f%% (go test -coverpkg=./...)", doc.Coverage, want)
	}
	hasB := false
	for _, f := range doc.Coverage.Files {
		hasB = hasB || (f.Path == "b/b.go" && f.Percent == 0)
	}
	if !hasB {
		t.Errorf("test --coverage does not list the untested b/b.go at 0%%: %+v", doc.Coverage.Files)
	}

	cov := coverageOf(t, dir, env, "coverage")
	if cov.Percent != want {
		t.Errorf("coverage total = %.1f%%, want %.1f%% (go test -coverpkg=./...)", cov.Percent, want)
	}

	// A run narrowed by --run (one go test, not the map) counts them too.
	code, out, stderr = runBin(t, dir, env, "", "test", "--coverage", "--run", "TestAdd", "--format", "json")
	if code != exitOK {
		t.Fatalf("test --coverage --run: exit %d: %s", code, stderr)
	}
	doc = decodeTest(t, out)
	hasB = false
	for _, f := range doc.Coverage.Files {
		hasB = hasB || f.Path == "b/b.go"
	}
	if !hasB {
		t.Errorf("test --coverage --run leaves out the untested b/b.go: %+v", doc.Coverage.Files)
	}
}

// TestTestCoverageFillsMapCache: `test --coverage` builds and stores the
// per-test map; `coverage` and a second `test --coverage` then read it
// from the cache instead of running the tests again, and report the same
// total.
func TestTestCoverageFillsMapCache(t *testing.T) {
	dir := twoPackageModule(t)
	cache := t.TempDir()
	env := []string{"GAUNTLET_CACHE=" + cache}

	code, out, stderr := runBin(t, dir, env, "", "test", "--coverage", "--format", "json")
	if code != exitOK {
		t.Fatalf("test --coverage: exit %d: %s", code, stderr)
	}
	first := decodeTest(t, out)
	if first.Coverage == nil || first.Coverage.Map != "built" {
		t.Fatalf("test --coverage on a fresh cache: map = %+v, want \"built\"", first.Coverage)
	}
	entries, _ := filepath.Glob(filepath.Join(cache, "coverage", "*", "*.json"))
	if len(entries) == 0 {
		t.Fatalf("test --coverage left no map in the cache %s", cache)
	}

	cov := coverageOf(t, dir, env, "coverage")
	if cov.Map != "cache" {
		t.Errorf("coverage after test --coverage: map = %q, want \"cache\" (the map was built again)", cov.Map)
	}
	if cov.Percent != first.Coverage.Percent {
		t.Errorf("coverage total %.1f%% differs from test --coverage's %.1f%%", cov.Percent, first.Coverage.Percent)
	}
	if cov.Granularity != "test" {
		t.Errorf("Go map granularity = %q, want \"test\"", cov.Granularity)
	}

	// An edit makes the edited package's entry stale: built again.
	if err := os.WriteFile(filepath.Join(dir, "c", "c.go"), []byte("package c\n\nfunc Sub(x, y int) int { return x - y - 0 }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cov = coverageOf(t, dir, env, "coverage after an edit")
	if cov.Map != "built" {
		t.Errorf("coverage after an edit: map = %q, want \"built\"", cov.Map)
	}
}

// TestTestsForGranularity: `coverage --tests-for` says when its answer is
// per test file: "granularity": "file" in JSON and a note in text, for a
// node --test project whose two tests of one file share a name (the
// runner's filter runs both); a Go answer is per test.
func TestTestsForGranularity(t *testing.T) {
	testenv.NeedTool(t, "node")
	dir := exampleCopy(t, "jscalc")
	testenv.WriteFiles(t, dir, map[string]string{"test/twice.test.js": testenv.JSCalcTwiceTest})
	code, out, stderr := runBin(t, dir, nil, "", "coverage", "--tests-for", "format.js:7", "--format", "json")
	if code != exitOK {
		t.Fatalf("coverage --tests-for: exit %d: %s", code, stderr)
	}
	var doc struct {
		Tests       []string `json:"tests"`
		Granularity string   `json:"granularity"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if doc.Granularity != "file" {
		t.Errorf("--tests-for granularity = %q, want \"file\":\n%s", doc.Granularity, out)
	}
	code, _, stderr = runBin(t, dir, nil, "", "coverage", "--tests-for", "format.js:7")
	if code != exitOK || !strings.Contains(stderr, "coverage is per test file here") {
		t.Errorf("text --tests-for: exit %d, no per-file note on stderr:\n%s", code, stderr)
	}

	godir := twoPackageModule(t)
	code, out, stderr = runBin(t, godir, nil, "", "coverage", "--tests-for", "a/a.go:7", "--format", "json")
	if code != exitOK {
		t.Fatalf("go --tests-for: exit %d: %s", code, stderr)
	}
	doc.Granularity = ""
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Granularity != "test" || len(doc.Tests) != 1 || doc.Tests[0] != "example.com/fx/a.TestAdd" {
		t.Errorf("go --tests-for a/a.go:7 = %+v, want per test [example.com/fx/a.TestAdd]", doc)
	}
}

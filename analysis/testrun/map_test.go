package testrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	"github.com/gauntlet-dev/gauntlet/analysis/patch"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

const (
	calcAdd  = "example.com/gocalc/calc.TestAdd"
	calcSub  = "example.com/gocalc/calc.TestSub"
	calcMul  = "example.com/gocalc/calc.TestMulClamps"
	calcDiv  = "example.com/gocalc/calc.TestDiv"
	calcAbs  = "example.com/gocalc/calc.ExampleAbs"
	rpnEval  = "example.com/gocalc/rpn.TestEval"
	rpnError = "example.com/gocalc/rpn.TestEvalErrors"
)

// lineOf is the 1-based line of the first occurrence of text in file.
func lineOf(t *testing.T, file, text string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(data), text)
	if i < 0 {
		t.Fatalf("%s does not contain %q", file, text)
	}
	return strings.Count(string(data[:i]), "\n") + 1
}

func TestGoMapAndCache(t *testing.T) {
	needGo(t)
	dir := testenv.CopyTemp(t, "../../examples/gocalc")
	cache := t.TempDir()
	// build maps the workspace with the one cache: the map, and the titles
	// of the builds it reported.
	build := func() (*coverage.Map, []string) {
		t.Helper()
		var log testenv.Recorder[analysis.Progress]
		m, err := New(analysis.NewSnapshot(dir), Settings{}, WithCacheDir(cache), WithProgress(log.Add)).Map(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return m, beginTitles(log.All())
	}
	m, titles := build()
	clampLine := lineOf(t, filepath.Join(dir, "calc/calc.go"), "if v > Limit {")
	if got, want := m.TestsAt("calc/calc.go", clampLine), []string{calcAdd, calcMul, calcSub, rpnEval}; !reflect.DeepEqual(got, want) {
		t.Errorf("tests at calc.go:%d = %q, want %q", clampLine, got, want)
	}
	divZero := lineOf(t, filepath.Join(dir, "calc/calc.go"), "return 0, ErrDivByZero")
	if got, want := m.TestsAt("calc/calc.go", divZero), []string{calcDiv, rpnError}; !reflect.DeepEqual(got, want) {
		t.Errorf("tests at calc.go:%d = %q, want %q", divZero, got, want)
	}
	if tests, pct, ok := m.Function("rpn/rpn.go", 13, 50); !ok || pct >= 100 || len(tests) != 2 {
		t.Errorf("Eval: %q %.1f%% %v; want both rpn tests and < 100%%", tests, pct, ok)
	}
	if len(titles) != 1 || !strings.Contains(titles[0], "7 tests in 2 packages") {
		t.Fatalf("first build: progress %q", titles)
	}

	// Nothing changed: everything comes from the cache.
	m2, titles := build()
	if len(titles) != 0 {
		t.Errorf("unchanged workspace rebuilt the map: %q", titles)
	}
	if !reflect.DeepEqual(m2.TestIDs(), m.TestIDs()) {
		t.Errorf("cached map has tests %q, want %q", m2.TestIDs(), m.TestIDs())
	}

	// rpn changed: only rpn's tests run again (calc's inputs did not change).
	testenv.WriteFiles(t, dir, map[string]string{"rpn/extra.go": "package rpn\n\nfunc extra() int { return 1 }\n"})
	if _, titles := build(); len(titles) != 1 || !strings.Contains(titles[0], "2 tests in 1 packages") {
		t.Errorf("after an rpn change: progress %q, want only rpn rebuilt", titles)
	}
	// calc changed: rpn imports calc, so both are rebuilt.
	testenv.WriteFiles(t, dir, map[string]string{"calc/extra.go": "package calc\n\nfunc extra() int { return 1 }\n"})
	if _, titles := build(); len(titles) != 1 || !strings.Contains(titles[0], "7 tests in 2 packages") {
		t.Errorf("after a calc change: progress %q, want both rebuilt", titles)
	}
}

// oneLine is a patch that replaces line n of path, old with new.
func oneLine(path string, n int, old, new string) *patch.File {
	return &patch.File{OldPath: path, NewPath: path, Status: patch.Modified, Hunks: []patch.Hunk{{
		OldStart: n, OldLines: 1, NewStart: n, NewLines: 1, Lines: []string{"-" + old, "+" + new},
	}}}
}

// edit returns the snapshot with one line of a file replaced, and the patch.
func edit(t *testing.T, snap *analysis.Snapshot, path, old, new string) (*analysis.Snapshot, *patch.File) {
	t.Helper()
	f, err := snap.File(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(f.Content), "\n")
	for i, l := range lines {
		if strings.Contains(l, old) {
			nl := strings.Replace(l, old, new, 1)
			lines[i] = nl
			return snap.With(analysis.NewFile(path, []byte(strings.Join(lines, "\n")), 1)), oneLine(path, i+1, l, nl)
		}
	}
	t.Fatalf("%s has no %q", path, old)
	return nil, nil
}

func TestSelect(t *testing.T) {
	needGo(t)
	cache := t.TempDir()
	base := analysis.NewSnapshot("../../examples/gocalc")
	cases := []struct {
		name, path, old, new string
		want                 []string
		uncovered            bool
	}{
		{"covered block", "calc/calc.go", "return a / b, nil", "return a * b, nil", []string{calcDiv, rpnEval}, false},
		{"package-level constant", "calc/calc.go", "const Limit = 1000000", "const Limit = 100", []string{calcAbs, calcAdd, calcDiv, calcMul, calcSub, rpnEval, rpnError}, false},
		{"case label", "rpn/rpn.go", `case "-":`, `case "--":`, []string{rpnEval, rpnError}, false},
		{"uncovered block", "rpn/rpn.go", "v = calc.Sub(a, b)", "v = calc.Sub(b, a)", nil, true},
		{"inside a test", "calc/calc_test.go", "Sub(2, 3); got != -1", "Sub(2, 3); got != 1", []string{calcSub}, false},
		{"test file outside tests", "calc/calc_test.go", `"errors"`, `"errors" // x`, []string{calcAbs, calcAdd, calcDiv, calcMul, calcSub}, false},
		{"signature", "calc/calc.go", "func Abs(a int) int {", "func Abs(a int) (r int) {", []string{calcAbs, calcAdd, calcDiv, calcMul, calcSub, rpnEval, rpnError}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			head, p := edit(t, base, c.path, c.old, c.new)
			s := New(head, Settings{}, WithCacheDir(cache))
			sel, err := s.Select(context.Background(), base, []*patch.File{p})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(sel.Tests); !reflect.DeepEqual(got, c.want) {
				t.Errorf("selected %q, want %q (reasons %v)", got, c.want, sel.Reasons)
			}
			if (len(sel.Uncovered) > 0) != c.uncovered {
				t.Errorf("uncovered = %v, want %v", sel.Uncovered, c.uncovered)
			}
		})
	}
}

// TestSelectWithoutMapBuild: on a workspace never mapped, Select with
// WithoutMapBuild runs no test to map it and picks the tests of the edited
// package and of those that import it; once the workspace was mapped (at
// any content), the map is brought up to date and selects by test again.
func TestSelectWithoutMapBuild(t *testing.T) {
	needGo(t)
	cache := t.TempDir()
	dir := testenv.CopyTemp(t, "../../examples/gocalc")
	base := analysis.NewSnapshot(dir)
	head, p := edit(t, base, "calc/calc.go", "return a / b, nil", "return a * b, nil")
	selectNoBuild := func() ([]string, []string) {
		t.Helper()
		var log testenv.Recorder[analysis.Progress]
		sel, err := New(head, Settings{}, WithCacheDir(cache), WithProgress(log.Add), WithoutMapBuild()).Select(context.Background(), base, []*patch.File{p})
		if err != nil {
			t.Fatal(err)
		}
		return ids(sel.Tests), beginTitles(log.All())
	}
	got, titles := selectNoBuild()
	if want := []string{calcAbs, calcAdd, calcDiv, calcMul, calcSub, rpnEval, rpnError}; !reflect.DeepEqual(got, want) || len(titles) != 0 {
		t.Errorf("never mapped: selected %q (want the calc and rpn packages' %q), progress %q (want no map built)", got, want, titles)
	}
	m, err := New(base, Settings{}, WithCacheDir(cache), WithoutMapBuild()).Map(context.Background())
	if err != nil || len(m.TestIDs()) != 0 {
		t.Errorf("never mapped: Map = %q, %v; want an empty map", m.TestIDs(), err)
	}

	// Mapped once, then calc changes on disk: the stale part is built.
	if _, err := New(base, Settings{}, WithCacheDir(cache)).Map(context.Background()); err != nil {
		t.Fatal(err)
	}
	testenv.WriteFiles(t, dir, map[string]string{"calc/extra.go": "package calc\n\nfunc extra() int { return 1 }\n"})
	base = analysis.NewSnapshot(dir)
	head, p = edit(t, base, "calc/calc.go", "return a / b, nil", "return a * b, nil")
	got, titles = selectNoBuild()
	if want := []string{calcDiv, rpnEval}; !reflect.DeepEqual(got, want) || len(titles) != 1 {
		t.Errorf("mapped before: selected %q (want %q), progress %q (want the stale map built)", got, want, titles)
	}
}

// mutants flips operators and constants, one at a time, in every line of
// the example's code.
var mutations = [][2]string{
	{" + ", " - "}, {" - ", " + "}, {" * ", " / "}, {" / ", " * "},
	{" > ", " >= "}, {" < ", " <= "}, {" == ", " != "}, {" != ", " == "},
	{"return 0,", "return 1,"}, {"-a", "a"}, {"1000000", "100"}, {"len(stack)-2", "len(stack)-1"}, {" 2 ", " 3 "},
}

// TestSelectionAgreesOnMutants: for every mutant of the example module
// that the full suite kills, the selected tests fail too.
func TestSelectionAgreesOnMutants(t *testing.T) {
	needGo(t)
	if testing.Short() {
		t.Skip("runs the suite for every mutant")
	}
	cache := t.TempDir()
	base := analysis.NewSnapshot("../../examples/gocalc")
	all, err := New(base, Settings{}, WithCacheDir(cache)).Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var runnable []Test
	for _, tt := range all {
		if tt.Kind != KindBenchmark {
			runnable = append(runnable, tt)
		}
	}
	killed, tried := 0, 0
	for _, path := range []string{"calc/calc.go", "rpn/rpn.go"} {
		f, _ := base.File(path)
		lines := strings.Split(string(f.Content), "\n")
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), "//") {
				continue
			}
			for _, mu := range mutations {
				if !strings.Contains(l, mu[0]) {
					continue
				}
				nl := strings.Replace(l, mu[0], mu[1], 1)
				mutated := append(append(append([]string(nil), lines[:i]...), nl), lines[i+1:]...)
				head := base.With(analysis.NewFile(path, []byte(strings.Join(mutated, "\n")), 1))
				s := New(head, Settings{}, WithCacheDir(cache))
				name := fmt.Sprintf("%s:%d %q->%q", path, i+1, mu[0], mu[1])
				full, err := s.Run(context.Background(), runnable, RunOptions{})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				tried++
				if full.Passed() {
					continue // the suite does not kill this mutant
				}
				killed++
				sel, err := s.Select(context.Background(), base, []*patch.File{oneLine(path, i+1, l, nl)})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(sel.Tests) == 0 {
					t.Errorf("%s: killed by the suite, but nothing selected", name)
					continue
				}
				part, err := s.Run(context.Background(), sel.Tests, RunOptions{})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if part.Passed() {
					t.Errorf("%s: killed by the suite, but the selected %q pass", name, ids(sel.Tests))
				}
			}
		}
	}
	t.Logf("%d mutants, %d killed by the full suite, all killed by the selection", tried, killed)
	if killed < 10 {
		t.Errorf("only %d mutants killed: the mutation operators no longer match the example", killed)
	}
}

func TestFunctions(t *testing.T) {
	needGo(t)
	s := New(analysis.NewSnapshot("../../examples/gocalc"), Settings{}, WithCacheDir(t.TempDir()))
	m, err := s.Map(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fns, err := s.Functions(context.Background(), m, "rpn/rpn.go")
	if err != nil {
		t.Fatal(err)
	}
	if len(fns) != 1 || fns[0].Name != "Eval" || fns[0].Line != 13 || len(fns[0].Tests) != 2 || fns[0].Percent < 90 || fns[0].Percent >= 100 {
		t.Fatalf("functions of rpn.go: %+v", fns)
	}
	fns, err = s.Functions(context.Background(), m, "calc/calc.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fns {
		names = append(names, fmt.Sprintf("%s:%d", f.Name, len(f.Tests)))
	}
	if want := []string{"Add:2", "Sub:1", "Mul:2", "Div:3", "Abs:1", "clamp:4"}; !reflect.DeepEqual(names, want) {
		t.Errorf("calc.go: %q, want %q (name:tests)", names, want)
	}
}

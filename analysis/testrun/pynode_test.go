package testrun

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/patch"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

func needPytest(t *testing.T) {
	_, err := findPython(true)
	testenv.Need(t, err, "python3 with pytest and coverage", "apt-get install python3-pytest python3-coverage")
}

func needNode(t *testing.T) {
	testenv.NeedTool(t, "node")
}

// discoverAndRun discovers the tests of the project in dir, which must be
// want, and runs them all with coverage.
func discoverAndRun(t *testing.T, dir string, want []string) (*Suite, []Test, *Report) {
	t.Helper()
	s := New(analysis.NewSnapshot(dir), Settings{}, WithCacheDir(t.TempDir()))
	tests, err := s.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(tests); !reflect.DeepEqual(got, want) {
		t.Fatalf("tests:\n got %q\nwant %q", got, want)
	}
	out, err := s.Run(context.Background(), tests, RunOptions{Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	return s, tests, out
}

// checkFailure: the result of test id says text and places the failure at.
func checkFailure(t *testing.T, out *Report, id, text string, at Location) {
	t.Helper()
	for _, r := range out.Results {
		if r.ID == id {
			if !strings.Contains(r.Output, text) {
				t.Errorf("failure output %q", r.Output)
			}
			if r.Failure == nil || *r.Failure != at {
				t.Errorf("failure at %+v, want %s:%d", r.Failure, at.File, at.Line)
			}
		}
	}
}

// runAlone runs test id alone: it is the one result, and it passes.
func runAlone(t *testing.T, s *Suite, id string) {
	t.Helper()
	one, err := s.RunIDs(context.Background(), []string{id}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := results(one); len(got) != 1 || got[id] != Pass {
		t.Errorf("one test: %v", got)
	}
}

// selectFor is the selection of a fresh suite for the edit of file in
// base that replaces old by new.
func selectFor(t *testing.T, base *analysis.Snapshot, file, old, new string) *Selection {
	t.Helper()
	head, p := edit(t, base, file, old, new)
	sel, err := New(head, Settings{}, WithCacheDir(t.TempDir())).Select(context.Background(), base, []*patch.File{p})
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

func TestPytest(t *testing.T) {
	needPytest(t)
	dir := testenv.CopyTemp(t, "../../examples/pycalc")
	testenv.WriteFiles(t, dir, map[string]string{"tests/test_more.py": `import pytest

from calc import sub


@pytest.mark.parametrize("a,b,want", [(1, 1, 0), (5, 2, 3)])
def test_sub_cases(a, b, want):
    assert sub(a, b) == want


def test_broken():
    assert sub(1, 1) == 1


@pytest.mark.skip(reason="not today")
def test_skipped():
    pass
`})
	s, tests, out := discoverAndRun(t, dir, []string{
		"tests/test_calc.py::TestDiv::test_div", "tests/test_calc.py::TestDiv::test_div_by_zero",
		"tests/test_calc.py::test_add", "tests/test_calc.py::test_clamp", "tests/test_calc.py::test_sub",
		"tests/test_more.py::test_broken", "tests/test_more.py::test_skipped",
		"tests/test_more.py::test_sub_cases[1-1-0]", "tests/test_more.py::test_sub_cases[5-2-3]",
	})
	got := results(out)
	if got["tests/test_more.py::test_broken"] != Fail || got["tests/test_more.py::test_skipped"] != Skip ||
		got["tests/test_more.py::test_sub_cases[5-2-3]"] != Pass || got["tests/test_calc.py::test_add"] != Pass {
		t.Errorf("results %v", got)
	}
	checkFailure(t, out, "tests/test_more.py::test_broken", "assert 0 == 1", Location{"tests/test_more.py", 12})
	f := out.Coverage.Files["calc/__init__.py"]
	if f == nil || len(f.Uncovered()) != 1 || f.Uncovered()[0] != [2]int{10, 10} {
		t.Errorf("coverage of calc/__init__.py: %+v", f)
	}
	// A selection of one test.
	runAlone(t, s, "tests/test_calc.py::TestDiv::test_div")

	// The per-test map, through coverage.py's dynamic contexts.
	m, err := s.Map(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	divLine := lineOf(t, filepath.Join(dir, "calc/__init__.py"), "return a // b")
	if got, want := m.TestsAt("calc/__init__.py", divLine), []string{"tests/test_calc.py::TestDiv::test_div"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tests at line %d: %q, want %q", divLine, got, want)
	}
	subLine := lineOf(t, filepath.Join(dir, "calc/__init__.py"), "return clamp(a - b)")
	if got, want := m.TestsAt("calc/__init__.py", subLine), []string{"tests/test_calc.py::test_sub", "tests/test_more.py::test_broken", "tests/test_more.py::test_sub_cases[1-1-0]", "tests/test_more.py::test_sub_cases[5-2-3]"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tests at line %d: %q, want %q", subLine, got, want)
	}

	// Selection: a covered line selects its tests; a module-level line, all.
	base := analysis.NewSnapshot(dir)
	sel := selectFor(t, base, "calc/__init__.py", "return a // b", "return a / b")
	if got := ids(sel.Tests); !reflect.DeepEqual(got, []string{"tests/test_calc.py::TestDiv::test_div"}) {
		t.Errorf("selected %q", got)
	}
	sel = selectFor(t, base, "calc/__init__.py", "LIMIT = 1000000", "LIMIT = 10")
	if len(sel.Tests) != len(tests) {
		t.Errorf("module-level change selected %q, want all", ids(sel.Tests))
	}
}

func TestNodeTest(t *testing.T) {
	needNode(t)
	dir := testenv.CopyTemp(t, "../../examples/jscalc")
	testenv.WriteFiles(t, dir, map[string]string{"test/broken.test.mjs": `import { test } from 'node:test';
import assert from 'node:assert';
import calc from '../calc.js';

test('broken', () => {
  assert.strictEqual(calc.add(1, 1), 3);
});

test.skip('later', () => {});
`})
	s, _, out := discoverAndRun(t, dir, []string{
		"test/broken.test.mjs::broken", "test/broken.test.mjs::later",
		"test/calc.test.js::add", "test/calc.test.js::add clamps", "test/calc.test.js::div > divides",
		"test/calc.test.js::div > refuses zero", "test/calc.test.js::sub", "test/format.test.js::sum",
	})
	got := results(out)
	if got["test/broken.test.mjs::broken"] != Fail || got["test/broken.test.mjs::later"] != Skip || got["test/calc.test.js::div > refuses zero"] != Pass {
		t.Errorf("results %v", got)
	}
	checkFailure(t, out, "test/broken.test.mjs::broken", "2 !== 3", Location{"test/broken.test.mjs", 6})
	if f := out.Coverage.Files["calc.js"]; f == nil || f.Percent() < 80 || len(f.Uncovered()) == 0 {
		t.Errorf("coverage of calc.js: %+v", f)
	}
	// One nested test alone.
	runAlone(t, s, "test/calc.test.js::div > divides")
	// The map is per test file: format.js is covered by format.test.js only.
	m, err := s.Map(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := m.TestsAt("format.js", lineOf(t, filepath.Join(dir, "format.js"), "return `")); !reflect.DeepEqual(got, []string{"test/format.test.js::sum"}) {
		t.Errorf("tests covering format.js: %q", got)
	}
	base := analysis.NewSnapshot(dir)
	if got := ids(selectFor(t, base, "format.js", "${a} + ${b}", "${a}+${b}").Tests); !reflect.DeepEqual(got, []string{"test/format.test.js::sum"}) {
		t.Errorf("selected %q", got)
	}
}

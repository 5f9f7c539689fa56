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

func TestPytest(t *testing.T) {
	needPytest(t)
	dir := copyDir(t, "../../examples/pycalc")
	writeFiles(t, dir, map[string]string{"tests/test_more.py": `import pytest

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
	s := New(analysis.NewSnapshot(dir), Settings{}, WithCacheDir(t.TempDir()))
	tests, err := s.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"tests/test_calc.py::TestDiv::test_div", "tests/test_calc.py::TestDiv::test_div_by_zero",
		"tests/test_calc.py::test_add", "tests/test_calc.py::test_clamp", "tests/test_calc.py::test_sub",
		"tests/test_more.py::test_broken", "tests/test_more.py::test_skipped",
		"tests/test_more.py::test_sub_cases[1-1-0]", "tests/test_more.py::test_sub_cases[5-2-3]",
	}
	if got := ids(tests); !reflect.DeepEqual(got, want) {
		t.Fatalf("tests:\n got %q\nwant %q", got, want)
	}
	out, err := s.Run(context.Background(), tests, RunOptions{Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	got := results(out)
	if got["tests/test_more.py::test_broken"] != Fail || got["tests/test_more.py::test_skipped"] != Skip ||
		got["tests/test_more.py::test_sub_cases[5-2-3]"] != Pass || got["tests/test_calc.py::test_add"] != Pass {
		t.Errorf("results %v", got)
	}
	for _, r := range out.Results {
		if r.ID == "tests/test_more.py::test_broken" {
			if !strings.Contains(r.Output, "assert 0 == 1") {
				t.Errorf("failure output %q", r.Output)
			}
			if r.Failure == nil || *r.Failure != (Location{"tests/test_more.py", 12}) {
				t.Errorf("failure at %+v, want tests/test_more.py:12", r.Failure)
			}
		}
	}
	f := out.Coverage.Files["calc/__init__.py"]
	if f == nil || len(f.Uncovered()) != 1 || f.Uncovered()[0] != [2]int{10, 10} {
		t.Errorf("coverage of calc/__init__.py: %+v", f)
	}
	// A selection of one test.
	one, err := s.RunIDs(context.Background(), []string{"tests/test_calc.py::TestDiv::test_div"}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := results(one); len(got) != 1 || got["tests/test_calc.py::TestDiv::test_div"] != Pass {
		t.Errorf("one test: %v", got)
	}

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
	head, p := edit(t, base, "calc/__init__.py", "return a // b", "return a / b")
	sel, err := New(head, Settings{}, WithCacheDir(t.TempDir())).Select(context.Background(), base, []*patch.File{p})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(sel.Tests); !reflect.DeepEqual(got, []string{"tests/test_calc.py::TestDiv::test_div"}) {
		t.Errorf("selected %q", got)
	}
	head, p = edit(t, base, "calc/__init__.py", "LIMIT = 1000000", "LIMIT = 10")
	sel, err = New(head, Settings{}, WithCacheDir(t.TempDir())).Select(context.Background(), base, []*patch.File{p})
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Tests) != len(tests) {
		t.Errorf("module-level change selected %q, want all", ids(sel.Tests))
	}
}

func TestNodeTest(t *testing.T) {
	needNode(t)
	dir := copyDir(t, "../../examples/jscalc")
	writeFiles(t, dir, map[string]string{"test/broken.test.mjs": `import { test } from 'node:test';
import assert from 'node:assert';
import calc from '../calc.js';

test('broken', () => {
  assert.strictEqual(calc.add(1, 1), 3);
});

test.skip('later', () => {});
`})
	s := New(analysis.NewSnapshot(dir), Settings{}, WithCacheDir(t.TempDir()))
	tests, err := s.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"test/broken.test.mjs::broken", "test/broken.test.mjs::later",
		"test/calc.test.js::add", "test/calc.test.js::add clamps", "test/calc.test.js::div > divides",
		"test/calc.test.js::div > refuses zero", "test/calc.test.js::sub", "test/format.test.js::sum",
	}
	if got := ids(tests); !reflect.DeepEqual(got, want) {
		t.Fatalf("tests:\n got %q\nwant %q", got, want)
	}
	out, err := s.Run(context.Background(), tests, RunOptions{Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	got := results(out)
	if got["test/broken.test.mjs::broken"] != Fail || got["test/broken.test.mjs::later"] != Skip || got["test/calc.test.js::div > refuses zero"] != Pass {
		t.Errorf("results %v", got)
	}
	for _, r := range out.Results {
		if r.ID == "test/broken.test.mjs::broken" {
			if !strings.Contains(r.Output, "2 !== 3") {
				t.Errorf("failure output %q", r.Output)
			}
			if r.Failure == nil || *r.Failure != (Location{"test/broken.test.mjs", 6}) {
				t.Errorf("failure at %+v, want test/broken.test.mjs:6", r.Failure)
			}
		}
	}
	if f := out.Coverage.Files["calc.js"]; f == nil || f.Percent() < 80 || len(f.Uncovered()) == 0 {
		t.Errorf("coverage of calc.js: %+v", f)
	}
	// One nested test alone.
	one, err := s.RunIDs(context.Background(), []string{"test/calc.test.js::div > divides"}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := results(one); len(got) != 1 || got["test/calc.test.js::div > divides"] != Pass {
		t.Errorf("one test: %v", got)
	}
	// The map is per test file: format.js is covered by format.test.js only.
	m, err := s.Map(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := m.TestsAt("format.js", lineOf(t, filepath.Join(dir, "format.js"), "return `")); !reflect.DeepEqual(got, []string{"test/format.test.js::sum"}) {
		t.Errorf("tests covering format.js: %q", got)
	}
	base := analysis.NewSnapshot(dir)
	head, p := edit(t, base, "format.js", "${a} + ${b}", "${a}+${b}")
	sel, err := New(head, Settings{}, WithCacheDir(t.TempDir())).Select(context.Background(), base, []*patch.File{p})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(sel.Tests); !reflect.DeepEqual(got, []string{"test/format.test.js::sum"}) {
		t.Errorf("selected %q", got)
	}
}

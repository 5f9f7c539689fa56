package testrun

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// editedTests runs EditedTests on files written before and after (content
// "" means the file does not exist on that side) and returns one line per
// test edit.
func editedTests(t *testing.T, before, after map[string]string) []string {
	t.Helper()
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, before)
	snap := analysis.NewSnapshot(dir)
	var changed []*analysis.File
	var gone []string
	var files []EditedFile
	for p, c := range after {
		_, existed := before[p]
		f := EditedFile{New: p}
		if existed {
			f.Old = p
		}
		if c == "" {
			gone = append(gone, p)
			f = EditedFile{Old: p}
		} else {
			changed = append(changed, analysis.NewFile(p, []byte(c), 0))
		}
		files = append(files, f)
	}
	edited := snap.With(changed...).Without(gone...)
	var out []string
	for _, e := range EditedTests(context.Background(), snap, edited, files) {
		s := fmt.Sprintf("%s %s:%d", e.Name, e.File, e.Line)
		if e.Deleted {
			s += " deleted"
		}
		if len(e.Via) > 0 {
			s += " via " + strings.Join(e.Via, ",")
		}
		out = append(out, s)
	}
	return out
}

// checkEdited: the tests that edit (files that replace base's) changes are
// want.
func checkEdited(t *testing.T, base, edit map[string]string, want []string) {
	t.Helper()
	got := editedTests(t, base, edit)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// editCase is an edit of a test file (its new content) and the tests it
// changes.
type editCase struct {
	name, edit string
	want       []string
}

// checkEdits runs each case as a subtest: file, whose content is src,
// replaced by the case's edit.
func checkEdits(t *testing.T, file, src string, cases []editCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkEdited(t, map[string]string{file: src}, map[string]string{file: tc.edit}, tc.want)
		})
	}
}

func TestEditedTestsGo(t *testing.T) {
	const src = `package calc

import "testing"

var cases = []struct{ a, b, want int }{{2, 3, 5}}

func check(t *testing.T, got, want int) {
	if got != want {
		t.Errorf("got %d, want %d", got, want)
	}
}

func TestAdd(t *testing.T) {
	// Add adds.
	if got := Add(2, 3); got != 5 {
		t.Errorf("Add(2, 3) = %d, want 5", got)
	}
}

func TestTable(t *testing.T) {
	for _, c := range cases {
		t.Run("x", func(t *testing.T) { check(t, Add(c.a, c.b), c.want) })
	}
}

func TestSub(t *testing.T) {
	if Sub(3, 2) != 1 {
		t.Fatal("Sub")
	}
}
`
	other := "package calc\n\nimport \"testing\"\n\nfunc TestOther(t *testing.T) { check(t, 1, 1) }\n\nfunc TestAlone(t *testing.T) {}\n"
	base := map[string]string{"go.mod": "module example.com/calc\n", "calc_test.go": src, "other_test.go": other}
	for _, tc := range []struct {
		name string
		edit map[string]string
		want []string
	}{
		{"expected value", map[string]string{"calc_test.go": strings.Replace(src, "got != 5", "got != -1", 1)}, []string{"TestAdd calc_test.go:13"}},
		{"comment and whitespace only", map[string]string{"calc_test.go": strings.Replace(strings.Replace(src, "// Add adds.", "// Add adds two numbers.", 1), "Add(2, 3); got", "Add(2,  3);   got", 1)}, nil},
		{"deleted test", map[string]string{"calc_test.go": strings.Replace(src, "func TestSub(", "func helperSub(", 1)}, []string{"TestSub calc_test.go:26 deleted"}},
		{"deleted file", map[string]string{"other_test.go": ""}, []string{"TestOther other_test.go:5 deleted", "TestAlone other_test.go:7 deleted"}},
		{"table", map[string]string{"calc_test.go": strings.Replace(src, "{2, 3, 5}", "{2, 3, -1}", 1)}, []string{"TestTable calc_test.go:20 via cases"}},
		{"shared helper", map[string]string{"calc_test.go": strings.Replace(src, "if got != want {", "if false {", 1)}, []string{"TestTable calc_test.go:20 via check", "TestOther other_test.go:5 via check"}},
		{"new test", map[string]string{"calc_test.go": src + "\nfunc TestMul(t *testing.T) {}\n"}, nil},
		{"test moved to another file", map[string]string{
			"calc_test.go":  strings.Replace(src, "func TestSub(t *testing.T) {\n\tif Sub(3, 2) != 1 {\n\t\tt.Fatal(\"Sub\")\n\t}\n}\n", "", 1),
			"other_test.go": other + "\nfunc TestSub(t *testing.T) {\n\tif Sub(3, 2) != 1 {\n\t\tt.Fatal(\"Sub\")\n\t}\n}\n"}, nil},
		{"TestMain", map[string]string{"other_test.go": other + "\nfunc TestMain(m *testing.M) {}\n"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) { checkEdited(t, base, tc.edit, tc.want) })
	}
	// Changing TestMain changes every test of the package.
	withMain := map[string]string{"go.mod": "module example.com/calc\n", "other_test.go": other + "\nfunc TestMain(m *testing.M) { m.Run() }\n"}
	got := editedTests(t, withMain, map[string]string{"other_test.go": other + "\nfunc TestMain(m *testing.M) {}\n"})
	if strings.Join(got, "|") != "TestOther other_test.go:5 via TestMain|TestAlone other_test.go:7 via TestMain" {
		t.Errorf("TestMain: %q", got)
	}
}

func TestEditedTestsPython(t *testing.T) {
	const src = `import pytest

WANT = 5


@pytest.fixture
def pair():
    return (2, 3)


def test_add(pair):
    """Adds."""
    assert add(*pair) == WANT  # the sum


class TestCalc:
    def setup_method(self):
        self.x = 1

    def test_sub(self):
        assert sub(3, 2) == self.x

    @pytest.mark.parametrize("a,b,want", [(1, 1, 2)])
    def test_param(self, a, b, want):
        assert add(a, b) == want
`
	checkEdits(t, "test_calc.py", src, []editCase{
		{"assertion", strings.Replace(src, "== self.x", "!= self.x", 1), []string{"TestCalc::test_sub test_calc.py:20"}},
		{"parametrize", strings.Replace(src, "(1, 1, 2)", "(1, 1, 3)", 1), []string{"TestCalc::test_param test_calc.py:24"}},
		{"constant", strings.Replace(src, "WANT = 5", "WANT = -1", 1), []string{"test_add test_calc.py:11 via WANT"}},
		{"fixture", strings.Replace(src, "return (2, 3)", "return (2, 2)", 1), []string{"test_add test_calc.py:11 via pair"}},
		{"setup", strings.Replace(src, "self.x = 1", "self.x = 2", 1), []string{"TestCalc::test_sub test_calc.py:20 via setup_method", "TestCalc::test_param test_calc.py:24 via setup_method"}},
		{"comment and docstring", strings.Replace(strings.Replace(src, "# the sum", "# the sum of both", 1), `"""Adds."""`, `"""Adds two."""`, 1), nil},
		{"deleted", strings.Replace(src, "def test_add(pair):", "def _add(pair):", 1), []string{"test_add test_calc.py:11 deleted"}},
	})
}

func TestEditedTestsJS(t *testing.T) {
	const src = `import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert';

const want = 5;
let x;

describe('calc', () => {
  beforeEach(() => { x = 1; });
  it('adds', () => {
    assert.strictEqual(add(2, 3), want); // sum
  });
});

test('subs', () => {
  assert.strictEqual(sub(3, 2), 1);
});
`
	checkEdits(t, "calc.test.mjs", src, []editCase{
		{"assertion", strings.Replace(src, "sub(3, 2), 1)", "sub(3, 2), 2)", 1), []string{"subs calc.test.mjs:14"}},
		{"constant", strings.Replace(src, "const want = 5", "const want = 6", 1), []string{"calc > adds calc.test.mjs:9 via want"}},
		{"hook", strings.Replace(src, "x = 1;", "x = 2;", 1), []string{"calc > adds calc.test.mjs:9 via beforeEach", "subs calc.test.mjs:14 via beforeEach"}},
		{"comment", strings.Replace(src, "// sum", "// the sum", 1), nil},
		{"renamed test", strings.Replace(src, "test('subs'", "test('subtracts'", 1), []string{"subs calc.test.mjs:14 deleted"}},
	})
}

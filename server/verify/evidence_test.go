package verify

import (
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// collapseFailure is pytest's long traceback of a test failing inside
// more_itertools' collapse (shortened).
func collapseFailure(test string) string {
	return "    def " + test + "(self):\n>       list(collapse([[1], 2]))\n\ntests/test_more.py:10: \n" +
		"_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _\n\niterable = [[1], 2]\n\n" +
		"    def collapse(iterable, base_type=None, levels=None):\n        def walk(node, level):\n            yield node\n" +
		"        stack = [iterable]\n>       raise TypeError(stack)\nE       TypeError: [[[1], 2]]\n\nmore_itertools/more.py:1234: TypeError"
}

// TestDedupeOutputs: the code of collapse is shown once however many tests
// fail in it; each test keeps its own line and error.
func TestDedupeOutputs(t *testing.T) {
	ids := []string{"t1", "t2", "t3"}
	outs := DedupeOutputs(ids, []string{collapseFailure("test_a"), collapseFailure("test_b"), collapseFailure("test_c")})
	all := strings.Join(outs, "\n")
	if n := strings.Count(all, "def collapse("); n != 1 {
		t.Errorf("collapse shown %d times:\n%s", n, all)
	}
	for _, want := range []string{"def test_b(self):", "def test_c(self):", "E       TypeError: [[[1], 2]]\n(the code around more_itertools/more.py:1234 is shown in the output of t1)\nmore_itertools/more.py:1234: TypeError"} {
		if !strings.Contains(outs[1]+outs[2], want) {
			t.Errorf("lacks %q:\n%s", want, all)
		}
	}
	if outs[0] != collapseFailure("test_a") {
		t.Errorf("the first output changed:\n%s", outs[0])
	}
	// Go output is left as it is.
	goOut := "    calc_test.go:12: Add(2, 3) = -1, want 5\n    calc_test.go:12: Add(2, 3) = -1, want 5"
	if got := DedupeOutputs([]string{"a", "b"}, []string{goOut, goOut}); got[1] != goOut {
		t.Errorf("go output changed: %q", got[1])
	}
}

// TestWorkspacePaths: the shadow copy's directory never reaches the verdict.
func TestWorkspacePaths(t *testing.T) {
	dir := "/home/u/.cache/gauntlet/shadow/0a1b/mux"
	v := &Verdict{Gates: []*Gate{{Name: GateTests, Detail: "1 of 1 failed", Output: "ok  \t" + dir + "/x.go",
		Failed: []testrun.Failure{{ID: "T", File: "mux_test.go", Output: "Error Trace:\t" + dir + "/mux_test.go:45\n\tat (file://" + dir + "/a.js:1:2)"}}}}}
	v.workspacePaths(dir)
	g := v.Gates[0]
	if strings.Contains(g.Output+g.Failed[0].Output, "shadow") || !strings.Contains(g.Failed[0].Output, "Error Trace:\tmux_test.go:45\n\tat (a.js:1:2)") {
		t.Errorf("output %q, test output %q", g.Output, g.Failed[0].Output)
	}
}

package loop

import (
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
)

// TestDeepestFrame: the innermost frame in code the failing test ran,
// outside the tests, for each runner's way of writing stacks; frames of
// the standard library, of the tests and of lines the test did not run
// are passed over.
func TestDeepestFrame(t *testing.T) {
	m := coverage.NewMap()
	m.Files["pkg/decode.go"] = []coverage.Block{{StartLine: 10, EndLine: 20, Stmts: 3}, {StartLine: 30, EndLine: 40, Stmts: 3}}
	m.Files["src/calc.py"] = []coverage.Block{{StartLine: 5, EndLine: 5, Stmts: 1}, {StartLine: 9, EndLine: 9, Stmts: 1}}
	m.Files["lib/add.js"] = []coverage.Block{{StartLine: 3, EndLine: 6, Stmts: 2}}
	m.Tests["t"] = &coverage.TestCoverage{Covers: map[string][]int{"pkg/decode.go": {1}, "src/calc.py": {0, 1}, "lib/add.js": {0}}}
	cases := []struct {
		name, output, file string
		line               int
	}{
		{"go panic", "panic: boom\n\nexample.com/m/pkg.parse(...)\n\t/home/u/.cache/gauntlet/shadow/ab/m/pkg/decode.go:33 +0x1d\nexample.com/m/pkg.Decode()\n\t/home/u/m/pkg/decode.go:12\nexample.com/m/pkg.TestX()\n\t/home/u/m/pkg/decode_test.go:9", "pkg/decode.go", 33},
		{"not run by the test", "\t/home/u/m/pkg/decode.go:15\n\t/home/u/m/pkg/decode.go:25\n\t/home/u/m/pkg/decode.go:36", "pkg/decode.go", 36},
		{"testify", "    decode_test.go:40: \n        \tError Trace:\t/w/pkg/decode_test.go:40\n        \t            \t/w/pkg/decode.go:35\n        \tError:      \tNot equal", "pkg/decode.go", 35},
		{"pytest", "tests/test_calc.py:4: in test_div\n    assert div(1, 0) == 0\nsrc/calc.py:5: in div\n    return helper(a, b)\nsrc/calc.py:9: in helper\n    return a / b\nE   ZeroDivisionError", "src/calc.py", 9},
		{"python traceback", "Traceback (most recent call last):\n  File \"/w/src/calc.py\", line 5, in div\n  File \"/w/src/calc.py\", line 9, in helper\nZeroDivisionError", "src/calc.py", 9},
		{"node", "AssertionError: 1 == 2\n    at add (/w/lib/add.js:4:10)\n    at Context.<anonymous> (file:///w/test/add.test.js:7:5)\n    at node:internal/process:1:1", "lib/add.js", 4},
	}
	for _, c := range cases {
		f, l, ok := deepestFrame(m, "t", c.output)
		if !ok || f != c.file || l != c.line {
			t.Errorf("%s: %s:%d (%v), want %s:%d", c.name, f, l, ok, c.file, c.line)
		}
	}
	if _, _, ok := deepestFrame(m, "t", "    decode_test.go:40: Error Trace: /w/pkg/decode_test.go:40\n\t/usr/lib/go/src/testing/testing.go:1632"); ok {
		t.Error("a trace of only the test and the standard library gave a frame")
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// runnerExample copies examples/jsrunners/FW and links into it the
// node_modules of the pinned jest, vitest and mocha that .ci/run installs
// ($GAUNTLET_JS_TOOLS, by default ~/.cache/gauntlet-ci/js). Outside CI a
// missing node or TOOL skips the test.
func runnerExample(t *testing.T, fw, tool string) string {
	t.Helper()
	testenv.NeedTool(t, "node")
	testenv.NeedTool(t, tool)
	dir := exampleCopy(t, filepath.Join("jsrunners", fw))
	if err := os.Symlink(filepath.Join(testenv.JSToolsDir(), "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func statuses(t *testing.T, out string) map[string]string {
	t.Helper()
	var got testOutput
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	m := map[string]string{}
	for _, r := range got.Tests {
		m[r.ID] = r.Status
	}
	return m
}

func testsFor(t *testing.T, fileLine string) []string {
	t.Helper()
	code, out, stderr := gauntletHere("coverage", "--tests-for", fileLine, "--format", "json")
	if code != exitOK {
		t.Fatalf("coverage --tests-for %s: exit %d: %s", fileLine, code, stderr)
	}
	var got struct {
		Tests []string `json:"tests"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got.Tests)
	return got.Tests
}

// breakAdd turns add into a subtraction: the adds test fails.
const breakAdd = `--- a/calc.js
+++ b/calc.js
@@ -11,3 +11,3 @@
 function add(a, b) {
-  return clamp(a + b);
+  return clamp(a - b);
 }
`

// TestJSRunners drives jest, vitest and mocha examples through gauntlet
// test, coverage --tests-for and verify, with the real tools: the tests
// are the framework's (test.each and generated cases included), each
// test's coverage is its own lines, and a breaking patch is rejected.
func TestJSRunners(t *testing.T) {
	for _, c := range []struct{ fw, tool, file string }{
		{"jest", "jest", "test/calc.test.js"},
		{"vitest", "vitest", "test/calc.test.js"},
		{"mocha", "mocha", "test/calc.js"},
	} {
		t.Run(c.fw, func(t *testing.T) {
			dir := runnerExample(t, c.fw, c.tool)
			code, out, stderr := gauntletHere("test", "--format", "json")
			if code != exitOK {
				t.Fatalf("test: exit %d\n%s\n%s", code, out, stderr)
			}
			f := c.file + "::"
			want := map[string]string{
				f + "add > adds": "pass", f + "add > clamps": "pass", f + "div > divides": "pass", f + "div > refuses zero": "pass",
				f + "sub(5, 3) = 2": "pass", f + "sub(1, 1) = 0": "pass", f + "later": "skip",
			}
			if got := statuses(t, out); !reflect.DeepEqual(got, want) {
				t.Errorf("tests:\n got %v\nwant %v", got, want)
			}
			// Per-test coverage: the throw runs in one test, LIMIT in another.
			if got := testsFor(t, "calc.js:"+lineNo(t, filepath.Join(dir, "calc.js"), "throw new Error")); !reflect.DeepEqual(got, []string{f + "div > refuses zero"}) {
				t.Errorf("--tests-for the throw: %q", got)
			}
			if got := testsFor(t, "calc.js:"+lineNo(t, filepath.Join(dir, "calc.js"), "return LIMIT")); !reflect.DeepEqual(got, []string{f + "add > clamps"}) {
				t.Errorf("--tests-for return LIMIT: %q", got)
			}
			if got := testsFor(t, "calc.js:"+lineNo(t, filepath.Join(dir, "calc.js"), "return clamp(a - b)")); !reflect.DeepEqual(got, []string{f + "sub(1, 1) = 0", f + "sub(5, 3) = 2"}) {
				t.Errorf("--tests-for sub: %q", got)
			}
			code, v, text := verifyPatch(t, dir, breakAdd, "--sandbox", "none")
			if code != exitFindings || v.Accepted {
				t.Errorf("verify of a breaking patch: exit %d, accepted %v\n%s", code, v.Accepted, text)
			}
		})
	}
}

// TestUnknownJSRunner: test files under a package.json that runs karma are
// an error that names it, never "0 passed"; verify does not accept.
func TestUnknownJSRunner(t *testing.T) {
	testenv.NeedTool(t, "node")
	dir := exampleCopy(t, filepath.Join("jsrunners", "karma"))
	code, out, stderr := gauntletHere("test")
	if code != exitError {
		t.Fatalf("test: exit %d, want 2\n%s\n%s", code, out, stderr)
	}
	for _, w := range []string{"package.json runs karma", "gauntlet runs jest, vitest, mocha and node --test; set tests.runner"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q lacks %q", stderr, w)
		}
	}
	code, v, text := verifyPatch(t, dir, breakAdd, "--sandbox", "none")
	if code == exitOK || v.Accepted {
		t.Errorf("verify: exit %d, accepted %v\n%s", code, v.Accepted, text)
	}
}

// TestPytestUnittestClasses: pytest's own collection finds unittest
// classes of any name and inherited tests; each test's coverage is its own.
func TestPytestUnittestClasses(t *testing.T) {
	testenv.NeedPython(t, "pytest", "coverage")
	dir := exampleCopy(t, "pyunit")
	code, out, stderr := gauntletHere("test", "--format", "json")
	if code != exitOK {
		t.Fatalf("test: exit %d\n%s\n%s", code, out, stderr)
	}
	f := "tests/test_shapes.py::"
	want := map[string]string{
		f + "AreaChecks::test_negative": "pass", f + "AreaChecks::test_rect": "pass", f + "AreaChecks::test_square": "pass",
		f + "SquareCase::test_perimeter_positive": "pass", f + "TriangleCase::test_perimeter_positive": "pass",
		f + "TriangleCase::test_right_angle": "skip",
	}
	if got := statuses(t, out); !reflect.DeepEqual(got, want) {
		t.Errorf("tests:\n got %v\nwant %v", got, want)
	}
	src := filepath.Join(dir, "shapes", "__init__.py")
	if got := testsFor(t, "shapes/__init__.py:"+lineNo(t, src, "return side * side")); !reflect.DeepEqual(got, []string{f + "AreaChecks::test_square"}) {
		t.Errorf("--tests-for square_area: %q", got)
	}
	if got := testsFor(t, "shapes/__init__.py:"+lineNo(t, src, "return sum(sides)")); !reflect.DeepEqual(got, []string{f + "SquareCase::test_perimeter_positive", f + "TriangleCase::test_perimeter_positive"}) {
		t.Errorf("--tests-for perimeter: %q", got)
	}
	patch := `--- a/shapes/__init__.py
+++ b/shapes/__init__.py
@@ -15,2 +15,2 @@
 def perimeter(*sides):
-    return sum(sides)
+    return -sum(sides)
`
	code, v, text := verifyPatch(t, dir, patch, "--sandbox", "none")
	if code != exitFindings || v.Accepted {
		t.Errorf("verify of a breaking patch: exit %d, accepted %v\n%s", code, v.Accepted, text)
	}
}

// lineNo is the 1-based line of the first line of file containing s.
func lineNo(t *testing.T, file, s string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, s) {
			return strconv.Itoa(i + 1)
		}
	}
	t.Fatalf("%s: no line contains %q", file, s)
	return ""
}

// verifyLineEdit verifies the edit of one line of file (old to new, without
// a sandbox) and wants it accepted, or else rejected by the coverage gate,
// with detail in that gate's detail.
func verifyLineEdit(t *testing.T, dir, file, old, new string, accepted bool, detail string) {
	t.Helper()
	patch := fmt.Sprintf("--- a/%[1]s\n+++ b/%[1]s\n@@ -%[2]s +%[2]s @@\n-%[3]s\n+%[4]s\n", file, lineNo(t, filepath.Join(dir, file), old)+",1", old, new)
	code, v, text := verifyPatch(t, dir, patch, "--sandbox", "none")
	if v.Accepted != accepted || (accepted && code != exitOK) || (!accepted && v.failedGate() != "coverage") {
		t.Fatalf("exit %d, accepted %v (failed gate %q), want accepted %v or rejected by coverage\n%s", code, v.Accepted, v.failedGate(), accepted, text)
	}
	for _, g := range v.Gates {
		if g.Name == "coverage" && !strings.Contains(g.Detail, detail) {
			t.Errorf("coverage gate: %q, want %q in it", g.Detail, detail)
		}
	}
}

// TestPythonModuleValuesJudgedByUses: coverage.py runs a module-level
// assignment whenever a test imports the module, so verify judges a changed
// one by the lines that use the name, with real pytest: rejected when no
// selected test runs a use (directly, through another module-level value,
// a function's local of the same name being no use), accepted when one does
// or when another module may import the name, and no code when nothing
// uses it.
func TestPythonModuleValuesJudgedByUses(t *testing.T) {
	testenv.NeedPython(t, "pytest", "coverage")
	files := map[string]string{
		"m.py": `RETRIES = 3
LEVEL = 2
_PORT = 8080
_LIMIT = _PORT * 2
_DEAD = 7
_TIMEOUT = 5


def tries():
    _TIMEOUT = 1
    return RETRIES + _TIMEOUT


def serve():
    return _LIMIT + _TIMEOUT + LEVEL


_GRACE = 9


def wait(grace=_GRACE):
    return grace
`,
		"other.py":  "from m import LEVEL\n",
		"test_m.py": "from m import tries\n\n\ndef test_tries():\n    assert tries() > 0\n",
	}
	for _, c := range []struct {
		name, old, new string
		accepted       bool
		detail         string // in the coverage gate's detail
	}{
		{name: "used by tested code", old: "RETRIES = 3", new: "RETRIES = 4", accepted: true, detail: "1 changed line of code, all run"},
		{name: "used through a value no test reads", old: "_PORT = 8080", new: "_PORT = 8081", detail: "m.py:3 sets _PORT, and no selected test runs a line that uses it"},
		{name: "a local of the same name is no use", old: "_TIMEOUT = 5", new: "_TIMEOUT = 6", detail: "m.py:6 sets _TIMEOUT"},
		{name: "unused", old: "_DEAD = 7", new: "_DEAD = 8", accepted: true, detail: "no changed line of code to cover"},
		{name: "another module imports it", old: "LEVEL = 2", new: "LEVEL = 3", accepted: true, detail: "all run"},
		{name: "a parameter's default, run at import", old: "_GRACE = 9", new: "_GRACE = 10", accepted: true, detail: "1 changed line of code, all run"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("GAUNTLET_CACHE", t.TempDir())
			verifyLineEdit(t, dir, "m.py", c.old, c.new, c.accepted, c.detail)
		})
	}
}

// TestJSModuleValuesJudgedByUses: V8's coverage runs a module's top-level
// declarations whenever a test loads it, so verify judges a changed one by
// the lines that use the name, with real mocha: rejected when no selected
// test runs a use (a function's own declaration of the same name being no
// use), accepted when one does, and no code when nothing uses it.
func TestJSModuleValuesJudgedByUses(t *testing.T) {
	const calc = `// A small calculator: the code under test of the mocha example.
const LIMIT = 1000;
const BASE = 0;
const TRIES = 3;
let unused = 7;

function clamp(n) {
  if (n > LIMIT) {
    return LIMIT;
  }
  return n;
}

function add(a, b) {
  const TRIES = 0;
  return clamp(a + b + BASE + TRIES);
}

function retry() {
  return TRIES;
}

function sub(a, b) {
  return clamp(a - b);
}

function div(a, b) {
  if (b === 0) {
    throw new Error('division by zero');
  }
  return Math.trunc(a / b);
}

module.exports = { add, sub, div, clamp, retry };
`
	for _, c := range []struct {
		name, old, new string
		accepted       bool
		detail         string // in the coverage gate's detail
	}{
		{name: "used by tested code", old: "const BASE = 0;", new: "const BASE = 0 * 2;", accepted: true, detail: "1 changed line of code, all run"},
		{name: "a function's own declaration is no use", old: "const TRIES = 3;", new: "const TRIES = 4;", detail: "calc.js:4 sets TRIES, and no selected test runs a line that uses it"},
		{name: "unused", old: "let unused = 7;", new: "let unused = 8;", accepted: true, detail: "no changed line of code to cover"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := runnerExample(t, "mocha", "mocha")
			if err := os.WriteFile(filepath.Join(dir, "calc.js"), []byte(calc), 0o644); err != nil {
				t.Fatal(err)
			}
			verifyLineEdit(t, dir, "calc.js", c.old, c.new, c.accepted, c.detail)
		})
	}
}

// TestJSRunnersInTheSandbox: a model's jest, vitest or mocha test runs in
// verify's sandbox, as go test and pytest do: it can read neither the ssh
// key in HOME nor the secrets of gauntlet's environment, and what it writes
// outside the workspace is gone with the sandbox.
func TestJSRunnersInTheSandbox(t *testing.T) {
	if !hasBwrap(t) {
		t.Skip("bubblewrap cannot run here")
	}
	h := newHostileEnv(t)
	for _, c := range []struct{ fw, tool, file, head, decl string }{
		{"jest", "jest", "test/probe.test.js", "const fs = require('fs');", "test"},
		{"vitest", "vitest", "test/probe.test.js", "import fs from 'node:fs';\nimport { test } from 'vitest';", "test"},
		{"mocha", "mocha", "test/probe.js", "const fs = require('fs');", "it"},
	} {
		t.Run(c.fw, func(t *testing.T) {
			dir := runnerExample(t, c.fw, c.tool)
			// The sandbox hides the home directory that holds the pinned
			// tools: the module's own copy, as a project has.
			os.Remove(filepath.Join(dir, "node_modules"))
			if out, err := exec.Command("cp", "-a", filepath.Join(testenv.JSToolsDir(), "node_modules"), dir).CombinedOutput(); err != nil {
				t.Fatalf("copying node_modules: %v\n%s", err, out)
			}
			marker := filepath.Join(h.home, "written-by-"+c.fw)
			probe := fmt.Sprintf(`%s

%s('probe', () => {
  let key = 'none', env = '';
  try { key = fs.readFileSync(%q, 'utf8'); } catch (e) { key = e.code; }
  try { fs.writeFileSync(%q, 'x'); } catch (e) {}
  env = Buffer.from(JSON.stringify(process.env)).toString('hex');
  throw new Error('probe ran: key ' + key + ' env ' + env);
});
`, c.head, c.decl, h.key, marker)
			code, out, errb := runBin(t, dir, h.env, newFile(c.file, probe), "verify", "--patch", "-", "--format", "json")
			if !strings.Contains(out, "probe ran: key ENOENT") {
				t.Fatalf("the probe did not run, or read the key: exit %d\n%s\n%s", code, out, errb)
			}
			if leaks := h.leaks(out + errb); len(leaks) > 0 {
				t.Errorf("the test's output holds %v", leaks)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Errorf("the test wrote %s outside the sandbox", marker)
			}
		})
	}
}

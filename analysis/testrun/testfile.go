package testrun

import (
	"path"
	"strings"
)

// IsTestFile reports whether p, a slash path relative to the workspace
// root, holds test code rather than the code under test. It is the one
// answer to that question in gauntlet (test selection, the verify gates,
// the fix loop's evidence), and it follows the runners' default file
// patterns:
//
//   - Go: *_test.go (the go command's rule; a file in a test/ directory is
//     an ordinary package file).
//   - Python: pytest's python_files default, test_*.py and *_test.py;
//     conftest.py (pytest's fixtures and hooks); and any .py file under a
//     test/ or tests/ directory (helpers of the conventional tests layout).
//   - JavaScript and TypeScript: jest's and vitest's defaults (*.test.*,
//     *.spec.*, anything under __tests__/), node --test's (test.js,
//     test-*.js, *.test.js, *-test.js, *_test.js, test/**/*.js) and mocha's
//     (test/), and any script under a tests/ directory.
//
// Other files are not test files.
func IsTestFile(p string) bool {
	base := path.Base(p)
	dir := "/" + path.Dir(p) + "/"
	inDir := func(names ...string) bool {
		for _, n := range names {
			if strings.Contains(dir, "/"+n+"/") {
				return true
			}
		}
		return false
	}
	switch {
	case strings.HasSuffix(base, ".go"):
		return strings.HasSuffix(base, "_test.go")
	case strings.HasSuffix(base, ".py"):
		return isPyTestFile(p) || base == "conftest.py" || inDir("test", "tests")
	case isJSPath(p):
		return isJSTestName(p) || inDir("test", "tests", "__tests__")
	}
	return false
}

// isTestFileOf is IsTestFile for a file of a runner's language.
func isTestFileOf(lang, file string) bool {
	switch lang {
	case "go":
		return strings.HasSuffix(file, ".go") && IsTestFile(file)
	case "python":
		return strings.HasSuffix(file, ".py") && IsTestFile(file)
	case "node":
		return isJSPath(file) && IsTestFile(file)
	}
	return false
}

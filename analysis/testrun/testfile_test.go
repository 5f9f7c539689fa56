package testrun

import "testing"

func TestIsTestFile(t *testing.T) {
	for _, lang := range []struct {
		name  string
		cases map[string]bool
	}{
		{"go", map[string]bool{
			"calc_test.go":           true,
			"pkg/calc/calc_test.go":  true,
			"calc.go":                false,
			"test/helpers.go":        false, // an ordinary package file
			"testdata/x_test.go.txt": false,
			"test_calc.go":           false,
			"contest.go":             false,
		}},
		{"python", map[string]bool{
			"test_calc.py":       true,
			"tests/test_calc.py": true,
			"calc_test.py":       true,
			"conftest.py":        true,
			"tests/conftest.py":  true,
			"tests/helpers.py":   true,
			"test/helpers.py":    true,
			"calc.py":            false,
			"src/calc.py":        false,
			"testing.py":         false,
			"latest_calc.py":     false,
			"test_calc.pyc":      false,
			"contest.py":         false,
		}},
		{"javascript and typescript", map[string]bool{
			"add.test.js":             true,
			"src/add.spec.ts":         true,
			"add.test.tsx":            true,
			"add.spec.mjs":            true,
			"src/__tests__/add.js":    true,
			"src/__tests__/util.ts":   true,
			"test.js":                 true,
			"test-add.js":             true,
			"add-test.js":             true,
			"add_test.cjs":            true,
			"test/add.js":             true,
			"test/helpers/setup.mjs":  true,
			"tests/setup.ts":          true,
			"add.js":                  false,
			"src/latest.ts":           false,
			"src/contest.js":          false,
			"src/attest.jsx":          false,
			"add.test.json":           false,
			"add.spec.md":             false,
			"node_modules/x/index.js": false,
		}},
		{"other", map[string]bool{
			"README.md":          false,
			"test/data.json":     false,
			"tests/fixture.yaml": false,
			"Makefile":           false,
		}},
	} {
		t.Run(lang.name, func(t *testing.T) {
			for p, want := range lang.cases {
				if got := IsTestFile(p); got != want {
					t.Errorf("IsTestFile(%q) = %v, want %v", p, got, want)
				}
			}
		})
	}
}

package config

import (
	"errors"
	"testing"
)

// Any file content loads or fails with errors that name a file; nothing panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"rules:\n  - id: r\n    language: go\n    message: m\n    query: (x) @x\n",
		"loop:\n  gates: [apply]\n  fail_on: error\n  coverage_drop: 1.5\n",
		"plugins:\n  - {name: p, path: x, env: {A: b}, timeout: 3s}\n",
		"severity: {a: error}\ndisable: [builtin]\nenable: [x]\nignore: ['**/gen']\n",
		"tests: {go: {flags: -race}}\nmodel: {temperature: 0.5}\n",
		"a: &x [1]\nb: *x\n",
		"- 1\n- 2\n",
		"id: r\nlanguage: Go\nrule:\n  pattern: f($A)\n  inside: {kind: block, stopBy: end}\n  not: {has: {field: x, regex: a}}\nfix: g($A)\n---\nid: s\nlanguage: js\nrule: {any: [{kind: x}, {matches: u}]}\nutils: {u: {kind: y}}\nconstraints: {A: {regex: z}}\n",
		"id: r\nvalid: [a]\ninvalid: [b]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		_, err := parse(dir+"/"+FileName, data)
		if err == nil {
			return
		}
		var es Errors
		if !errors.As(err, &es) {
			return // I/O errors of rule files cannot happen here: no file matches
		}
		for _, e := range es {
			if e.File == "" {
				t.Fatalf("error without a file: %v", e)
			}
		}
		if _, err := ParseRules("r.yaml", data); err != nil && !errors.As(err, &es) {
			t.Fatalf("ParseRules: %T %v", err, err)
		}
		ParseTests("t.yaml", data)
	})
}

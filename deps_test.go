package gauntlet_test

// The dependency policy of STYLE.md, item 1, stated as a test (like go/build's
// deps_test.go): analysis imports nothing of ours; plugins imports analysis;
// server imports analysis; lsp imports server and analysis; only cmd wires
// everything, and only cmd plugs plugins into the engine. internal/testenv
// is for tests only: every tree's tests may import it, no non-test code.

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/gauntlet-dev/gauntlet"

// allowed maps a top-level package tree to the top-level trees it may import.
var allowed = map[string][]string{
	"analysis": {"analysis"},
	"plugins":  {"plugins", "analysis"},
	"server":   {"server", "analysis"},
	"lsp":      {"lsp", "server", "analysis"},
	"cmd":      {"cmd", "lsp", "server", "analysis", "plugins"},
	"bench":    {"bench", "lsp", "server", "analysis", "plugins"},
	"internal": {},
}

// testOnly are packages every tree's tests may import and no non-test code.
var testOnly = []string{module + "/internal/testenv"}

func top(importPath string) string {
	rest := strings.TrimPrefix(strings.TrimPrefix(importPath, module), "/")
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[:i]
	}
	return rest
}

func TestDependencyPolicy(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps=false", "-test", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for dec.More() {
		var p struct {
			ImportPath   string
			Imports      []string
			TestImports  []string
			XTestImports []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.ImportPath, module+"/") || strings.Contains(p.ImportPath, " [") || strings.HasSuffix(p.ImportPath, ".test") {
			continue
		}
		from := top(p.ImportPath)
		ok, known := allowed[from]
		if !known {
			if from != "examples" && from != "editors" && from != "docs" {
				t.Errorf("%s: top-level tree %q has no dependency policy; add it to deps_test.go", p.ImportPath, from)
			}
			continue
		}
		checked++
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if contains(testOnly, imp) {
				t.Errorf("%s imports %s: only tests may import it", p.ImportPath, imp)
			} else if to := top(imp); !contains(ok, to) {
				t.Errorf("%s imports %s: %s may import only %v", p.ImportPath, imp, from, ok)
			}
		}
		for _, imp := range append(append([]string{}, p.TestImports...), p.XTestImports...) {
			if !strings.HasPrefix(imp, module+"/") || contains(testOnly, imp) {
				continue
			}
			if to := top(imp); !contains(ok, to) {
				t.Errorf("%s imports %s: %s may import only %v", p.ImportPath, imp, from, ok)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no packages checked")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

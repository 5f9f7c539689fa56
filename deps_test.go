package gauntlet_test

// The dependency policy of STYLE.md, item 1, stated as a test (like go/build's
// deps_test.go): analysis imports nothing of ours; plugins imports analysis;
// server imports analysis; lsp imports server and analysis; only cmd wires
// everything, and only cmd plugs plugins into the engine (server/workspace,
// which assembles the engine for every front end, gets them through the
// loader cmd gives it). cmd is flags, wiring and output: no type of a main
// package implements an interface another package defines.
// internal/testenv and internal/prototest are for tests only: every tree's
// tests may import them, no non-test code.

import (
	"encoding/json"
	"go/types"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
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

// testOnly are packages every tree's tests may import and no non-test code
// but each other's (analysistest is a test library, as go/analysis's is).
var testOnly = []string{module + "/internal/testenv", module + "/internal/prototest", module + "/analysis/analysistest"}

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
				if !contains(testOnly, p.ImportPath) {
					t.Errorf("%s imports %s: only tests may import it", p.ImportPath, imp)
				}
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

// TestMainImplementsNoInterface: the engine's pieces (writers, backends,
// test runners for the LSP...) live in packages that can be tested and
// reused, not in cmd: a type of a main package that implements another
// package's interface is one of them left behind.
func TestMainImplementsNoInterface(t *testing.T) {
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedTypes | packages.NeedImports | packages.NeedDeps}
	pkgs, err := packages.Load(cfg, "./cmd/...")
	if err != nil {
		t.Fatal(err)
	}
	if packages.PrintErrors(pkgs) > 0 {
		t.Fatal("packages did not load")
	}
	type iface struct {
		name string
		typ  *types.Interface
	}
	var ifaces []iface
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if p.Types == nil || p.Name == "main" {
			return
		}
		scope := p.Types.Scope()
		for _, name := range scope.Names() {
			tn, ok := scope.Lookup(name).(*types.TypeName)
			if !ok || !tn.Exported() {
				continue
			}
			if it, ok := tn.Type().Underlying().(*types.Interface); ok && it.NumMethods() > 0 {
				ifaces = append(ifaces, iface{p.PkgPath + "." + name, it})
			}
		}
	})
	checked := 0
	for _, p := range pkgs {
		if p.Name != "main" || p.Types == nil {
			continue
		}
		scope := p.Types.Scope()
		for _, name := range scope.Names() {
			tn, ok := scope.Lookup(name).(*types.TypeName)
			if !ok || tn.IsAlias() {
				continue
			}
			if _, ok := tn.Type().Underlying().(*types.Interface); ok {
				continue
			}
			checked++
			for _, it := range ifaces {
				if types.Implements(tn.Type(), it.typ) || types.Implements(types.NewPointer(tn.Type()), it.typ) {
					t.Errorf("%s.%s implements %s: move it out of package main", p.PkgPath, name, it.name)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no type of a main package checked")
	}
}

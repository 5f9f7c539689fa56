// Package builtin holds gauntlet's built-in rule packs: YAML rules embedded
// in the binary, for Go, Python, JavaScript, TypeScript and TSX, each with
// a doc line, a documentation URL and test cases (the *_test.yaml files,
// run by `gauntlet rules test` and by this package's go test).
//
// The packs' rules are on by default; those in opt-in.yaml run only when
// .gauntlet.yaml lists them under `enable`. Package rules compiles them with
// a configuration's own rules (rules.ForConfig).
package builtin

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/gauntlet-dev/gauntlet/analysis/config"
)

//go:embed *.yaml
var files embed.FS

// Dir is the name errors and rule positions give the embedded files'
// directory: "builtin/go.yaml:12".
const Dir = "builtin"

// optIn is the file of rules that are off by default.
const optIn = "opt-in.yaml"

var load = sync.OnceValues(func() (packs, error) {
	var p packs
	names, err := fs.Glob(files, "*.yaml")
	if err != nil {
		return p, err
	}
	sort.Strings(names)
	for _, name := range names {
		data, err := files.ReadFile(name)
		if err != nil {
			return p, err
		}
		file := path.Join(Dir, name)
		if strings.HasSuffix(name, "_test.yaml") {
			ts, err := config.ParseTests(file, data)
			if err != nil {
				return p, err
			}
			p.tests = append(p.tests, ts...)
			continue
		}
		rs, err := config.ParseRules(file, data)
		if err != nil {
			return p, err
		}
		if name == optIn {
			p.optIn = append(p.optIn, rs...)
		} else {
			p.on = append(p.on, rs...)
		}
	}
	return p, nil
})

type packs struct {
	on, optIn []config.Rule
	tests     []config.RuleTest
}

func get() packs {
	p, err := load()
	if err != nil {
		// The files are part of the binary and tested: this cannot fail in a
		// correct build.
		panic(fmt.Sprintf("builtin rules: %v", err))
	}
	return p
}

// Rules returns every built-in rule: those on by default, then the opt-in ones.
func Rules() []config.Rule {
	p := get()
	return append(append([]config.Rule(nil), p.on...), p.optIn...)
}

// OptIn reports whether the built-in rule id is off unless enabled.
func OptIn(id string) bool {
	for _, r := range get().optIn {
		if r.ID == id {
			return true
		}
	}
	return false
}

// Select returns the built-in rules cfg turns on: those on by default that
// it does not disable, and the opt-in ones it enables.
func Select(cfg *config.Config) []config.Rule {
	p := get()
	var out []config.Rule
	for _, r := range p.on {
		if !cfg.Disabled(r.ID, true) {
			out = append(out, r)
		}
	}
	for _, r := range p.optIn {
		if cfg.Enabled(r.ID) {
			out = append(out, r)
		}
	}
	return out
}

// Tests returns the built-in rules' test cases.
func Tests() []config.RuleTest { return get().tests }

package testrun

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
)

// ContentKey is a key of what a run of tests on snap depends on, by
// content, as the per-test map is keyed: for each Go package holding one of
// the tests, its files, those of the module's packages it imports (tests
// included), go.mod and go.sum, the go version, the flags and GOOS/GOARCH;
// and the tests' ids. Two runs with the same key ran the same code. ok is
// false when a test is not a Go test (no such key is computed for them).
func ContentKey(snap *analysis.Snapshot, tests []Test, settings Settings) (key string, ok bool, err error) {
	gv, err := goVersion()
	if err != nil {
		return "", false, err
	}
	mods := map[string]*goModule{}
	pkgKeys := map[string]string{}
	var ids []string
	for _, t := range tests {
		if t.Language != "go" {
			return "", false, nil
		}
		ids = append(ids, t.ID)
		if _, done := pkgKeys[t.Package]; done {
			continue
		}
		rels, err := findGoModules(snap, []string{t.File})
		if err != nil {
			return "", false, err
		}
		if len(rels) == 0 {
			return "", false, fmt.Errorf("%s: no Go module holds it", t.File)
		}
		rel := rels[0] // the module that contains the file
		m := mods[rel]
		if m == nil {
			if m, err = loadModule(snap, rel, settings.Go.Flags); err != nil {
				return "", false, err
			}
			mods[rel] = m
		}
		pkg := m.byPath[t.Package]
		if pkg == nil {
			return "", false, fmt.Errorf("%s: package %s not found", t.File, t.Package)
		}
		k, err := m.key(snap, pkg, gv, settings.Go.Flags)
		if err != nil {
			return "", false, err
		}
		pkgKeys[t.Package] = k
	}
	sort.Strings(ids)
	parts := []string{"results-v1", strings.Join(ids, "\n")}
	var pkgs []string
	for p := range pkgKeys {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		parts = append(parts, p, pkgKeys[p])
	}
	return coverage.Key(parts...), true, nil
}

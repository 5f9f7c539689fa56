package testrun

import (
	"fmt"
	"path"
	"slices"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// GoImporters returns the import path of the Go package holding file (a
// workspace-relative path of the snapshot) and the workspace-relative paths
// of the files, code and tests, of the packages of its module that import
// it directly; the package's own external test files (package x_test) are
// among them.
func GoImporters(snap *analysis.Snapshot, file string) (importPath string, files []string, err error) {
	mods, err := findGoModules(snap, []string{snap.Abs(file)})
	if err != nil {
		return "", nil, err
	}
	if len(mods) == 0 {
		return "", nil, fmt.Errorf("%s: in no Go module", file)
	}
	m, err := loadModule(snap, mods[0], nil) // for a file, the one module holding it
	if err != nil {
		return "", nil, err
	}
	p := m.packageOf(file)
	if p == nil || p.Rel != path.Dir(file) {
		return "", nil, fmt.Errorf("%s: in no package of module %s", file, m.Path)
	}
	for _, q := range m.Packages {
		if q == p {
			for _, f := range q.TestFiles {
				files = append(files, path.Join(q.Rel, f))
			}
			continue
		}
		if slices.Contains(q.Imports, p.ImportPath) {
			for _, f := range q.GoFiles {
				files = append(files, path.Join(q.Rel, f))
			}
		}
		if slices.Contains(q.Imports, p.ImportPath) || slices.Contains(q.TestDeps, p.ImportPath) {
			for _, f := range q.TestFiles {
				files = append(files, path.Join(q.Rel, f))
			}
		}
	}
	return p.ImportPath, files, nil
}

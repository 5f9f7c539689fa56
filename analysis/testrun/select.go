package testrun

import (
	"context"
	"fmt"
	"os"
	"path"
	"sort"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	"github.com/gauntlet-dev/gauntlet/analysis/patch"
)

// Selection is the tests an edit affects, and why.
type Selection struct {
	Tests []Test // to run, sorted by id
	// Reasons says, for each selected test id, the first reason it was
	// selected: "covers calc/calc.go:12", "imports calc (calc/calc.go changed
	// outside any covered block)", "test file changed".
	Reasons map[string]string
	// Uncovered lists changed lines that no test covers: a coverage
	// finding, not a pass.
	Uncovered []Lines
}

// Lines is a range of lines [Start, End] (1-based, inclusive) of a file.
type Lines struct {
	Path  string `json:"path"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

func (l Lines) String() string {
	if l.Start == l.End {
		return fmt.Sprintf("%s:%d", l.Path, l.Start)
	}
	return fmt.Sprintf("%s:%d-%d", l.Path, l.Start, l.End)
}

// Select chooses the tests affected by files, a patch that turns base (the
// workspace before the edit, whose per-test map is read from the cache or
// built) into the suite's snapshot:
//
//   - a change to lines that covered blocks span selects the tests that ran
//     those blocks (the map of base);
//   - a change outside any block (new code, package-level declarations,
//     imports, init, added or deleted files, data files) selects the tests
//     of the affected package and of the packages that import it;
//   - a change inside a test function runs that test; elsewhere in a test
//     file, the tests of its package (Go) or file (pytest, node);
//   - lines inside blocks that no test runs are reported as Uncovered.
func (s *Suite) Select(ctx context.Context, base *analysis.Snapshot, files []*patch.File) (*Selection, error) {
	sel := &Selection{Reasons: map[string]string{}}
	chosen := map[string]Test{}
	pick := func(t Test, why string) {
		if t.Kind == KindBenchmark {
			return // benchmarks measure; they are run only when asked for
		}
		if _, ok := chosen[t.ID]; !ok {
			chosen[t.ID] = t
			sel.Reasons[t.ID] = why
		}
	}
	var paths []string
	for _, f := range files {
		for _, p := range []string{f.OldPath, f.NewPath} {
			if p != "" {
				paths = append(paths, p)
			}
		}
	}
	if len(paths) == 0 {
		return sel, nil
	}
	projects, err := s.projectsOf(paths)
	if err != nil {
		return nil, err
	}
	env := s.env(nil)
	headTests := map[*Project][]Test{}
	byID := map[string]Test{}
	for _, p := range projects {
		ts, err := p.Runner.Discover(ctx, env, p)
		if err != nil {
			return nil, err
		}
		headTests[p] = ts
		for _, t := range ts {
			byID[t.ID] = t
		}
	}
	// The map of the workspace before the edit, for the projects it touches.
	var dirs []string
	for _, p := range projects {
		dirs = append(dirs, p.Dir)
	}
	m, cold := coverage.NewMap(), map[string]bool{}
	if len(dirs) > 0 {
		if m, cold, err = s.mapOf(ctx, base, dirs...); err != nil {
			return nil, fmt.Errorf("coverage map before the edit: %w", err)
		}
	}
	affected := func(p *Project, file, why string) error {
		ts, err := p.Runner.Affected(ctx, env, p, file)
		if err != nil {
			return err
		}
		for _, t := range ts {
			pick(t, why)
		}
		return nil
	}
	for _, f := range files {
		file := f.Path()
		p := ownerOf(projects, file)
		if p == nil {
			continue // no runner's business (docs, files outside any project)
		}
		ext := path.Ext(file)
		if ext == ".md" || ext == ".rst" {
			continue
		}
		lang := p.Runner.Name()
		switch {
		case isTestFileOf(lang, file):
			if f.Status != patch.Modified || f.NewPath == "" {
				if err := affected(p, file, "test file "+f.Status.String()); err != nil {
					return nil, err
				}
				for _, t := range headTests[p] {
					if t.File == file {
						pick(t, "test file "+f.Status.String())
					}
				}
				continue
			}
			inside, err := s.testsAround(ctx, headTests[p], file, f.NewRanges())
			if err != nil {
				return nil, err
			}
			if inside == nil {
				if err := affected(p, file, file+" changed outside a test function"); err != nil {
					return nil, err
				}
				continue
			}
			for _, t := range inside {
				pick(t, "test changed")
			}
		case cold[projectKey(p)] && isSourceOf(lang, file):
			// No per-test map (WithoutMapBuild): the tests of the package
			// and of those that import it.
			if err := affected(p, file, file+" changed (no per-test map of "+p.Dir+" yet: the tests of its package and of the packages that import it)"); err != nil {
				return nil, err
			}
			if q := ownerOf(projects, f.OldPath); f.Status == patch.Renamed && q != nil {
				if err := affected(q, f.OldPath, f.OldPath+" renamed"); err != nil {
					return nil, err
				}
			}
		case isSourceOf(lang, file) && f.Status != patch.Added && f.Status != patch.Deleted && !f.Binary:
			outside := false
			var before []byte
			if bf, err := base.File(f.OldPath); err == nil {
				before = bf.Content
			}
			for _, r := range f.OldRanges() {
				touch := m.Touch(f.OldPath, r.Start, r.End, before)
				ids, out, uncovered := touch.Tests, touch.Outside, touch.Uncovered
				lines := Lines{Path: f.OldPath, Start: r.Start, End: max(r.End-1, r.Start)}
				for _, id := range ids {
					if t, ok := byID[id]; ok {
						pick(t, "covers "+lines.String())
					}
				}
				if out {
					outside = true
				} else if len(ids) == 0 && uncovered {
					sel.Uncovered = append(sel.Uncovered, lines)
				}
			}
			if outside || f.Status == patch.Renamed {
				if err := affected(p, file, file+" changed outside any covered block"); err != nil {
					return nil, err
				}
				if f.Status == patch.Renamed {
					if q := ownerOf(projects, f.OldPath); q != nil {
						if err := affected(q, f.OldPath, f.OldPath+" renamed"); err != nil {
							return nil, err
						}
					}
				}
			}
		default:
			// Added, deleted or binary files, and data files: the package around them.
			if err := affected(p, file, file+" "+f.Status.String()); err != nil {
				return nil, err
			}
		}
	}
	for _, t := range chosen {
		sel.Tests = append(sel.Tests, t)
	}
	sortTests(sel.Tests)
	return sel, nil
}

// projectsOf lists the projects that contain the workspace paths.
func (s *Suite) projectsOf(paths []string) ([]*Project, error) {
	var dirs []string
	seen := map[string]bool{}
	for _, p := range paths {
		d := path.Dir(p)
		if !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	var out []*Project
	env := s.env(nil)
	for _, r := range s.runners {
		var existing []string
		for _, d := range dirs {
			// A directory the edit creates is looked up through its nearest existing parent.
			for ; d != "." && !exists(s.snap, d); d = path.Dir(d) {
			}
			existing = append(existing, d)
		}
		ps, err := r.Projects(env, existing)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			for _, x := range paths {
				if within(p.Dir, x) {
					out = append(out, p)
					break
				}
			}
		}
	}
	return out, nil
}

func exists(snap *analysis.Snapshot, dir string) bool {
	info, err := os.Stat(snap.Abs(dir))
	return err == nil && info.IsDir()
}

// ownerOf is the innermost project responsible for a changed file: Go owns
// everything in its modules; pytest its .py and configuration files; node
// its JavaScript, TypeScript and package.json.
func ownerOf(projects []*Project, file string) *Project {
	var best *Project
	for _, p := range projects {
		if !within(p.Dir, file) || !owns(p.Runner.Name(), file) {
			continue
		}
		if best == nil || len(p.Dir) > len(best.Dir) || (len(p.Dir) == len(best.Dir) && isSourceOf(p.Runner.Name(), file)) {
			best = p
		}
	}
	return best
}

func owns(lang, file string) bool {
	base := path.Base(file)
	switch lang {
	case "go":
		return true
	case "python":
		return path.Ext(file) == ".py" || base == "pytest.ini" || base == "pyproject.toml" || base == "tox.ini" || base == "setup.cfg"
	case "node":
		return isSourceOf("node", file) || base == "package.json"
	}
	return false
}

func isSourceOf(lang, file string) bool {
	l := analysis.LanguageForPath(file)
	if l == nil {
		return false
	}
	switch lang {
	case "go":
		return l.Name == "go"
	case "python":
		return l.Name == "python"
	case "node":
		return l.Name == "javascript" || l.Name == "typescript" || l.Name == "tsx"
	}
	return false
}

// testsAround returns the tests whose declarations contain every changed
// range of file, or nil when some change lies outside all of them.
func (s *Suite) testsAround(ctx context.Context, tests []Test, file string, ranges []patch.Range) ([]Test, error) {
	f, err := s.snap.File(file)
	if err != nil {
		return nil, err
	}
	mp := f.Mapper()
	var out []Test
	seen := map[string]bool{}
	for _, r := range ranges {
		found := false
		for _, t := range tests {
			if t.File != file {
				continue
			}
			first := mp.Line(t.Start) + 1
			last := mp.Line(t.End) + 1
			end := r.End - 1
			if r.Empty() {
				end = r.Start
			}
			if first <= r.Start && end <= last {
				found = true
				if !seen[t.ID] {
					seen[t.ID] = true
					out = append(out, t)
				}
			}
		}
		if !found {
			return nil, nil
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

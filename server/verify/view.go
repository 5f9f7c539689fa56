package verify

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// The edited view without a copy (issue 13, "No full copy"). Under
// bubblewrap the sandbox already sees the workspace read-only at its own
// path; the view binds over it, inside the sandbox only, a scratch copy of
// just the directories that must differ or be written: those that hold the
// edit's files (edited, new or deleted: a new file needs a directory to be
// created in, which a read-only bind cannot give) and those the selected
// tests run in (go test runs a package's tests in its directory, and tests
// may write there). Each such directory is copied shallowly (its files; its
// subdirectories are bound back read-only from the workspace), so the cost
// follows the edit and the selection, not the size of the workspace. The
// workspace itself is never written: every writable bind's source is in the
// run's scratch directory, which nothing outside a sandbox executes.
// A test's writes into a subdirectory of its package (testdata) fail, as
// anywhere else in the workspace: only the directories named above are
// writable.
//
// It serves edits of Go files only (the go command reads nothing else of
// the edit that a test could not see otherwise, and writes nothing into the
// tree; pytest and node write caches beside the code): other edits, a
// workspace behind a symbolic link, and runs without bubblewrap use the
// full copy (shadow.go). GAUNTLET_SHADOW=copy forces the copy.

// viewable reports whether the edited view of snap can be made by binds.
func viewable(snap *analysis.Snapshot) bool {
	if os.Getenv("GAUNTLET_SHADOW") == "copy" {
		return false
	}
	root := filepath.Clean(snap.Root())
	if real, err := filepath.EvalSymlinks(root); err != nil || real != root {
		return false
	}
	paths := append(append([]string{}, snap.Overlays()...), snap.Deleted()...)
	if len(paths) == 0 {
		return false
	}
	for _, p := range paths {
		if !strings.HasSuffix(p, ".go") {
			return false
		}
		if _, err := viewDir(root, path.Dir(p)); err != nil {
			return false
		}
	}
	return true
}

// viewDir is the deepest existing directory of the workspace at or above
// rel, which must be a real directory reached through no symbolic link (a
// bind follows links; this one must land where the path says).
func viewDir(root, rel string) (string, error) {
	for d := rel; ; d = path.Dir(d) {
		abs := filepath.Join(root, filepath.FromSlash(d))
		info, err := os.Lstat(abs)
		if err == nil {
			if !info.IsDir() {
				return "", fmt.Errorf("%s is not a directory", d)
			}
			if real, err := filepath.EvalSymlinks(abs); err != nil || real != abs {
				return "", fmt.Errorf("%s goes through a symbolic link", d)
			}
			return d, nil
		}
		if !os.IsNotExist(err) || d == "." || d == "/" {
			return "", err
		}
	}
}

// materializeView makes the edited view of snap in scratch space under tmp.
func materializeView(snap *analysis.Snapshot, tmp string) (*shadow, error) {
	slot := filepath.Join(tmp, "view")
	if err := os.Mkdir(slot, 0o700); err != nil {
		return nil, err
	}
	s := &shadow{dir: filepath.Clean(snap.Root()), slot: slot, bound: true, writableDirs: map[string]bool{}}
	if err := s.fillView(snap); err != nil {
		os.RemoveAll(slot)
		return nil, err
	}
	return s, nil
}

// addWritable makes the workspace directories dirs (paths relative to it)
// writable in the view, for tests that write beside their code. A copy
// already is.
func (s *shadow) addWritable(dirs []string) error {
	if !s.bound {
		return nil
	}
	n := len(s.writableDirs)
	for _, d := range dirs {
		if d, err := viewDir(s.dir, d); err == nil {
			s.writableDirs[d] = true
		}
	}
	if len(s.writableDirs) == n {
		return nil
	}
	return s.fillView(s.snap)
}

// fillView (re)makes the scratch directories of the view of snap.
func (s *shadow) fillView(snap *analysis.Snapshot) error {
	s.snap = snap
	entries, _ := os.ReadDir(s.slot)
	for _, e := range entries {
		if err := removeTree(filepath.Join(s.slot, e.Name())); err != nil {
			return err
		}
	}
	deleted := map[string]bool{}
	copied := map[string]bool{}
	for d := range s.writableDirs {
		copied[d] = true
	}
	for _, p := range snap.Deleted() {
		deleted[p] = true
	}
	for _, p := range append(append([]string{}, snap.Overlays()...), snap.Deleted()...) {
		d, err := viewDir(s.dir, path.Dir(p))
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		copied[d] = true
	}
	s.binds = s.binds[:0]
	for d := range copied {
		src := filepath.Join(s.slot, filepath.FromSlash(d))
		if err := os.MkdirAll(src, 0o755); err != nil {
			return err
		}
		at := filepath.Join(s.dir, filepath.FromSlash(d))
		s.binds = append(s.binds, viewBind{src: src, at: at, rw: true})
		list, err := os.ReadDir(at)
		if err != nil {
			return err
		}
		for _, e := range list {
			rel := path.Join(d, e.Name())
			from, to := filepath.Join(at, e.Name()), filepath.Join(src, e.Name())
			switch {
			case e.IsDir():
				if shadowSkip[e.Name()] {
					continue // hidden, as the copy leaves them out
				}
				if err := os.Mkdir(to, 0o755); err != nil && !os.IsExist(err) {
					return err
				}
				if !copied[rel] {
					s.binds = append(s.binds, viewBind{src: from, at: from})
				}
			case e.Type()&fs.ModeSymlink != 0:
				target, err := os.Readlink(from)
				if err != nil {
					return err
				}
				// The same link at the same path: it leads where it leads
				// in the workspace, read-only there.
				if err := os.Symlink(target, to); err != nil {
					return err
				}
			case !e.Type().IsRegular() || deleted[rel]:
			default:
				if err := copyFile(from, to); err != nil {
					return err
				}
			}
		}
	}
	// Parents before children: a directory bound back read-only, or copied,
	// inside a copied one comes after it.
	sort.SliceStable(s.binds, func(i, j int) bool { return depth(s.binds[i].at) < depth(s.binds[j].at) })
	if !copied["."] {
		if info, err := os.Lstat(filepath.Join(s.dir, ".git")); err == nil && info.IsDir() {
			s.binds = append([]viewBind{{at: filepath.Join(s.dir, ".git"), tmpfs: true}}, s.binds...)
		}
	}
	// The edit's files, into the scratch directory.
	return writeOverlays(s.slot, s.dir, snap)
}

// viewBind is one mount of the view, in order.
type viewBind struct {
	src, at string
	rw      bool
	tmpfs   bool
}

// bwrapArgs are the view's mounts, after the workspace's read-only bind.
func (s *shadow) bwrapArgs() []string {
	var out []string
	for _, b := range s.binds {
		switch {
		case b.tmpfs:
			out = append(out, "--tmpfs", b.at)
		case b.rw:
			out = append(out, "--bind", b.src, b.at)
		default:
			out = append(out, "--ro-bind", b.src, b.at)
		}
	}
	return out
}

// writableMounts are the paths inside the sandbox that the view makes
// writable.
func (s *shadow) writableMounts() []string {
	var out []string
	for _, b := range s.binds {
		if b.rw {
			out = append(out, b.at)
		}
	}
	return out
}

// snapshot is the edited workspace as the host reads it: the copy, or
// for a view the snapshot it shows (the workspace's files and the edit).
func (s *shadow) snapshot() *analysis.Snapshot {
	if s.bound {
		return s.snap
	}
	return analysis.NewSnapshot(s.dir)
}

// runDir is the snapshot a test runner is given: its directory is where
// the tests run (the copy, or the workspace's own path that the view
// shows). The view's runner reads the workspace's structure (go.mod, the
// packages), which a view never changes, and passes no -overlay: the
// sandbox shows the edit.
func (s *shadow) runSnapshot() *analysis.Snapshot { return analysis.NewSnapshot(s.dir) }

// writableDir is the directory the sandbox must make writable: the copy,
// or none for a view (its binds carry what is writable).
func (s *shadow) writableDir() string {
	if s.bound {
		return ""
	}
	return s.dir
}

// removeTree removes p, with the read-only directories tests may leave.
func removeTree(p string) error {
	filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(q, 0o700)
		}
		return nil
	})
	return os.RemoveAll(p)
}

// testDirs are the directories the tests run in (their files').
func testDirs(tests []testrun.Test) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range tests {
		if t.File == "" {
			continue
		}
		if d := path.Dir(t.File); !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

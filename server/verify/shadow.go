package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
)

// shadow is a materialised copy of the workspace after the edit, where
// builds and tests run: they may write in it as they please, and the
// user's files stay as they are.
//
// Its path is stable for a workspace (one of a few slots, each held by one
// verification at a time with a lock): the go command keys its build cache
// by package directory, so a stable path lets a verification reuse what the
// previous one compiled. The copy is made afresh each time and removed
// afterwards.
type shadow struct {
	dir  string // the copy of the workspace root: slot/<the root's name>
	slot string // the directory that holds it, removed afterwards
	lock *os.File

	// bound: an edited view made by bubblewrap binds over the workspace's
	// own path (view.go); dir is then the workspace, slot the scratch
	// directory of the copied directories.
	bound        bool
	snap         *analysis.Snapshot
	writableDirs map[string]bool
	binds        []viewBind
}

// maxSlots is how many verifications of one workspace may run at once
// with a stable shadow path; more get a temporary one.
const maxSlots = 4

// shadowSkip are directories never copied: version control, and caches
// that the copy's tools rebuild.
var shadowSkip = map[string]bool{".git": true, ".hg": true, ".svn": true, ".jj": true, "__pycache__": true, ".pytest_cache": true, ".mypy_cache": true}

// shadowLink are dependency directories linked rather than copied: large,
// not part of the edit, and read-only inside the sandbox.
var shadowLink = map[string]bool{"node_modules": true, ".venv": true, "venv": true}

// materialize copies the workspace of snap, with its overlays written and
// its deletions left out, into a fresh shadow directory.
func materialize(snap *analysis.Snapshot, tmp string) (*shadow, error) {
	s, err := claimShadow(snap.Root(), tmp)
	if err != nil {
		return nil, err
	}
	if err := s.fill(snap); err != nil {
		s.remove()
		return nil, err
	}
	return s, nil
}

// claimShadow locks a free slot for root and returns its (empty) directory.
func claimShadow(root, tmp string) (*shadow, error) {
	{
		sum := sha256.Sum256([]byte(root))
		base := filepath.Join(coverage.DefaultCacheDir(), "shadow")
		if err := os.MkdirAll(base, 0o700); err == nil {
			for i := 0; i < maxSlots; i++ {
				dir := filepath.Join(base, fmt.Sprintf("%s-%d", hex.EncodeToString(sum[:6]), i))
				lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o600)
				if err != nil {
					break
				}
				if syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
					lock.Close()
					continue
				}
				// Whatever an earlier, interrupted verification left goes.
				if err := os.RemoveAll(dir); err != nil {
					lock.Close()
					continue
				}
				if err := os.Mkdir(dir, 0o700); err != nil {
					lock.Close()
					continue
				}
				return newShadow(root, dir, lock)
			}
		}
	}
	dir := filepath.Join(tmp, "shadow")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	return newShadow(root, dir, nil)
}

// newShadow makes the copy's directory inside slot, named as the workspace
// root is: tests that print or check their directory's name see the same.
func newShadow(root, slot string, lock *os.File) (*shadow, error) {
	name := filepath.Base(root)
	if name == "/" || name == "." || name == "" {
		name = "workspace"
	}
	s := &shadow{dir: filepath.Join(slot, name), slot: slot, lock: lock}
	if err := os.Mkdir(s.dir, 0o755); err != nil {
		if lock != nil {
			lock.Close()
		}
		return nil, err
	}
	return s, nil
}

// remove deletes the copy and frees its slot.
func (s *shadow) remove() {
	if s.bound {
		removeTree(s.slot)
		return
	}
	s.clear()
	os.RemoveAll(s.slot)
	if s.lock != nil {
		s.lock.Close()
	}
}

// clear deletes the copy's directory.
func (s *shadow) clear() error {
	// Tests may leave read-only directories behind; make them removable.
	filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(s.dir)
}

// refill replaces the copy's content with another snapshot of the same
// workspace, at the same path.
func (s *shadow) refill(snap *analysis.Snapshot) error {
	if s.bound {
		return s.fillView(snap)
	}
	if err := s.clear(); err != nil {
		return err
	}
	if err := os.Mkdir(s.dir, 0o700); err != nil {
		return err
	}
	return s.fill(snap)
}

func (s *shadow) fill(snap *analysis.Snapshot) error {
	root := snap.Root()
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	deleted := map[string]bool{}
	for _, d := range snap.Deleted() {
		deleted[d] = true
	}
	err := filepath.WalkDir(root, func(src string, d fs.DirEntry, err error) error {
		if err != nil {
			if src != root && os.IsPermission(err) {
				return filepath.SkipDir
			}
			return err
		}
		rel, err := filepath.Rel(root, src)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		dst := filepath.Join(s.dir, rel)
		if src == s.dir {
			return filepath.SkipDir
		}
		switch {
		case d.IsDir():
			if shadowSkip[d.Name()] {
				return filepath.SkipDir
			}
			if shadowLink[d.Name()] {
				if err := os.Symlink(src, dst); err != nil {
					return err
				}
				return filepath.SkipDir
			}
			return os.Mkdir(dst, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			return copyLink(root, s.dir, src, dst)
		case !d.Type().IsRegular() || deleted[filepath.ToSlash(rel)]:
			return nil
		}
		return copyFile(src, dst)
	})
	if err != nil {
		return err
	}
	// The overlays: the apply gate checked the edit's paths; the shadow
	// checks again what it writes, with the same check, against the
	// workspace.
	return writeOverlays(s.dir, root, snap)
}

// writeOverlays writes snap's edited files into the directory dir through
// os.Root, so that no symbolic link leads a write out of it, after checking
// each path with analysis.ResolvePath against root. A file keeps the mode of
// the file it replaces; a hard link or read-only file already at its path is
// replaced, not written through.
func writeOverlays(dir, root string, snap *analysis.Snapshot) error {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer r.Close()
	for _, p := range snap.Overlays() {
		if _, err := analysis.ResolvePath(root, p); err != nil {
			return fmt.Errorf("write %w", err)
		}
		f, err := snap.File(p)
		if err != nil {
			return err
		}
		if dir := path.Dir(p); dir != "." {
			if err := r.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("write %s: %w", p, err)
			}
		}
		mode := fs.FileMode(0o644)
		if info, err := os.Stat(snap.Abs(p)); err == nil {
			mode = info.Mode().Perm()
		}
		r.Remove(p)
		if err := r.WriteFile(p, f.Content, mode); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		if os.IsPermission(err) {
			return nil // unreadable here, unreadable for the tests too
		}
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, info.Mode().Perm()|0o200)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copyLink recreates a symbolic link of the workspace in the copy. A link
// to a place inside the workspace points to the same place inside the copy
// (made relative); a link outside keeps pointing there, which the sandbox
// leaves read-only.
func copyLink(root, shadowDir, src, dst string) error {
	target, err := os.Readlink(src)
	if err != nil {
		return err
	}
	abs := target
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(filepath.Dir(src), target)
	}
	abs = filepath.Clean(abs)
	if within(root, abs) {
		inside, err := filepath.Rel(root, abs)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(filepath.Dir(dst), filepath.Join(shadowDir, inside))
		if err != nil {
			return err
		}
		return os.Symlink(rel, dst)
	}
	if strings.HasPrefix(abs, shadowDir) {
		return nil
	}
	return os.Symlink(abs, dst)
}

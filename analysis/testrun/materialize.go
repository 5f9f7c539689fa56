package testrun

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// materialize copies the workspace directory rel into dst with the
// snapshot's overlays written and its deletions left out, for runners that
// can only read real files. node_modules directories are linked, not copied,
// and .git is skipped. It returns dst.
func materialize(snap *analysis.Snapshot, rel, dst string) (string, error) {
	src := snap.Abs(rel)
	deleted := map[string]bool{}
	for _, d := range snap.Deleted() {
		deleted[d] = true
	}
	err := filepath.WalkDir(src, func(fp string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, err := filepath.Rel(src, fp)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, r)
		wsPath := path.Join(rel, filepath.ToSlash(r))
		if d.IsDir() {
			switch d.Name() {
			case ".git", "__pycache__", ".pytest_cache":
				if fp != src {
					return filepath.SkipDir
				}
			case "node_modules":
				if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
					return err
				}
				if err := os.Symlink(fp, target); err != nil {
					return err
				}
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		}
		if deleted[wsPath] || !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(fp)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	if err != nil {
		return "", err
	}
	for _, o := range snap.Overlays() {
		if !within(rel, o) {
			continue
		}
		f, err := snap.File(o)
		if err != nil {
			return "", err
		}
		target := filepath.Join(dst, filepath.FromSlash(strings.TrimPrefix(relTo(rel, o), "./")))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(target, f.Content, 0o644); err != nil {
			return "", err
		}
	}
	return dst, nil
}

// needsCopy reports whether the snapshot differs from the disk inside rel.
func needsCopy(snap *analysis.Snapshot, rel string) bool {
	for _, o := range snap.Overlays() {
		if within(rel, o) {
			return true
		}
	}
	for _, d := range snap.Deleted() {
		if within(rel, d) {
			return true
		}
	}
	return false
}

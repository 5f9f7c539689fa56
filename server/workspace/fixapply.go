package workspace

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/server/loop"
)

// writeChanges writes the accepted changes into the workspace at root, the
// only place gauntlet writes a user's files. Every file must still hold
// what the loop read (checked for all of them before anything is written,
// and again right before each file is replaced); a file to create must
// still not exist. Each file is written to a temporary file in its own
// directory with the old file's mode, then renamed over it (or linked into
// place, for a new file), so a reader sees the old content or the new,
// never a mix. It returns the paths written.
func writeChanges(root string, changes []loop.FileChange) ([]string, error) {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	type target struct {
		c    loop.FileChange
		abs  string
		mode fs.FileMode
	}
	var targets []target
	for _, c := range changes {
		abs := filepath.Join(root, filepath.FromSlash(c.Path))
		if _, err := analysis.ResolvePath(root, c.Path); err != nil {
			return nil, fmt.Errorf("%w; nothing written", err)
		}
		if err := inside(realRoot, abs); err != nil {
			return nil, fmt.Errorf("%s: %w; nothing written", c.Path, err)
		}
		t := target{c: c, abs: abs, mode: 0o644}
		info, err := os.Lstat(abs)
		switch {
		case c.Created:
			if err == nil {
				return nil, fmt.Errorf("%s was created since gauntlet read the workspace; nothing written", c.Path)
			}
		case err != nil:
			return nil, fmt.Errorf("%s: %w; nothing written", c.Path, err)
		case !info.Mode().IsRegular():
			return nil, fmt.Errorf("%s is not a regular file; nothing written", c.Path)
		default:
			t.mode = info.Mode().Perm()
			if err := unchanged(abs, c.Old); err != nil {
				return nil, fmt.Errorf("%s: %w; nothing written", c.Path, err)
			}
		}
		targets = append(targets, t)
	}
	var written []string
	for _, t := range targets {
		if err := replaceFile(t.abs, t.c, t.mode); err != nil {
			if len(written) > 0 {
				return written, fmt.Errorf("%s: %w (already written: %s)", t.c.Path, err, strings.Join(written, ", "))
			}
			return nil, fmt.Errorf("%s: %w; nothing written", t.c.Path, err)
		}
		written = append(written, t.c.Path)
	}
	return written, nil
}

// errChanged is a file that no longer holds what the loop read.
var errChanged = errors.New("the file changed since gauntlet read it")

func unchanged(abs string, old []byte) error {
	cur, err := os.ReadFile(abs)
	if err != nil {
		return err
	}
	if sha256.Sum256(cur) != sha256.Sum256(old) {
		return errChanged
	}
	return nil
}

// inside refuses a path that leaves the workspace, itself or through a
// symbolic link on the way.
func inside(realRoot, abs string) error {
	dir := filepath.Dir(abs)
	for {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			rel, err := filepath.Rel(realRoot, r)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return errors.New("outside the workspace")
			}
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return errors.New("outside the workspace")
		}
		dir = parent
	}
	if info, err := os.Lstat(abs); err == nil && info.Mode()&fs.ModeSymlink != 0 {
		return errors.New("a symbolic link: not written through")
	}
	return nil
}

// replaceFile writes c.New to a temporary file beside abs and moves it into
// place, checking right before that the file still holds c.Old (or, for a
// new file, still does not exist).
func replaceFile(abs string, c loop.FileChange, mode fs.FileMode) error {
	dir := filepath.Dir(abs)
	if c.Created {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(abs)+".gauntlet-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // gone after the rename; cleans up after a failure
	if _, err := tmp.Write(c.New); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if c.Created {
		// A hard link fails if the file appeared meanwhile.
		if err := os.Link(name, abs); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return errors.New("the file was created since gauntlet read the workspace")
			}
			return err
		}
		return nil
	}
	if err := unchanged(abs, c.Old); err != nil {
		return err
	}
	if err := os.Rename(name, abs); err != nil {
		return err
	}
	// Read back: what is there is what was verified.
	if got, err := os.ReadFile(abs); err != nil || !bytes.Equal(got, c.New) {
		return fmt.Errorf("the file does not hold the fix after writing it (%v)", err)
	}
	return nil
}

package analysis

import (
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Snapshot is an immutable view of a workspace: a root directory plus the
// files that differ from the disk (the editor's open buffers, or an edit being
// verified). Files that are not overlaid are read from disk once, on first use.
// A change never mutates a snapshot; it makes a new one (copy on write).
type Snapshot struct {
	root    string
	overlay map[string]*File // by slash path relative to root
	deleted map[string]bool
	disk    *sync.Map // path -> *File, shared by snapshots that agree on it
}

// NewSnapshot returns a snapshot of the workspace at root with no overlays.
func NewSnapshot(root string) *Snapshot {
	abs, err := filepath.Abs(root)
	if err == nil {
		root = abs
	}
	return &Snapshot{root: root, overlay: map[string]*File{}, deleted: map[string]bool{}, disk: &sync.Map{}}
}

// Root is the absolute workspace directory.
func (s *Snapshot) Root() string { return s.root }

// Rel turns an absolute or root-relative path into the snapshot's clean
// slash-separated form, refusing paths that leave the workspace.
func (s *Snapshot) Rel(p string) (string, error) {
	if filepath.IsAbs(p) {
		r, err := filepath.Rel(s.root, p)
		if err != nil {
			return "", fmt.Errorf("path %s: %w", p, err)
		}
		p = r
	}
	p = path.Clean(filepath.ToSlash(p))
	if p == ".." || strings.HasPrefix(p, "../") || path.IsAbs(p) {
		return "", fmt.Errorf("path %s is outside the workspace %s", p, s.root)
	}
	return p, nil
}

// Abs returns the absolute path of a snapshot path.
func (s *Snapshot) Abs(rel string) string { return filepath.Join(s.root, filepath.FromSlash(rel)) }

// File returns the file at rel: the overlay if there is one, else the disk's.
func (s *Snapshot) File(rel string) (*File, error) {
	rel, err := s.Rel(rel)
	if err != nil {
		return nil, err
	}
	if f, ok := s.overlay[rel]; ok {
		return f, nil
	}
	if s.deleted[rel] {
		return nil, fmt.Errorf("%s: %w", rel, os.ErrNotExist)
	}
	if f, ok := s.disk.Load(rel); ok {
		return f.(*File), nil
	}
	content, err := os.ReadFile(s.Abs(rel))
	if err != nil {
		return nil, err
	}
	f, _ := s.disk.LoadOrStore(rel, NewFile(rel, content, 0))
	return f.(*File), nil
}

// ReadFile returns the content of the file at rel, as File finds it: the
// reader that patch.Edits takes.
func (s *Snapshot) ReadFile(rel string) ([]byte, error) {
	f, err := s.File(rel)
	if err != nil {
		return nil, err
	}
	return f.Content, nil
}

// With returns a snapshot in which files replace (or add) their paths.
func (s *Snapshot) With(files ...*File) *Snapshot {
	n := s.clone()
	for _, f := range files {
		n.overlay[f.Path] = f
		delete(n.deleted, f.Path)
	}
	return n
}

// Without returns a snapshot in which the paths do not exist.
func (s *Snapshot) Without(paths ...string) *Snapshot {
	n := s.clone()
	for _, p := range paths {
		delete(n.overlay, p)
		n.deleted[p] = true
	}
	return n
}

// Reverted returns a snapshot in which path is read from disk again (an
// editor closed the buffer, or the file changed on disk).
func (s *Snapshot) Reverted(paths ...string) *Snapshot {
	n := s.clone()
	n.disk = &sync.Map{}
	s.disk.Range(func(k, v any) bool { n.disk.Store(k, v); return true })
	for _, p := range paths {
		delete(n.overlay, p)
		delete(n.deleted, p)
		n.disk.Delete(p)
	}
	return n
}

// Overlays lists the paths that differ from the disk, sorted.
func (s *Snapshot) Overlays() []string {
	return slices.Sorted(maps.Keys(s.overlay))
}

// Deleted lists the paths deleted in this snapshot, sorted.
func (s *Snapshot) Deleted() []string {
	return slices.Sorted(maps.Keys(s.deleted))
}

func (s *Snapshot) clone() *Snapshot {
	n := &Snapshot{root: s.root, overlay: make(map[string]*File, len(s.overlay)+1), deleted: make(map[string]bool, len(s.deleted)), disk: s.disk}
	for k, v := range s.overlay {
		n.overlay[k] = v
	}
	for k := range s.deleted {
		n.deleted[k] = true
	}
	return n
}

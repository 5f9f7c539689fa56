package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/patch"
)

// Edit is a proposed change of a workspace, in any of the forms proposals
// come in; a verification may combine them as long as no file is changed
// by two of them.
type Edit struct {
	// Patch is a unified diff (patch.Parse), applied hunk by hunk to the
	// base's files: new, deleted and renamed files included.
	Patch []*patch.File
	// Edits are byte-offset edits of the base's files (analyzer fixes,
	// SEARCH/REPLACE blocks through patch.Edits, an LSP WorkspaceEdit).
	Edits []analysis.TextEdit
	// Files are whole-file changes: creations, replacements, deletions and
	// renames.
	Files []FileChange
	// Text is an edit as a model or a person writes it: SEARCH/REPLACE
	// blocks, or unified diffs (in ```diff fences or bare), read with
	// patch.ParseAnswer. That it parses is part of the apply gate.
	Text string
}

// FileChange is a whole-file change. With OldPath empty, Path is created
// or replaced; with Path empty, OldPath is deleted; with both, OldPath is
// renamed to Path. Content is Path's whole new content.
type FileChange struct {
	Path    string
	OldPath string
	Content []byte
}

// Unsaved returns the edit that turns base into after, two snapshots of the
// same workspace: every file after overlays with content other than base's,
// and every file after deletes. The LSP's "Verify unsaved changes" passes
// the disk (analysis.NewSnapshot(root)) as base and its own snapshot as after.
func Unsaved(base, after *analysis.Snapshot) (Edit, error) {
	var e Edit
	for _, p := range after.Overlays() {
		f, err := after.File(p)
		if err != nil {
			return Edit{}, err
		}
		if old, err := base.File(p); err == nil && bytes.Equal(old.Content, f.Content) {
			continue
		}
		e.Files = append(e.Files, FileChange{Path: p, Content: f.Content})
	}
	for _, p := range after.Deleted() {
		if _, err := base.File(p); err == nil {
			e.Files = append(e.Files, FileChange{OldPath: p})
		}
	}
	return e, nil
}

// Empty reports whether the edit proposes nothing.
func (e Edit) Empty() bool {
	return len(e.Patch) == 0 && len(e.Edits) == 0 && len(e.Files) == 0 && strings.TrimSpace(e.Text) == ""
}

// change is what the edit does to one file.
type change struct {
	oldPath, newPath string // "" when the file is added, deleted
	old, new         []byte
	diff             *patch.File
}

// path is the file's path after the change, or before it for a deletion.
func (c *change) path() string {
	if c.newPath != "" {
		return c.newPath
	}
	return c.oldPath
}

// apply is the first gate: every path stays inside the workspace, and the
// edit applies cleanly to the base. It makes the snapshot after the edit.
func (r *run) apply(ctx context.Context, edit Edit, g *Gate) {
	a := &applier{base: r.base, seen: map[string]string{}}
	for _, f := range edit.Patch {
		a.patchFile(f)
	}
	for p, es := range analysis.EditsByPath(edit.Edits) {
		a.textEdits(p, es)
	}
	for _, fc := range edit.Files {
		a.fileChange(fc)
	}
	if strings.TrimSpace(edit.Text) != "" {
		if err := a.answer(edit.Text); err != nil {
			fail(g, "the edit does not parse: %v", err)
			return
		}
	}
	sort.Slice(a.refused, func(i, j int) bool { return a.refused[i].Path < a.refused[j].Path })
	if len(a.refused) > 0 {
		g.Refused = a.refused
		if len(a.refused) == 1 {
			fail(g, "refused %s: %s", a.refused[0].Path, a.refused[0].Reason)
		} else {
			fail(g, "refused %d paths; first %s: %s", len(a.refused), a.refused[0].Path, a.refused[0].Reason)
		}
		return
	}
	if len(a.changes) == 0 {
		fail(g, "the edit changes nothing")
		return
	}
	sort.Slice(a.changes, func(i, j int) bool { return a.changes[i].path() < a.changes[j].path() })
	after := r.base
	var files []*analysis.File
	var gone []string
	for _, c := range a.changes {
		if c.oldPath != "" && c.oldPath != c.newPath {
			gone = append(gone, c.oldPath)
		}
		if c.newPath != "" {
			files = append(files, newFileLike(r.base, c.oldPath, c.newPath, c.new))
		}
		if c.diff == nil {
			c.diff = patch.Changes(c.oldPath, c.newPath, c.old, c.new)
		}
		r.diff = append(r.diff, c.diff)
	}
	if len(gone) > 0 {
		after = after.Without(gone...)
	}
	if len(files) > 0 {
		after = after.With(files...)
	}
	r.after, r.changes = after, a.changes
	g.OK = true
	n := len(a.changes)
	g.Detail = fmt.Sprintf("%d file%s: %s", n, plural(n), summarizePaths(a.changes))
}

// newFileLike makes the new version of a file, keeping the language the base
// gave it (an editor's languageId) when the path keeps its extension.
func newFileLike(base *analysis.Snapshot, oldPath, newPath string, content []byte) *analysis.File {
	if oldPath != "" && path.Ext(oldPath) == path.Ext(newPath) {
		if f, err := base.File(oldPath); err == nil && f.Lang != nil {
			return analysis.NewFileLang(newPath, content, 0, f.Lang)
		}
	}
	return analysis.NewFile(newPath, content, 0)
}

func summarizePaths(cs []*change) string {
	var parts []string
	for i, c := range cs {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(cs)-5))
			break
		}
		switch {
		case c.oldPath == "":
			parts = append(parts, c.newPath+" (new)")
		case c.newPath == "":
			parts = append(parts, c.oldPath+" (deleted)")
		case c.oldPath != c.newPath:
			parts = append(parts, c.oldPath+" → "+c.newPath)
		default:
			parts = append(parts, c.newPath)
		}
	}
	return strings.Join(parts, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// applier collects the changes of an edit and the paths it refuses.
type applier struct {
	base    *analysis.Snapshot
	changes []*change
	refused []Refusal
	seen    map[string]string // path -> the form that changes it
}

func (a *applier) refuse(p, format string, args ...any) {
	a.refused = append(a.refused, Refusal{Path: p, Reason: fmt.Sprintf(format, args...)})
}

// claim checks a path written in the edit and reserves it for one change.
// It returns the clean path, or "" after refusing it.
func (a *applier) claim(p, form string) string {
	clean, err := checkPath(a.base.Root(), p)
	if err != nil {
		a.refuse(p, "%v", err)
		return ""
	}
	if prev, dup := a.seen[clean]; dup {
		a.refuse(clean, "changed twice (by %s and by %s)", prev, form)
		return ""
	}
	a.seen[clean] = form
	return clean
}

// claimPair claims the paths of one file's change from form: its old path
// and, when it is another, its new path ("" for either that the change does
// not have; a new path equal to the old one is the old one's claim). ok is
// false once a path is refused.
func (a *applier) claimPair(oldP, newP, form string) (oldPath, newPath string, ok bool) {
	if oldP != "" {
		if oldPath = a.claim(oldP, form); oldPath == "" {
			return "", "", false
		}
	}
	switch {
	case newP == "":
	case newP == oldP:
		newPath = oldPath
	default:
		if newPath = a.claim(newP, form); newPath == "" {
			return "", "", false
		}
	}
	return oldPath, newPath, true
}

// read returns a base file's content; ok is false (after refusing the path)
// when it does not exist.
func (a *applier) read(p string) ([]byte, bool) {
	f, err := a.base.File(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			a.refuse(p, "no such file in the workspace")
		} else {
			a.refuse(p, "%v", err)
		}
		return nil, false
	}
	return f.Content, true
}

func (a *applier) exists(p string) bool {
	_, err := a.base.File(p)
	return err == nil
}

func (a *applier) patchFile(f *patch.File) {
	oldPath, newPath, ok := a.claimPair(f.OldPath, f.NewPath, "the patch")
	if !ok {
		return
	}
	if f.Binary {
		a.refuse(f.Path(), "a binary diff cannot be verified")
		return
	}
	if kind := f.Special(); kind != "" && f.Status != patch.Deleted {
		// Written as a file it would hold the link's text; made a link it
		// could point anywhere: neither is an edit gauntlet can verify.
		a.refuse(f.Path(), "the patch makes it %s (mode %o), which gauntlet does not apply", kind, f.NewMode)
		return
	}
	c := &change{oldPath: oldPath, newPath: newPath}
	switch f.Status {
	case patch.Added:
		if a.exists(newPath) {
			a.refuse(newPath, "the patch creates it, but it already exists")
			return
		}
		data, err := f.Apply(nil)
		if err != nil {
			a.refuse(newPath, "%v", err)
			return
		}
		c.new = data
	case patch.Deleted:
		old, ok := a.read(oldPath)
		if !ok {
			return
		}
		if rest, err := f.Apply(old); err != nil || len(rest) > 0 {
			a.refuse(oldPath, "the patch deletes it, but its content differs from the patch's")
			return
		}
		c.old = old
	default:
		old, ok := a.read(oldPath)
		if !ok {
			return
		}
		if newPath != oldPath && a.exists(newPath) {
			a.refuse(newPath, "the patch renames %s to it, but it already exists", oldPath)
			return
		}
		data, err := f.Apply(old)
		if err != nil {
			a.refuse(oldPath, "%v", strings.TrimPrefix(err.Error(), f.Path()+": "))
			return
		}
		c.old, c.new = old, data
	}
	if c.oldPath == "" || c.newPath == "" || c.oldPath != c.newPath || len(f.Hunks) > 0 {
		// The patch's own hunks place the change exactly.
		c.diff = &patch.File{OldPath: c.oldPath, NewPath: c.newPath, Status: f.Status, Hunks: f.Hunks}
	}
	if c.oldPath == c.newPath && bytes.Equal(c.old, c.new) {
		return
	}
	a.changes = append(a.changes, c)
}

func (a *applier) textEdits(p string, es []analysis.TextEdit) {
	clean := a.claim(p, "text edits")
	if clean == "" {
		return
	}
	var old []byte
	if a.exists(clean) {
		old, _ = a.read(clean)
	} else {
		// Edits of a missing file may only create it: inserts at 0.
		for _, e := range es {
			if e.Start != 0 || e.End != 0 {
				a.refuse(clean, "no such file in the workspace")
				return
			}
		}
	}
	data, err := analysis.ApplyEdits(old, es)
	if err != nil {
		a.refuse(clean, "%v", err)
		return
	}
	if bytes.Equal(old, data) && a.exists(clean) {
		return
	}
	c := &change{oldPath: clean, newPath: clean, old: old, new: data}
	if !a.exists(clean) {
		c.oldPath = ""
	}
	a.changes = append(a.changes, c)
}

func (a *applier) fileChange(fc FileChange) {
	oldPath, newPath, ok := a.claimPair(fc.OldPath, fc.Path, "a file change")
	if !ok {
		return
	}
	if oldPath == "" && newPath == "" {
		a.refuse("", "a file change names no path")
		return
	}
	c := &change{oldPath: oldPath, newPath: newPath, new: fc.Content}
	switch {
	case oldPath != "":
		old, ok := a.read(oldPath)
		if !ok {
			return
		}
		c.old = old
		if newPath != "" && newPath != oldPath && a.exists(newPath) {
			a.refuse(newPath, "renaming %s to it, but it already exists", oldPath)
			return
		}
	case a.exists(newPath):
		// Replacing a file's whole content.
		old, _ := a.read(newPath)
		c.oldPath, c.old = newPath, old
	}
	if c.oldPath == c.newPath && bytes.Equal(c.old, c.new) {
		return
	}
	if c.newPath == "" {
		c.new = nil
	}
	a.changes = append(a.changes, c)
}

// answer reads SEARCH/REPLACE blocks and unified diffs written as text and
// applies them as text edits. Blocks that do not apply are refused with
// the reason, in words meant for whoever wrote them.
func (a *applier) answer(text string) error {
	if files, err := patch.Parse([]byte(text)); err == nil && len(files) > 0 && !strings.Contains(text, "<<<<<<<") && !strings.Contains(text, "```") {
		for _, f := range files {
			a.patchFile(f)
		}
		return nil
	}
	blocks, err := patch.ParseAnswer(text)
	if err != nil {
		return err
	}
	read := func(p string) ([]byte, error) {
		f, err := a.base.File(p)
		if err != nil {
			return nil, err
		}
		return f.Content, nil
	}
	// Paths are checked here first: patch.Edits does not know the workspace's
	// symbolic links.
	var ok []patch.Block
	for _, b := range blocks {
		if _, err := checkPath(a.base.Root(), b.Path); err != nil {
			a.refuse(b.Path, "%v", err)
			continue
		}
		ok = append(ok, b)
	}
	if len(a.refused) > 0 {
		return nil
	}
	fes, err := patch.Edits(ok, read)
	if err != nil {
		if errors.Is(err, patch.ErrNoChange) {
			return nil
		}
		var be *patch.BlockError
		if errors.As(err, &be) {
			for _, e := range unjoin(err) {
				if errors.As(e, &be) {
					a.refuse(be.Block.Path, "%s", be.Reason)
				} else {
					a.refuse("", "%v", e)
				}
			}
			return nil
		}
		return err
	}
	for _, fe := range fes {
		a.textEdits(fe.Path, fe.Edits)
	}
	return nil
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// checkPath cleans a path written in an edit and refuses what could reach
// outside the workspace at root or into its .git (whose hooks would run
// code): absolute paths, paths that climb out with "..", paths through a
// symbolic link that leads out, into .git or nowhere, and names that a
// file system takes for .git. analysis.ResolvePath is the one check that
// verify, fix --apply, serve, mcp and the LSP share.
func checkPath(root, p string) (string, error) {
	clean, err := analysis.CleanRel(strings.TrimSpace(p))
	if err != nil {
		return "", errors.New(err.(*analysis.PathError).Reason)
	}
	if clean == "." {
		return "", errors.New("names the workspace itself, not a file")
	}
	if _, err := analysis.ResolvePath(root, clean); err != nil {
		var pe *analysis.PathError
		if errors.As(err, &pe) {
			return "", errors.New(pe.Reason)
		}
		return "", err
	}
	return clean, nil
}

// within reports whether p is dir or lies under it (both absolute, clean).
func within(dir, p string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}

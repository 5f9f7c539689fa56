package analysis

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// The one check of every path that comes from outside: an edit, a request
// (gRPC, MCP, LSP), a plugin's finding. The standard library has
// os.Root, which keeps an open or a write inside a directory, but it
// neither refuses .git and the names that file systems take for it, nor
// answers the question before anything is opened (a request's paths are
// judged when it arrives; an edit's before it is verified), so the walk is
// written here; writes still go through os.Root where they happen.

// PathError is a path refused by ResolvePath, with the reason in words
// for whoever sent it.
type PathError struct {
	Path   string // as given
	Reason string
}

func (e *PathError) Error() string { return e.Path + ": " + e.Reason }

// ResolvedPath is a path that ResolvePath accepted.
type ResolvedPath struct {
	Rel  string // slash-separated and relative to the root; "." for the root itself
	Real string // absolute, with every symbolic link that exists resolved
}

// ResolvePath resolves p, relative to root or absolute, through the real
// file system: every symbolic link on the way is followed (for a file
// that does not exist yet, the deepest existing parent is resolved) and
// the result must lie inside root, out of .git. Any component, as written
// or as a link resolves, that a file system could take for ".git"
// (GitName) is refused, and so is a link that leads nowhere: writing
// through it would create its target.
func ResolvePath(root, p string) (ResolvedPath, error) {
	refuse := func(format string, args ...any) (ResolvedPath, error) {
		return ResolvedPath{}, &PathError{Path: p, Reason: fmt.Sprintf(format, args...)}
	}
	if strings.TrimSpace(p) == "" {
		return refuse("empty path")
	}
	if strings.ContainsRune(p, 0) {
		return refuse("the path holds a NUL byte")
	}
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return ResolvedPath{}, fmt.Errorf("workspace root: %w", err)
	}
	realRoot, err := filepath.EvalSymlinks(absRoot)
	if err != nil {
		return ResolvedPath{}, fmt.Errorf("workspace root: %w", err)
	}
	var rel string
	if filepath.IsAbs(p) {
		clean := filepath.Clean(p)
		switch {
		case Within(absRoot, clean):
			rel, _ = filepath.Rel(absRoot, clean)
		case Within(realRoot, clean):
			rel, _ = filepath.Rel(realRoot, clean)
		default:
			return refuse("outside the workspace %s", absRoot)
		}
	} else {
		rel = filepath.Clean(p)
	}
	rel = filepath.ToSlash(rel)
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return refuse("leaves the workspace")
	}
	segs := []string{}
	if rel != "." {
		segs = strings.Split(rel, "/")
	}
	for _, s := range segs {
		if GitName(s) {
			return refuse("inside .git (%q names it on some file systems), which may not be touched", s)
		}
	}
	cur := realRoot
	for i, s := range segs {
		next := filepath.Join(cur, s)
		info, err := os.Lstat(next)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
				// The rest does not exist: it is created, under cur.
				cur = filepath.Join(append([]string{cur}, segs[i:]...)...)
				break
			}
			if errors.Is(err, fs.ErrPermission) {
				return refuse("%v", err)
			}
			// ENOTDIR: a file on the way; what opens it will say so.
			cur = filepath.Join(append([]string{cur}, segs[i:]...)...)
			break
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		shown := strings.Join(segs[:i+1], "/")
		target, err := filepath.EvalSymlinks(next)
		if err != nil {
			return refuse("%s is a symbolic link that leads nowhere", shown)
		}
		if !Within(realRoot, target) {
			return refuse("%s is a symbolic link to %s, outside the workspace", shown, target)
		}
		inside, _ := filepath.Rel(realRoot, target)
		for _, t := range strings.Split(filepath.ToSlash(inside), "/") {
			if GitName(t) {
				return refuse("%s is a symbolic link into .git, which may not be touched", shown)
			}
		}
		cur = target
	}
	out, _ := filepath.Rel(realRoot, cur)
	return ResolvedPath{Rel: filepath.ToSlash(out), Real: cur}, nil
}

// GitName reports whether a file system could take the path component
// name for ".git": compared case-insensitively (with Unicode case folding
// and NFKC normalisation), without the code points that are ignored when
// names are compared (U+200C, U+200D, U+FEFF, U+00AD...), and without the
// trailing dots and spaces that Windows drops; also NTFS's short name
// GIT~1 and a stream suffix (".git::$INDEX_ALLOCATION").
func GitName(name string) bool {
	f := foldName(name)
	if i := strings.IndexByte(f, ':'); i >= 0 {
		f = f[:i]
	}
	f = strings.TrimRight(f, ". ")
	return f == ".git" || f == "git~1"
}

var folder = cases.Fold()

// foldName folds a name the way case-insensitive, normalising file
// systems compare names.
func foldName(name string) string {
	name = strings.Map(func(r rune) rune {
		if ignorable(r) {
			return -1
		}
		return r
	}, name)
	name = norm.NFKC.String(folder.String(norm.NFKC.String(name)))
	return strings.Map(func(r rune) rune {
		if ignorable(r) {
			return -1
		}
		return r
	}, name)
}

// ignorable approximates Unicode's Default_Ignorable_Code_Point: format
// characters (Cf: soft hyphen, zero-width joiners, BOM...), variation
// selectors and the other default-ignorables (Hangul fillers...).
func ignorable(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// Within reports whether p is dir or lies under it (both absolute and
// clean).
func Within(dir, p string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}

// CleanRel cleans a slash-separated relative path as written in an edit
// or a finding, refusing absolute ones and those that climb out.
func CleanRel(p string) (string, error) {
	orig := p
	p = filepath.ToSlash(p)
	switch {
	case strings.TrimSpace(p) == "":
		return "", &PathError{Path: orig, Reason: "empty path"}
	case path.IsAbs(p) || filepath.IsAbs(orig) || filepath.VolumeName(orig) != "" || strings.HasPrefix(p, "~"):
		return "", &PathError{Path: orig, Reason: "absolute path: paths must be relative to the workspace root"}
	}
	p = path.Clean(p)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", &PathError{Path: orig, Reason: "leaves the workspace"}
	}
	return p, nil
}

// Package patch reads unified diffs (git's and plain diff -u's, with new,
// deleted and renamed files; parsed by github.com/bluekeyes/go-gitdiff) into
// the files and line ranges they change, and applies them to file contents. The test selector uses the changed ranges;
// the verify gate applies patches to shadow snapshots.
package patch

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// Status says what a diff does to its file.
type Status int

const (
	Modified Status = iota
	Added
	Deleted
	Renamed // possibly with changes too
)

func (s Status) String() string {
	return [...]string{"modified", "added", "deleted", "renamed"}[s]
}

// File is the diff of one file. OldPath is empty for an added file, NewPath
// for a deleted one; paths are slash-separated with git's a/ and b/ prefixes
// removed.
type File struct {
	OldPath, NewPath string
	Status           Status
	Binary           bool // a binary diff: changed, but with no hunks
	// NewMode is git's mode of the file after the change (0o100644,
	// 0o100755, 0o120000 for a symbolic link, 0o160000 for a submodule),
	// or 0 when the patch does not say.
	NewMode uint32
	Hunks   []Hunk
}

// Special reports what kind of non-regular file the patch makes of the
// path ("a symbolic link", "a submodule"), or "" for a regular file.
func (f *File) Special() string {
	switch f.NewMode & 0o170000 {
	case 0o120000:
		return "a symbolic link"
	case 0o160000:
		return "a submodule"
	}
	return ""
}

// Path is the file's path after the change, or before it for a deletion.
func (f *File) Path() string {
	if f.NewPath != "" {
		return f.NewPath
	}
	return f.OldPath
}

// Hunk is one @@ section. Lines keep their leading ' ', '-' or '+'.
type Hunk struct {
	OldStart, OldLines int // 1-based; OldStart is 0 when OldLines is 0 at the file's start
	NewStart, NewLines int
	Lines              []string // without the trailing newline
	NoNewlineOld       bool     // "\ No newline at end of file" after the old side's last line
	NoNewlineNew       bool
}

// Range is a half-open range of 1-based line numbers [Start, End). An empty
// range (Start == End) is an insertion point: new text goes before line Start.
type Range struct{ Start, End int }

// Empty reports whether r is an insertion point.
func (r Range) Empty() bool { return r.Start == r.End }

// OldRanges are the ranges of the old file's lines that the diff removes or
// replaces, with insertions as empty ranges at the old line they precede.
// Adjacent changes merge.
func (f *File) OldRanges() []Range { return f.ranges('-', '+', true) }

// NewRanges are the ranges of the new file's lines that the diff adds, with
// pure deletions as empty ranges at the new line that follows them.
func (f *File) NewRanges() []Range { return f.ranges('+', '-', false) }

func (f *File) ranges(mine, theirs byte, old bool) []Range {
	var out []Range
	add := func(r Range) {
		if n := len(out); n > 0 && out[n-1].End >= r.Start {
			if r.End > out[n-1].End {
				out[n-1].End = r.End
			}
			return
		}
		out = append(out, r)
	}
	for _, h := range f.Hunks {
		line := h.NewStart
		if old {
			line = h.OldStart
		}
		if (old && h.OldLines == 0) || (!old && h.NewLines == 0) {
			// With no lines on this side, Start names the line before the hunk.
			line++
		}
		start, touched := line, false
		flush := func() {
			if touched {
				add(Range{start, line})
			}
			touched = false
		}
		for _, l := range h.Lines {
			switch l[0] {
			case mine:
				if !touched {
					start, touched = line, true
				}
				line++
			case theirs:
				if !touched {
					start, touched = line, true
				}
			default:
				flush()
				line++
			}
		}
		flush()
	}
	return out
}

// Parse reads a unified diff: git's (diff --git, with renames, copies, new
// and deleted files, binary markers) or plain diff -u / -ru output, through
// github.com/bluekeyes/go-gitdiff. Text outside file diffs (commit messages,
// "Only in" lines) is ignored. A malformed hunk, or a hunk before any file
// header, is an error naming its line.
func Parse(data []byte) ([]*File, error) {
	// A patch saved with CRLF line ends reads as its LF self (Apply ignores
	// a file's own CRs when it compares lines).
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	gfiles, preamble, err := gitdiff.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if len(gfiles) == 0 {
		for i, l := range strings.Split(preamble, "\n") {
			if strings.HasPrefix(l, "@@ ") {
				return nil, fmt.Errorf("line %d: hunk before any file header", i+1)
			}
		}
	}
	files := make([]*File, 0, len(gfiles))
	for _, g := range gfiles {
		f := &File{OldPath: stripPrefix(g.OldName), NewPath: stripPrefix(g.NewName), Binary: g.IsBinary, NewMode: uint32(g.NewMode)}
		switch {
		case g.IsNew || g.IsCopy:
			f.Status, f.OldPath = Added, ""
		case g.IsDelete:
			f.Status, f.NewPath = Deleted, ""
		case f.OldPath != f.NewPath:
			f.Status = Renamed
		}
		for _, frag := range g.TextFragments {
			h := Hunk{OldStart: int(frag.OldPosition), OldLines: int(frag.OldLines), NewStart: int(frag.NewPosition), NewLines: int(frag.NewLines)}
			for _, l := range frag.Lines {
				text, nl := strings.CutSuffix(l.Line, "\n")
				h.Lines = append(h.Lines, l.Op.String()+text)
				if !nl {
					switch l.Op {
					case gitdiff.OpDelete:
						h.NoNewlineOld = true
					case gitdiff.OpAdd:
						h.NoNewlineNew = true
					default:
						h.NoNewlineOld, h.NoNewlineNew = true, true
					}
				}
			}
			f.Hunks = append(f.Hunks, h)
		}
		files = append(files, f)
	}
	return files, nil
}

// stripPrefix removes git's a/ and b/ prefixes, which go-gitdiff keeps for
// plain diffs.
func stripPrefix(s string) string {
	if strings.HasPrefix(s, "a/") || strings.HasPrefix(s, "b/") {
		return s[2:]
	}
	return s
}

// headerPath reads the path of a ---/+++ line for diffBlocks, the lenient
// reader of models' diffs, which stays hand-written: models write hunks with
// missing or miscounted line numbers that go-gitdiff (rightly) rejects. /dev/null
// is "", a tab starts the timestamp of plain diff, git's a/ and b/ prefixes go.
func headerPath(s string) string {
	if i := strings.IndexByte(s, '\t'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimRight(s, " ")
	if q, err := strconv.Unquote(s); err == nil && strings.HasPrefix(s, `"`) {
		s = q
	}
	if s == "/dev/null" {
		return ""
	}
	return stripPrefix(s)
}

// Apply and Revert stay hand-written: go-gitdiff applies forward only, and
// both must match a hunk's context at exactly its line, as the test
// selector's before and after sides need.

// Apply returns content with f's hunks applied. Each hunk must match its
// context exactly at the line it names; otherwise Apply fails, naming the
// hunk. content is nil for a file the diff adds.
func (f *File) Apply(content []byte) ([]byte, error) { return apply(f, content, false) }

// Revert undoes f: it turns the file's new content back into the old.
func (f *File) Revert(content []byte) ([]byte, error) { return apply(f, content, true) }

func apply(f *File, content []byte, reverse bool) ([]byte, error) {
	if f.Binary {
		return nil, fmt.Errorf("%s: cannot apply a binary diff", f.Path())
	}
	src := splitLines(content)
	var out []string
	pos := 0 // next line of src to copy, 0-based
	mine, theirs := byte('-'), byte('+')
	if reverse {
		mine, theirs = '+', '-'
	}
	finalNoNL := len(content) > 0 && content[len(content)-1] != '\n'
	for hi, h := range f.Hunks {
		start, n := h.OldStart, h.OldLines
		if reverse {
			start, n = h.NewStart, h.NewLines
		}
		at := start - 1
		if n == 0 {
			at = start
		}
		if at < pos || at > len(src) {
			return nil, fmt.Errorf("%s: hunk %d (line %d) does not apply", f.Path(), hi+1, start)
		}
		out = append(out, src[pos:at]...)
		pos = at
		for _, l := range h.Lines {
			switch l[0] {
			case ' ', mine:
				if pos >= len(src) || strings.TrimSuffix(src[pos], "\r") != l[1:] {
					return nil, fmt.Errorf("%s: hunk %d does not apply at line %d", f.Path(), hi+1, pos+1)
				}
				if l[0] == ' ' {
					out = append(out, src[pos])
				}
				pos++
			case theirs:
				out = append(out, l[1:])
			}
		}
		noNL := h.NoNewlineNew
		if reverse {
			noNL = h.NoNewlineOld
		}
		if hi == len(f.Hunks)-1 && pos == len(src) {
			finalNoNL = noNL
		}
	}
	out = append(out, src[pos:]...)
	if len(out) == 0 {
		return []byte{}, nil
	}
	var b bytes.Buffer
	for i, l := range out {
		b.WriteString(l)
		if i < len(out)-1 || !finalNoNL {
			b.WriteByte('\n')
		}
	}
	return b.Bytes(), nil
}

func splitLines(content []byte) []string {
	if len(content) == 0 {
		return nil
	}
	s := strings.TrimSuffix(string(content), "\n")
	return strings.Split(s, "\n")
}

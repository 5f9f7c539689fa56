// Package patch reads unified diffs (git's and plain diff -u's, with new,
// deleted and renamed files) into the files and line ranges they change, and
// applies them to file contents. The test selector uses the changed ranges;
// the verify gate applies patches to shadow snapshots.
package patch

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
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
	Hunks            []Hunk
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

// Parse reads a unified diff: git's (diff --git, with renames, new and deleted
// files, binary markers) or plain diff -u / -ru output. Text outside file
// diffs (commit messages, "Only in" lines) is ignored. A malformed hunk is an
// error naming its line.
func Parse(data []byte) ([]*File, error) {
	lines := strings.Split(string(data), "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\r")
	}
	var files []*File
	var cur *File
	gitHeader := false // cur came from "diff --git" and has not seen ---/+++ yet
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "diff --git "):
			cur = &File{}
			cur.OldPath, cur.NewPath = gitPaths(strings.TrimPrefix(l, "diff --git "))
			files = append(files, cur)
			gitHeader = true
		case cur != nil && gitHeader && strings.HasPrefix(l, "new file mode"):
			cur.Status, cur.OldPath = Added, ""
		case cur != nil && gitHeader && strings.HasPrefix(l, "deleted file mode"):
			cur.Status, cur.NewPath = Deleted, ""
		case cur != nil && gitHeader && strings.HasPrefix(l, "rename from "):
			cur.Status, cur.OldPath = Renamed, unquote(strings.TrimPrefix(l, "rename from "))
		case cur != nil && gitHeader && strings.HasPrefix(l, "rename to "):
			cur.Status, cur.NewPath = Renamed, unquote(strings.TrimPrefix(l, "rename to "))
		case cur != nil && gitHeader && strings.HasPrefix(l, "copy to "):
			cur.Status, cur.OldPath, cur.NewPath = Added, "", unquote(strings.TrimPrefix(l, "copy to "))
		case cur != nil && gitHeader && (strings.HasPrefix(l, "Binary files ") || l == "GIT binary patch"):
			cur.Binary = true
		case strings.HasPrefix(l, "--- ") && i+1 < len(lines) && strings.HasPrefix(lines[i+1], "+++ "):
			oldP, newP := headerPath(l[4:]), headerPath(lines[i+1][4:])
			if cur == nil || !gitHeader {
				cur = &File{}
				files = append(files, cur)
			}
			gitHeader = false
			switch {
			case oldP == "":
				cur.Status, cur.OldPath, cur.NewPath = Added, "", newP
			case newP == "":
				cur.Status, cur.OldPath, cur.NewPath = Deleted, oldP, ""
			default:
				cur.OldPath, cur.NewPath = oldP, newP
				if oldP != newP && cur.Status == Modified {
					cur.Status = Renamed
				}
			}
			i++
		case strings.HasPrefix(l, "@@ "):
			if cur == nil {
				return nil, fmt.Errorf("line %d: hunk before any file header", i+1)
			}
			h, next, err := parseHunk(lines, i)
			if err != nil {
				return nil, err
			}
			cur.Hunks = append(cur.Hunks, h)
			i = next - 1
		case strings.HasPrefix(l, "diff "), strings.HasPrefix(l, "Only in "):
			// Plain "diff -ru a b" headers: the ---/+++ lines that follow name the file.
			cur, gitHeader = nil, false
		}
	}
	for _, f := range files {
		if f.Status == Renamed && f.OldPath == f.NewPath {
			f.Status = Modified
		}
	}
	return files, nil
}

// parseHunk reads the hunk whose header is lines[i] and returns it with the
// index of the first line after it.
func parseHunk(lines []string, i int) (Hunk, int, error) {
	var h Hunk
	hdr := lines[i]
	end := strings.Index(hdr[3:], " @@")
	if end < 0 {
		return h, 0, fmt.Errorf("line %d: malformed hunk header %q", i+1, hdr)
	}
	fields := strings.Fields(hdr[3 : 3+end])
	if len(fields) != 2 || fields[0][0] != '-' || fields[1][0] != '+' {
		return h, 0, fmt.Errorf("line %d: malformed hunk header %q", i+1, hdr)
	}
	var err1, err2 error
	h.OldStart, h.OldLines, err1 = hunkRange(fields[0][1:])
	h.NewStart, h.NewLines, err2 = hunkRange(fields[1][1:])
	if err1 != nil || err2 != nil {
		return h, 0, fmt.Errorf("line %d: malformed hunk header %q", i+1, hdr)
	}
	oldLeft, newLeft := h.OldLines, h.NewLines
	i++
	for ; i < len(lines) && (oldLeft > 0 || newLeft > 0 || strings.HasPrefix(lines[i], `\`)); i++ {
		l := lines[i]
		if l == "" {
			// Some tools strip the space of an empty context line.
			l = " "
		}
		switch l[0] {
		case ' ':
			oldLeft--
			newLeft--
		case '-':
			oldLeft--
		case '+':
			newLeft--
		case '\\':
			if n := len(h.Lines); n > 0 {
				switch h.Lines[n-1][0] {
				case '-':
					h.NoNewlineOld = true
				case '+':
					h.NoNewlineNew = true
				default:
					h.NoNewlineOld, h.NoNewlineNew = true, true
				}
			}
			continue
		default:
			return h, 0, fmt.Errorf("line %d: unexpected %q inside a hunk", i+1, l)
		}
		if oldLeft < 0 || newLeft < 0 {
			return h, 0, fmt.Errorf("line %d: hunk longer than its header says", i+1)
		}
		h.Lines = append(h.Lines, l)
	}
	if oldLeft > 0 || newLeft > 0 {
		return h, 0, fmt.Errorf("line %d: hunk ends early (%d old and %d new lines missing)", i, oldLeft, newLeft)
	}
	return h, i, nil
}

func hunkRange(s string) (start, n int, err error) {
	n = 1
	if a, b, ok := strings.Cut(s, ","); ok {
		s = a
		if n, err = strconv.Atoi(b); err != nil {
			return 0, 0, err
		}
	}
	start, err = strconv.Atoi(s)
	return start, n, err
}

// gitPaths splits "a/x b/y" from a diff --git line. With spaces in names the
// split is ambiguous; the ---/+++ or rename lines that follow settle it.
func gitPaths(s string) (string, string) {
	if strings.HasPrefix(s, `"`) {
		if q, rest, ok := cutQuoted(s); ok {
			return stripPrefix(q), headerPath(strings.TrimSpace(rest))
		}
	}
	if i := strings.Index(s, " b/"); i >= 0 {
		return stripPrefix(s[:i]), stripPrefix(s[i+1:])
	}
	if a, b, ok := strings.Cut(s, " "); ok {
		return stripPrefix(a), stripPrefix(b)
	}
	return stripPrefix(s), stripPrefix(s)
}

// headerPath reads the path of a ---/+++ line: /dev/null is "", a tab starts
// the timestamp of plain diff, git's a/ and b/ prefixes go.
func headerPath(s string) string {
	if i := strings.IndexByte(s, '\t'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimRight(s, " ")
	s = unquote(s)
	if s == "/dev/null" {
		return ""
	}
	return stripPrefix(s)
}

func stripPrefix(s string) string {
	s = unquote(s)
	if strings.HasPrefix(s, "a/") || strings.HasPrefix(s, "b/") {
		return s[2:]
	}
	return s
}

func unquote(s string) string {
	if strings.HasPrefix(s, `"`) {
		if q, _, ok := cutQuoted(s); ok {
			return q
		}
	}
	return s
}

// cutQuoted reads a C-quoted string at the start of s (git quotes unusual names).
func cutQuoted(s string) (string, string, bool) {
	for i := 1; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '"' {
			q, err := strconv.Unquote(s[:i+1])
			if err != nil {
				return "", "", false
			}
			return q, s[i+1:], true
		}
	}
	return "", "", false
}

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

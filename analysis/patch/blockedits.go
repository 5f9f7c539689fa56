package patch

// This file turns Blocks into byte-offset text edits: exact matches first,
// then a unique match that ignores each line's leading and trailing
// whitespace, nothing fuzzier. Every failure says precisely why, in words
// that can go back to the model that wrote the block.

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// ReadFunc returns the content of the file at a clean workspace path. An
// error that wraps fs.ErrNotExist means there is no such file.
type ReadFunc func(path string) ([]byte, error)

// FileEdit is what an answer does to one file.
type FileEdit struct {
	Path  string // clean, slash-separated, relative to the workspace root
	New   bool   // the file does not exist yet: Edits hold its whole content
	Edits []analysis.TextEdit
}

// BlockError is one block that does not apply. Its message is meant for the
// model: it says what was expected and what the file holds.
type BlockError struct {
	Index  int // 1-based position of the block in the answer
	Block  Block
	Reason string
}

func (e *BlockError) Error() string { return e.Reason }

// ErrNoChange is returned by Edits when the blocks apply but change nothing.
var ErrNoChange = errors.New("the edit changes nothing: every REPLACE equals its SEARCH")

// Edits applies blocks, in order, to the files read returns, and gives the
// result as text edits in byte offsets of each file's current content,
// grouped by file (sorted by path), each edit trimmed to the lines it really
// changes. A later block may match text an earlier block wrote.
//
// A block's SEARCH is matched exactly first; failing that, ignoring each
// line's leading and trailing whitespace, in which case the REPLACE lines are
// re-indented by the same difference the SEARCH lines had. Either match must
// be unique (a diff hunk's line number picks among exact matches). An empty
// SEARCH creates a file that does not exist (or fills an empty one).
//
// Paths are refused if they are absolute, leave the workspace, or reach into
// .git. Every block that fails is reported, as *BlockError values joined
// with errors.Join; an answer that changes nothing is ErrNoChange.
func Edits(blocks []Block, read ReadFunc) ([]FileEdit, error) {
	files := map[string]*fileState{}
	var errs []error
	fail := func(i int, b Block, format string, args ...any) {
		errs = append(errs, &BlockError{Index: i + 1, Block: b, Reason: fmt.Sprintf(format, args...)})
	}
	for i, b := range blocks {
		p, err := CleanPath(b.Path)
		if err != nil {
			fail(i, b, "SEARCH block %d: %v", i+1, err)
			continue
		}
		st := files[p]
		if st == nil {
			content, err := read(p)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				st = &fileState{path: p}
			case err != nil:
				fail(i, b, "SEARCH block %d: read %s: %v", i+1, p, err)
				continue
			default:
				st = &fileState{path: p, exists: true, orig: content, cur: content}
			}
			files[p] = st
		}
		if strings.TrimSpace(b.Search) == "" {
			if len(bytes.TrimSpace(st.cur)) > 0 {
				if st.exists {
					fail(i, b, "SEARCH block %d is empty, but %s exists: quote the lines to replace (an empty SEARCH only creates a new file)", i+1, p)
				} else {
					fail(i, b, "SEARCH block %d is empty, but an earlier block already created %s: put all of a new file in one block", i+1, p)
				}
				continue
			}
			st.replace(0, len(st.cur), b.Replace)
			continue
		}
		if !st.exists && len(st.cur) == 0 {
			fail(i, b, "SEARCH block %d: %s does not exist; to create it, leave SEARCH empty", i+1, p)
			continue
		}
		start, end, text, reason := locate(st.cur, b, p, i+1)
		if reason != "" {
			fail(i, b, "%s", reason)
			continue
		}
		st.replace(start, end, text)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var out []FileEdit
	for _, st := range files {
		edits := st.trimmed()
		if len(edits) == 0 {
			continue
		}
		out = append(out, FileEdit{Path: st.path, New: !st.exists, Edits: edits})
	}
	if len(out) == 0 {
		return nil, ErrNoChange
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// CleanPath turns a path written in an edit into a clean slash-separated
// path relative to the workspace root, refusing absolute paths, paths that
// leave the workspace and paths inside .git (whose hooks would run code).
// Symbolic links are for whoever owns the files to check.
func CleanPath(p string) (string, error) {
	orig := p
	p = strings.TrimSpace(strings.ReplaceAll(p, `\`, "/"))
	if p == "" {
		return "", errors.New("empty path")
	}
	if path.IsAbs(p) || filepath.IsAbs(p) || filepath.VolumeName(p) != "" || len(p) >= 2 && p[1] == ':' {
		return "", fmt.Errorf("path %s is absolute: paths must be relative to the workspace root", orig)
	}
	p = path.Clean(p)
	if p == "." {
		return "", fmt.Errorf("path %s names the workspace itself, not a file", orig)
	}
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("path %s leaves the workspace", orig)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".git" {
			return "", fmt.Errorf("path %s is inside .git, which edits may not touch", orig)
		}
	}
	return p, nil
}

// fileState is one file while blocks apply to it in turn.
type fileState struct {
	path   string
	exists bool
	orig   []byte
	cur    []byte
	// edits are in orig's offsets, sorted and disjoint, and
	// cur == ApplyEdits(orig, edits) at all times.
	edits []analysis.TextEdit
}

// replace replaces cur[s:e] with text and records the change in orig's
// offsets, merging it with the earlier edits it overlaps or touches.
func (st *fileState) replace(s, e int, text string) {
	delta := 0 // offset in cur minus offset in orig, before edit i
	i := 0
	for ; i < len(st.edits); i++ {
		ed := st.edits[i]
		if ed.Start+delta+len(ed.NewText) >= s {
			break
		}
		delta += len(ed.NewText) - (ed.End - ed.Start)
	}
	origStart, origEnd := s-delta, 0
	lo, hi := s, e // the part of cur the merged edit's text covers
	d := delta
	j := i
	for ; j < len(st.edits); j++ {
		ed := st.edits[j]
		cs := ed.Start + d
		ce := cs + len(ed.NewText)
		if cs > e {
			break
		}
		lo, hi = min(lo, cs), max(hi, ce)
		origStart = min(origStart, ed.Start)
		origEnd = ed.End
		d += len(ed.NewText) - (ed.End - ed.Start)
	}
	origEnd = max(origEnd, e-d)
	merged := analysis.TextEdit{
		Path:    st.path,
		Start:   origStart,
		End:     origEnd,
		NewText: string(st.cur[lo:s]) + text + string(st.cur[e:hi]),
	}
	edits := append([]analysis.TextEdit{}, st.edits[:i]...)
	edits = append(edits, merged)
	st.edits = append(edits, st.edits[j:]...)

	cur := make([]byte, 0, len(st.cur)-(e-s)+len(text))
	cur = append(cur, st.cur[:s]...)
	cur = append(cur, text...)
	st.cur = append(cur, st.cur[e:]...)
}

// trimmed returns the edits with the whole lines they leave unchanged at
// either end removed, and edits that change nothing dropped.
func (st *fileState) trimmed() []analysis.TextEdit {
	var out []analysis.TextEdit
	for _, ed := range st.edits {
		old, nu := string(st.orig[ed.Start:ed.End]), ed.NewText
		if old == nu {
			continue
		}
		p := 0
		for p < len(old) && p < len(nu) && old[p] == nu[p] {
			p++
		}
		m := analysis.NewMapper([]byte(old))
		p, _ = m.LineRange(m.Line(p))
		q := 0
		for q < len(old)-p && q < len(nu)-p && old[len(old)-1-q] == nu[len(nu)-1-q] {
			q++
		}
		// Keep the common suffix only from a line start (in both) on.
		k := len(old) - q
		for ; k < len(old); k++ {
			kn := len(nu) - (len(old) - k)
			if (k == 0 || old[k-1] == '\n') && (kn == 0 || nu[kn-1] == '\n') {
				break
			}
		}
		kn := len(nu) - (len(old) - k)
		out = append(out, analysis.TextEdit{Path: st.path, Start: ed.Start + p, End: ed.Start + k, NewText: nu[p:kn]})
	}
	return out
}

// line is one line of a file: its byte range without and with its line break.
type line struct {
	start, end, next int
	text             string
}

func splitFile(content []byte) []line {
	var out []line
	for off := 0; off < len(content); {
		nl := bytes.IndexByte(content[off:], '\n')
		next := len(content)
		end := next
		if nl >= 0 {
			end = off + nl
			next = end + 1
		}
		t := end
		if t > off && content[t-1] == '\r' {
			t--
		}
		out = append(out, line{start: off, end: t, next: next, text: string(content[off:t])})
		off = next
	}
	return out
}

// locate finds block b in content and returns the byte range to replace and
// the text to put there, or a reason for the model.
func locate(content []byte, b Block, p string, n int) (start, end int, text, reason string) {
	lines := splitFile(content)
	// Exact, at line starts.
	var at []int
	for off := 0; ; {
		i := bytes.Index(content[off:], []byte(b.Search))
		if i < 0 {
			break
		}
		s := off + i
		if s == 0 || content[s-1] == '\n' {
			at = append(at, s)
		}
		off = s + 1
	}
	exactEnd := func(s int) int { return s + len(b.Search) }
	text = b.Replace
	if len(at) == 0 && !bytes.HasSuffix(content, []byte("\n")) {
		// The file's last line has no line break; the block's has one.
		s := len(content) - (len(b.Search) - 1)
		if s >= 0 && (s == 0 || content[s-1] == '\n') && string(content[s:]) == strings.TrimSuffix(b.Search, "\n") {
			at = []int{s}
			exactEnd = func(int) int { return len(content) }
			text = strings.TrimSuffix(text, "\n")
		}
	}
	if len(at) > 0 {
		s, ok := pick(at, b.Hint, func(s int) int { return lineOf(lines, s) })
		if !ok {
			return 0, 0, "", ambiguous(n, p, at, func(s int) int { return lineOf(lines, s) })
		}
		return s, exactEnd(s), text, ""
	}

	// Ignoring leading and trailing whitespace per line.
	search := splitAnswer(b.Search)
	repl := splitAnswer(b.Replace)
	if b.Replace == "" {
		repl = nil
	}
	lead, trail := blankRun(search, false), blankRun(search, true)
	if lead == len(search) {
		return 0, 0, "", fmt.Sprintf("SEARCH block %d for %s holds only blank lines: quote the lines to replace", n, p)
	}
	search = search[lead : len(search)-trail]
	// The blank lines dropped from SEARCH are context; drop them from REPLACE too.
	if blankRun(repl, false) >= lead && blankRun(repl, true) >= trail && len(repl) >= lead+trail {
		repl = repl[lead : len(repl)-trail]
	}
	var found []int // indexes of the first matching line
	for i := 0; i+len(search) <= len(lines); i++ {
		ok := true
		for k, s := range search {
			if strings.TrimSpace(lines[i+k].text) != strings.TrimSpace(s) {
				ok = false
				break
			}
		}
		if ok {
			found = append(found, i)
		}
	}
	switch len(found) {
	case 0:
		return 0, 0, "", notFound(n, p, lines, search)
	case 1:
	default:
		offs := make([]int, len(found))
		for i, f := range found {
			offs[i] = lines[f].start
		}
		return 0, 0, "", ambiguous(n, p, offs, func(s int) int { return lineOf(lines, s) })
	}
	first, last := lines[found[0]], lines[found[0]+len(search)-1]
	region := lines[found[0] : found[0]+len(search)]
	repl = reindent(region, search, repl)
	eol := "\n"
	if bytes.Contains(content[first.start:last.next], []byte("\r\n")) {
		eol = "\r\n"
	}
	text = strings.Join(repl, eol)
	if len(repl) > 0 && last.next > last.end {
		text += eol
	}
	return first.start, last.next, text, ""
}

// pick chooses among several exact matches the one that starts at hint.
func pick(at []int, hint int, lineOf func(int) int) (int, bool) {
	if len(at) == 1 {
		return at[0], true
	}
	for _, s := range at {
		if hint > 0 && lineOf(s)+1 == hint {
			return s, true
		}
	}
	return 0, false
}

func ambiguous(n int, p string, at []int, lineOf func(int) int) string {
	var ls []string
	for i, s := range at {
		if i == 5 {
			ls = append(ls, "…")
			break
		}
		ls = append(ls, fmt.Sprint(lineOf(s)+1))
	}
	return fmt.Sprintf("SEARCH block %d matches %d places in %s (lines %s); add more context lines to make it unique", n, len(at), p, strings.Join(ls, ", "))
}

// lineOf returns the 0-based line that starts at or contains offset.
func lineOf(lines []line, off int) int {
	return sort.Search(len(lines), func(i int) bool { return lines[i].next > off })
}

// blankRun counts the blank lines at the start (or end) of lines.
func blankRun(lines []string, fromEnd bool) int {
	n := 0
	for n < len(lines) {
		l := lines[n]
		if fromEnd {
			l = lines[len(lines)-1-n]
		}
		if strings.TrimSpace(l) != "" {
			break
		}
		n++
	}
	return n
}

// reindent adjusts repl's indentation when the SEARCH lines were matched
// with a different one: if every non-blank file line's indentation is the
// SEARCH line's with the same prefix added (or removed), the REPLACE lines
// get the same change. Otherwise repl is left as the model wrote it.
func reindent(file []line, search, repl []string) []string {
	add, remove := "", ""
	first := true
	for k, s := range search {
		if strings.TrimSpace(s) == "" {
			continue
		}
		fi, si := indent(file[k].text), indent(s)
		var a, r string
		switch {
		case strings.HasSuffix(fi, si):
			a = fi[:len(fi)-len(si)]
		case strings.HasSuffix(si, fi):
			r = si[:len(si)-len(fi)]
		default:
			return repl
		}
		if first {
			add, remove, first = a, r, false
		} else if a != add || r != remove {
			return repl
		}
	}
	if add == "" && remove == "" {
		return repl
	}
	out := make([]string, len(repl))
	for i, l := range repl {
		switch {
		case strings.TrimSpace(l) == "":
			out[i] = l
		case add != "":
			out[i] = add + l
		case strings.HasPrefix(l, remove):
			out[i] = l[len(remove):]
		default:
			return repl
		}
	}
	return out
}

func indent(s string) string { return s[:len(s)-len(strings.TrimLeft(s, " \t"))] }

// notFound explains a block that matches nowhere, quoting the file's lines
// that come closest and the first line that differs.
func notFound(n int, p string, lines []line, search []string) string {
	msg := fmt.Sprintf("SEARCH block %d not found in %s", n, p)
	if len(lines) == 0 {
		return msg + " (the file is empty)"
	}
	w := min(len(search), len(lines))
	best, bestScore := -1, 0.0
	for i := 0; i+w <= len(lines); i++ {
		score := 0.0
		for k := 0; k < w; k++ {
			score += similarity(strings.TrimSpace(lines[i+k].text), strings.TrimSpace(search[k]))
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 || bestScore < max(0.5, 0.25*float64(w)) {
		return msg + "; no lines of the file resemble it: quote lines of the file as they are"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s; closest lines: %d-%d:\n", msg, best+1, best+w)
	for k := 0; k < w; k++ {
		b.WriteString(lines[best+k].text)
		b.WriteByte('\n')
	}
	for k := 0; k < w; k++ {
		if f, s := lines[best+k].text, search[k]; strings.TrimSpace(f) != strings.TrimSpace(s) {
			fmt.Fprintf(&b, "line %d differs: the file has %q, the SEARCH block has %q", best+k+1, strings.TrimSpace(f), strings.TrimSpace(s))
			break
		}
	}
	if len(search) > len(lines) {
		fmt.Fprintf(&b, "\n(the SEARCH block has %d lines, the file only %d)", len(search), len(lines))
	}
	return strings.TrimRight(b.String(), "\n")
}

// similarity is 1 for equal strings and otherwise the share of the longer
// one that a common prefix and suffix cover.
func similarity(a, b string) float64 {
	if a == b {
		return 1
	}
	longest := max(len(a), len(b))
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	q := 0
	for q < len(a)-p && q < len(b)-p && a[len(a)-1-q] == b[len(b)-1-q] {
		q++
	}
	return float64(p+q) / float64(longest)
}

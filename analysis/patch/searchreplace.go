package patch

// This file reads the edit formats a model answers in: SEARCH/REPLACE
// blocks, and unified diffs in ```diff fences. Both become Blocks; Edits
// (blockedits.go) turns Blocks into byte-offset text edits.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Block is one SEARCH/REPLACE block of a model's answer: replace the lines
// Search of the file at Path with Replace. An empty Search creates the file.
//
//	path/to/file.go
//	```go
//	<<<<<<< SEARCH
//		return a - b
//	=======
//		return a + b
//	>>>>>>> REPLACE
//	```
//
// The fence is optional; several blocks may follow each other, and a block
// that names no path continues the file of the block before it.
type Block struct {
	Path    string // as written in the answer; Edits cleans and checks it
	Search  string // whole lines, each ending in "\n"; "" creates a file
	Replace string // whole lines, each ending in "\n"
	Line    int    // 1-based line of the answer where the block starts
	// Hint is the 1-based line of the file where Search is said to start
	// (a diff hunk's header), or 0. It only chooses between several exact
	// matches; it never makes a match.
	Hint int
}

// ErrNoEdits is returned by ParseAnswer for an answer with neither
// SEARCH/REPLACE blocks nor unified diffs.
var ErrNoEdits = errors.New("the answer contains no SEARCH/REPLACE blocks and no ```diff fence")

// ParseAnswer reads the edits of a model's answer: its SEARCH/REPLACE blocks,
// then the unified diffs of its ```diff fences as blocks too (a hunk's old
// side is the SEARCH, its new side the REPLACE; line numbers only break ties).
// Prose around them is ignored. A malformed block is an error naming its line
// of the answer; an answer with no edits at all is ErrNoEdits.
func ParseAnswer(text string) ([]Block, error) {
	blocks, err := ParseBlocks(text)
	if err != nil {
		return nil, err
	}
	for _, d := range extractDiffs(text) {
		bs, err := diffBlocks(d.body, d.line)
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, bs...)
	}
	if len(blocks) == 0 {
		return nil, ErrNoEdits
	}
	return blocks, nil
}

// ParseBlocks reads the SEARCH/REPLACE blocks of text, ignoring the prose and
// fences around them. The markers may be 5 to 9 characters long (models
// miscount) and may be indented; the lines between them are taken as they are.
func ParseBlocks(text string) ([]Block, error) {
	lines := splitAnswer(text)
	var blocks []Block
	prevEnd := -1 // index of the previous block's REPLACE line
	prevPath := ""
	for i := 0; i < len(lines); i++ {
		if !isMarker(lines[i], '<', "SEARCH") {
			continue
		}
		path, ok := blockPath(lines, i, prevEnd)
		if !ok {
			if prevPath == "" {
				return nil, fmt.Errorf("answer line %d: the SEARCH block names no file: put the file's path on the line before it", i+1)
			}
			path = prevPath
		}
		b := Block{Path: path, Line: i + 1}
		j := i + 1
		var search, replace []string
		for ; j < len(lines) && !isDivider(lines[j]); j++ {
			if isMarker(lines[j], '>', "REPLACE") || isMarker(lines[j], '<', "SEARCH") {
				return nil, fmt.Errorf("answer line %d: the SEARCH block for %s has no ======= line before line %d", i+1, path, j+1)
			}
			search = append(search, lines[j])
		}
		if j == len(lines) {
			return nil, fmt.Errorf("answer line %d: the SEARCH block for %s has no ======= line (was the answer cut off?)", i+1, path)
		}
		for j++; j < len(lines) && !isMarker(lines[j], '>', "REPLACE"); j++ {
			if isMarker(lines[j], '<', "SEARCH") {
				return nil, fmt.Errorf("answer line %d: the SEARCH block for %s has no >>>>>>> REPLACE line before the next block at line %d", i+1, path, j+1)
			}
			replace = append(replace, lines[j])
		}
		if j == len(lines) {
			return nil, fmt.Errorf("answer line %d: the SEARCH block for %s has no >>>>>>> REPLACE line (was the answer cut off?)", i+1, path)
		}
		b.Search, b.Replace = joinLines(search), joinLines(replace)
		blocks = append(blocks, b)
		prevEnd, prevPath = j, path
		i = j
	}
	return blocks, nil
}

type fencedDiff struct {
	body string
	line int // 1-based line of the answer where body starts
}

func extractDiffs(text string) []fencedDiff {
	lines := splitAnswer(text)
	var out []fencedDiff
	fences := false
	for i := 0; i < len(lines); i++ {
		marker, info, ok := fenceOpen(lines[i])
		if !ok {
			continue
		}
		fences = true
		end := i + 1
		for end < len(lines) && !fenceClose(lines[end], marker) {
			end++
		}
		lang := strings.ToLower(strings.Fields(info + " x")[0])
		body := lines[i+1 : end]
		if lang == "diff" || lang == "patch" || lang == "udiff" || (lang == "x" && looksLikeDiff(body)) {
			out = append(out, fencedDiff{joinLines(body), i + 2})
		}
		i = end
	}
	if !fences && looksLikeDiff(lines) {
		out = append(out, fencedDiff{joinLines(lines), 1})
	}
	return out
}

// looksLikeDiff reports whether lines hold a ---/+++ header followed by a hunk.
func looksLikeDiff(lines []string) bool {
	for i := 0; i+2 < len(lines); i++ {
		if strings.HasPrefix(lines[i], "--- ") && strings.HasPrefix(lines[i+1], "+++ ") && strings.HasPrefix(lines[i+2], "@@") {
			return true
		}
	}
	return false
}

// diffBlocks reads a unified diff leniently, as models write them: hunk
// headers may lack or miscount their line numbers ("@@ ... @@"), and the
// counts are not checked. Each hunk becomes one block.
func diffBlocks(body string, firstLine int) ([]Block, error) {
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	var blocks []Block
	oldPath, newPath := "", ""
	haveFile := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "--- ") && i+1 < len(lines) && strings.HasPrefix(lines[i+1], "+++ "):
			oldPath, newPath = headerPath(l[4:]), headerPath(lines[i+1][4:])
			haveFile = true
			i++
			at := firstLine + i - 1
			switch {
			case oldPath == "" && newPath == "":
				return nil, fmt.Errorf("answer line %d: diff header names no file", at)
			case newPath == "":
				return nil, fmt.Errorf("answer line %d: the diff deletes %s: deleting files is not supported; change its content instead", at, oldPath)
			case oldPath != "" && oldPath != newPath:
				return nil, fmt.Errorf("answer line %d: the diff renames %s to %s: renaming files is not supported; change their content instead", at, oldPath, newPath)
			}
		case strings.HasPrefix(l, "@@"):
			if !haveFile {
				return nil, fmt.Errorf("answer line %d: hunk before any ---/+++ file header", firstLine+i)
			}
			b := Block{Path: newPath, Line: firstLine + i, Hint: hunkOldStart(l)}
			var search, replace []string
			j := i + 1
			for ; j < len(lines); j++ {
				h := lines[j]
				if h == "" {
					// An empty context line whose space was stripped, unless
					// the hunk ends here.
					if j+1 < len(lines) && isHunkLine(lines[j+1]) {
						search, replace = append(search, ""), append(replace, "")
						continue
					}
					break
				}
				if !isHunkLine(h) || strings.HasPrefix(h, "--- ") && j+1 < len(lines) && strings.HasPrefix(lines[j+1], "+++ ") {
					break
				}
				switch h[0] {
				case ' ':
					search, replace = append(search, h[1:]), append(replace, h[1:])
				case '-':
					search = append(search, h[1:])
				case '+':
					replace = append(replace, h[1:])
				}
			}
			if oldPath == "" {
				b.Hint = 0
			} else if len(search) == 0 {
				return nil, fmt.Errorf("answer line %d: the hunk for %s has no context lines: include the lines around the change", firstLine+i, newPath)
			}
			b.Search, b.Replace = joinLines(search), joinLines(replace)
			blocks = append(blocks, b)
			i = j - 1
		}
	}
	return blocks, nil
}

func isHunkLine(l string) bool {
	return l != "" && (l[0] == ' ' || l[0] == '-' || l[0] == '+' || l[0] == '\\')
}

// hunkOldStart reads N of "@@ -N,M +K,L @@", or 0.
func hunkOldStart(hdr string) int {
	f := strings.Fields(strings.TrimPrefix(hdr, "@@"))
	if len(f) == 0 || !strings.HasPrefix(f[0], "-") {
		return 0
	}
	s, _, _ := strings.Cut(f[0][1:], ",")
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// blockPath finds the path written before the SEARCH line at i: the nearest
// line above it (after the previous block) that is not blank and not a fence
// opener, if it reads as a path.
func blockPath(lines []string, i, prevEnd int) (string, bool) {
	for k := i - 1; k > prevEnd && k >= i-4; k-- {
		l := strings.TrimSpace(lines[k])
		if l == "" {
			continue
		}
		if _, info, ok := fenceOpen(l); ok {
			// "```go path/to/file.go" names the file in the fence.
			if f := strings.Fields(info); len(f) == 2 {
				if p, ok := pathOf(f[1]); ok {
					return p, true
				}
			}
			continue
		}
		if p, ok := pathOf(l); ok {
			return p, true
		}
	}
	return "", false
}

// pathOf reads a file path out of a line such as "calc.go", "`calc.go`",
// "**calc/calc.go**", "File: calc.go" or "In `calc.go`:".
func pathOf(l string) (string, bool) {
	l = strings.TrimSpace(l)
	bare := l
	if strings.Count(l, "`") == 2 && !strings.HasPrefix(l, "```") {
		a := strings.IndexByte(l, '`')
		b := strings.LastIndexByte(l, '`')
		l = l[a+1 : b]
	}
	l = strings.TrimLeft(l, "#*-> ")
	for _, p := range []string{"File:", "file:", "Path:", "path:", "Filename:", "filename:"} {
		l = strings.TrimPrefix(l, p)
	}
	l = strings.Trim(strings.TrimSpace(l), "*`'\":")
	if l == "" || strings.ContainsAny(l, " \t") || strings.HasPrefix(l, "```") {
		return "", false
	}
	// "Makefile" alone is a path; "Fix:" is prose.
	if !strings.ContainsAny(l, "./") && l != bare {
		return "", false
	}
	return l, true
}

// isMarker reports whether l is a run of 5 to 9 c's followed by word:
// "<<<<<<< SEARCH", ">>>>>>> REPLACE".
func isMarker(l string, c byte, word string) bool {
	l = strings.TrimSpace(l)
	n := 0
	for n < len(l) && l[n] == c {
		n++
	}
	if n < 5 || n > 9 {
		return false
	}
	return strings.TrimSpace(l[n:]) == word
}

func isDivider(l string) bool {
	l = strings.TrimSpace(l)
	return len(l) >= 5 && len(l) <= 9 && strings.Trim(l, "=") == ""
}

// fenceOpen reads a Markdown fence opener: the marker (``` or ~~~, possibly
// longer) and the info string after it.
func fenceOpen(l string) (marker, info string, ok bool) {
	t := strings.TrimLeft(l, " ")
	if len(l)-len(t) > 3 || len(t) < 3 {
		return "", "", false
	}
	c := t[0]
	if c != '`' && c != '~' {
		return "", "", false
	}
	n := 0
	for n < len(t) && t[n] == c {
		n++
	}
	if n < 3 || (c == '`' && strings.IndexByte(t[n:], '`') >= 0) {
		return "", "", false
	}
	return t[:n], strings.TrimSpace(t[n:]), true
}

func fenceClose(l, marker string) bool {
	t := strings.TrimSpace(l)
	return len(t) >= len(marker) && strings.Trim(t, marker[:1]) == ""
}

// splitAnswer splits text into lines without their "\n" or "\r\n".
func splitAnswer(text string) []string {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// joinLines joins lines, each followed by "\n".
func joinLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

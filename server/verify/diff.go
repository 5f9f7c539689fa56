package verify

import (
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis/patch"
)

// maxDiffCells bounds the table of the line diff; past it the changed
// middle of a file counts as replaced whole (coarser, never wrong).
const maxDiffCells = 4 << 20

// lineDiff describes the change of a file from old to new as a diff with no
// context lines, so that test selection and the coverage gate know which
// lines changed. oldPath is "" for a new file, newPath "" for a deletion.
func lineDiff(oldPath, newPath string, old, new []byte) *patch.File {
	f := &patch.File{OldPath: oldPath, NewPath: newPath}
	switch {
	case oldPath == "":
		f.Status = patch.Added
	case newPath == "":
		f.Status = patch.Deleted
	case oldPath != newPath:
		f.Status = patch.Renamed
	}
	a, b := splitLines(old), splitLines(new)
	// Common prefix and suffix, then the table on what is left.
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	ops := diffOps(a[p:len(a)-s], b[p:len(b)-s])
	// Turn the ops into hunks: runs of deletions and insertions.
	i, j := p, p // 0-based positions in a and b
	var h *patch.Hunk
	flush := func() {
		if h == nil {
			return
		}
		if h.OldLines == 0 {
			h.OldStart-- // an insertion names the line before it
		}
		if h.NewLines == 0 {
			h.NewStart--
		}
		f.Hunks = append(f.Hunks, *h)
		h = nil
	}
	for _, op := range ops {
		switch op {
		case ' ':
			flush()
			i++
			j++
			continue
		case '-':
			if h == nil {
				h = &patch.Hunk{OldStart: i + 1, NewStart: j + 1}
			}
			l, noNL := strings.CutSuffix(a[i], noNewline)
			h.Lines = append(h.Lines, "-"+l)
			h.NoNewlineOld = h.NoNewlineOld || noNL
			h.OldLines++
			i++
		case '+':
			if h == nil {
				h = &patch.Hunk{OldStart: i + 1, NewStart: j + 1}
			}
			l, noNL := strings.CutSuffix(b[j], noNewline)
			h.Lines = append(h.Lines, "+"+l)
			h.NoNewlineNew = h.NoNewlineNew || noNL
			h.NewLines++
			j++
		}
	}
	flush()
	return f
}

// noNewline marks a last line that has no line break.
const noNewline = "\x00\\ No newline at end of file"

// splitLines splits content into lines without their "\n". A final line
// without one is marked, so that adding the newline is a change.
func splitLines(content []byte) []string {
	if len(content) == 0 {
		return nil
	}
	s := string(content)
	noNL := !strings.HasSuffix(s, "\n")
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if noNL {
		lines[len(lines)-1] += noNewline
	}
	return lines
}

// diffOps returns an edit script turning a into b: ' ' keeps a line, '-'
// deletes one of a, '+' inserts one of b. Deletions come before insertions
// within a change. It is a longest-common-subsequence table, bounded by
// maxDiffCells.
func diffOps(a, b []string) []byte {
	n, m := len(a), len(b)
	var ops []byte
	if n == 0 || m == 0 || n*m > maxDiffCells {
		for range a {
			ops = append(ops, '-')
		}
		for range b {
			ops = append(ops, '+')
		}
		return ops
	}
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	var dels, ins []byte
	emit := func() {
		ops = append(ops, dels...)
		ops = append(ops, ins...)
		dels, ins = dels[:0], ins[:0]
	}
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			emit()
			ops = append(ops, ' ')
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			dels = append(dels, '-')
			i++
		default:
			ins = append(ins, '+')
			j++
		}
	}
	for ; i < n; i++ {
		dels = append(dels, '-')
	}
	for ; j < m; j++ {
		ins = append(ins, '+')
	}
	emit()
	return ops
}

package patch

// This file writes unified diffs in git's format, from two versions of a
// file, with a Myers line diff: what `gauntlet fix` prints and `git apply`
// takes.

import (
	"fmt"
	"strings"
)

// Context is the number of unchanged lines Diff keeps around each change,
// as git and diff -u do.
const Context = 3

// maxEditCost bounds the Myers search (the number of lines inserted plus
// deleted it explores); past it the differing middle of the file is
// written as replaced whole, which is coarser but still applies.
const maxEditCost = 1000

// Diff returns the change of one file from old to new as a unified diff in
// git's format ("diff --git" header, a/ and b/ prefixes, "\ No newline at
// end of file" markers), with Context lines of context. oldPath is "" for
// a file the change creates, newPath "" for one it deletes; paths are
// slash-separated and relative to the repository root. An unchanged file
// gives "".
func Diff(oldPath, newPath string, old, new []byte) string {
	if oldPath == newPath && string(old) == string(new) {
		return ""
	}
	var b strings.Builder
	a, bp := oldPath, newPath
	if a == "" {
		a = bp
	}
	if bp == "" {
		bp = a
	}
	fmt.Fprintf(&b, "diff --git %s %s\n", quotePath("a/"+a), quotePath("b/"+bp))
	switch {
	case oldPath == "":
		b.WriteString("new file mode 100644\n")
	case newPath == "":
		b.WriteString("deleted file mode 100644\n")
	case oldPath != newPath:
		fmt.Fprintf(&b, "rename from %s\nrename to %s\n", quotePath(oldPath), quotePath(newPath))
	}
	x, y := lines(old), lines(new)
	if oldPath != "" && newPath != "" && oldPath != newPath && string(old) == string(new) {
		return b.String() // a pure rename has no hunks
	}
	from, to := "/dev/null", "/dev/null"
	if oldPath != "" {
		from = quotePath("a/" + oldPath)
	}
	if newPath != "" {
		to = quotePath("b/" + newPath)
	}
	fmt.Fprintf(&b, "--- %s\n+++ %s\n", from, to)
	writeHunks(&b, x, y, diffLines(x, y))
	return b.String()
}

// lines splits content into lines that keep their "\n"; a last line
// without one stays without, so that adding the newline is a change.
func lines(content []byte) []string {
	if len(content) == 0 {
		return nil
	}
	s := string(content)
	out := strings.SplitAfter(s, "\n")
	if out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// op is one step of an edit script: keep a line of both sides, delete a
// line of the old side, or insert a line of the new side.
type op byte

const (
	keep op = ' '
	del  op = '-'
	ins  op = '+'
)

// diffLines returns an edit script from a to b: the common prefix and
// suffix are kept, and the middle is diffed with Myers' algorithm. Within a
// change, deletions come before insertions.
func diffLines(a, b []string) []op {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	ops := make([]op, 0, len(a)+len(b))
	for range p {
		ops = append(ops, keep)
	}
	ops = append(ops, myers(a[p:len(a)-s], b[p:len(b)-s])...)
	for range s {
		ops = append(ops, keep)
	}
	return ops
}

// myers is the greedy O((N+M)D) shortest edit script of Myers (1986),
// "An O(ND) Difference Algorithm and Its Variations", with the trace of
// each step kept for the walk back.
func myers(a, b []string) []op {
	n, m := len(a), len(b)
	replaceAll := func() []op {
		ops := make([]op, 0, n+m)
		for range n {
			ops = append(ops, del)
		}
		for range m {
			ops = append(ops, ins)
		}
		return ops
	}
	if n == 0 || m == 0 {
		return replaceAll()
	}
	limit := min(n+m, maxEditCost)
	// v[off+k] is the furthest x on diagonal k (x - y = k) after the
	// previous step; trace[d] holds v after step d, for diagonals -d..d
	// (index k+d).
	off := limit + 1
	v := make([]int, 2*off+1)
	var trace [][]int
	found := -1
	for d := 0; d <= limit && found < 0; d++ {
		cur := make([]int, 2*d+1)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // down: an insertion
			} else {
				x = v[off+k-1] + 1 // right: a deletion
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			cur[k+d] = x
			if x >= n && y >= m {
				found = d
				break
			}
		}
		// Step d reads only diagonals of step d-1 (the other parity), so
		// writing them back after the step is safe.
		for k := -d; k <= d; k += 2 {
			v[off+k] = cur[k+d]
		}
		trace = append(trace, cur)
	}
	// Walk back from (n, m), collecting the script in reverse.
	var rev []op
	x, y := n, m
	for d := found; d > 0; d-- {
		prev := trace[d-1]
		at := func(k int) int { return prev[k+d-1] }
		k := x - y
		var pk int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := at(pk)
		py := px - pk
		for x > px && y > py {
			rev = append(rev, keep)
			x--
			y--
		}
		if pk == k+1 {
			rev = append(rev, ins)
			y--
		} else {
			rev = append(rev, del)
			x--
		}
	}
	for x > 0 && y > 0 {
		rev = append(rev, keep)
		x--
		y--
	}
	ops := make([]op, 0, len(rev))
	for i := len(rev) - 1; i >= 0; i-- {
		ops = append(ops, rev[i])
	}
	return groupChanges(ops)
}

// groupChanges puts the deletions of each run of changes before its
// insertions, as diff tools print them.
func groupChanges(ops []op) []op {
	out := make([]op, 0, len(ops))
	for i := 0; i < len(ops); {
		if ops[i] == keep {
			out = append(out, keep)
			i++
			continue
		}
		j := i
		nd := 0
		for j < len(ops) && ops[j] != keep {
			if ops[j] == del {
				nd++
			}
			j++
		}
		for range nd {
			out = append(out, del)
		}
		for range j - i - nd {
			out = append(out, ins)
		}
		i = j
	}
	return out
}

// writeHunks writes the hunks of an edit script with Context lines of
// context, merging changes whose contexts touch.
func writeHunks(b *strings.Builder, a, bl []string, ops []op) {
	// Positions (in a and b) where each op starts.
	type pos struct{ i, j int }
	at := make([]pos, len(ops)+1)
	i, j := 0, 0
	for k, o := range ops {
		at[k] = pos{i, j}
		switch o {
		case keep:
			i++
			j++
		case del:
			i++
		case ins:
			j++
		}
	}
	at[len(ops)] = pos{i, j}
	for k := 0; k < len(ops); {
		if ops[k] == keep {
			k++
			continue
		}
		// A hunk: from Context keeps before this change to Context keeps
		// after the last change that is at most 2*Context keeps away.
		start := max(k-Context, 0)
		for start < k && ops[start] != keep {
			start++
		}
		end := k
		for end < len(ops) {
			for end < len(ops) && ops[end] != keep {
				end++
			}
			run := end
			for run < len(ops) && ops[run] == keep {
				run++
			}
			if run < len(ops) && run-end <= 2*Context {
				end = run
				continue
			}
			end = min(end+Context, run)
			break
		}
		writeHunk(b, a, bl, ops[start:end], at[start].i, at[start].j)
		k = end
	}
}

func writeHunk(b *strings.Builder, a, bl []string, ops []op, i, j int) {
	oldN, newN := 0, 0
	for _, o := range ops {
		if o != ins {
			oldN++
		}
		if o != del {
			newN++
		}
	}
	fmt.Fprintf(b, "@@ -%s +%s @@\n", hunkSpan(i, oldN), hunkSpan(j, newN))
	for _, o := range ops {
		var l string
		switch o {
		case keep:
			l = a[i]
			i++
			j++
		case del:
			l = a[i]
			i++
		case ins:
			l = bl[j]
			j++
		}
		b.WriteByte(byte(o))
		b.WriteString(l)
		if !strings.HasSuffix(l, "\n") {
			b.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// hunkSpan is one side of a hunk header: "start,count", 1-based, with the
// count left out when it is 1, and start naming the line before the hunk
// when the side is empty.
func hunkSpan(start0, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start0)
	case 1:
		return fmt.Sprintf("%d", start0+1)
	}
	return fmt.Sprintf("%d,%d", start0+1, n)
}

// quotePath quotes a path as git does when it holds characters that would
// make the header ambiguous: C-style, in double quotes.
func quotePath(p string) string {
	needs := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == ' ' {
			needs = true
			break
		}
	}
	if !needs {
		return p
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(&b, `\%03o`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Changes describes the change of one file from old to new as a File with
// no context lines, from the same Myers line diff as Diff: which lines
// changed, for test selection and the coverage gate. oldPath is "" for a
// file the change creates, newPath "" for one it deletes. An insertion's
// hunk names the line before it on the side that has no lines, as a
// unified diff does.
func Changes(oldPath, newPath string, old, new []byte) *File {
	f := &File{OldPath: oldPath, NewPath: newPath}
	switch {
	case oldPath == "":
		f.Status = Added
	case newPath == "":
		f.Status = Deleted
	case oldPath != newPath:
		f.Status = Renamed
	}
	a, b := lines(old), lines(new)
	i, j := 0, 0 // 0-based positions in a and b
	var h *Hunk
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
	for _, o := range diffLines(a, b) {
		if o == keep {
			flush()
			i++
			j++
			continue
		}
		if h == nil {
			h = &Hunk{OldStart: i + 1, NewStart: j + 1}
		}
		if o == del {
			l, nl := strings.CutSuffix(a[i], "\n")
			h.Lines = append(h.Lines, "-"+l)
			h.NoNewlineOld = h.NoNewlineOld || !nl
			h.OldLines++
			i++
		} else {
			l, nl := strings.CutSuffix(b[j], "\n")
			h.Lines = append(h.Lines, "+"+l)
			h.NoNewlineNew = h.NoNewlineNew || !nl
			h.NewLines++
			j++
		}
	}
	flush()
	return f
}

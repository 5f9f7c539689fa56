// Package coverage provides gauntlet's coverage values: blocks of source with
// hit counts per file (Profile), the per-test coverage map that answers "which
// tests cover this line" (Map), readers for Go's cover profiles, an LCOV
// writer, and the content-keyed cache the maps live in. The test runners in
// analysis/testrun produce these values; the LSP, the command line and the
// closed loop query them.
package coverage

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
)

// Block is a piece of source that runs as a unit: a Go basic block, or one
// line for line-based tools (coverage.py, V8). Lines and columns are 1-based;
// a line-based block has zero columns.
type Block struct {
	StartLine int `json:"sl"`
	StartCol  int `json:"sc,omitempty"`
	EndLine   int `json:"el"`
	EndCol    int `json:"ec,omitempty"`
	Stmts     int `json:"n"` // statements in the block (1 for a line)
}

// Touches reports whether the block overlaps the lines [start, end). An empty
// range (start == end) is an insertion before line start: it touches a block
// only when it falls strictly inside it.
func (b Block) Touches(start, end int) bool {
	if start == end {
		return b.StartLine < start && start <= b.EndLine
	}
	return start <= b.EndLine && b.StartLine < end
}

// File is the coverage of one file: its blocks, sorted by position, and how
// often each ran.
type File struct {
	Path   string  // slash-separated, relative to the workspace root
	Blocks []Block // sorted
	Hits   []int   // parallel to Blocks
}

// Statements returns the number of statements covered and in total.
func (f *File) Statements() (covered, total int) {
	for i, b := range f.Blocks {
		total += b.Stmts
		if f.Hits[i] > 0 {
			covered += b.Stmts
		}
	}
	return covered, total
}

// Percent is the share of statements covered, 0..100; a file with no
// statements is 100% covered.
func (f *File) Percent() float64 { return percent(f.Statements()) }

// PercentIn is the share of statements covered among the blocks that lie
// within lines [startLine, endLine]; ok is false when there are none.
func (f *File) PercentIn(startLine, endLine int) (pct float64, ok bool) {
	covered, total := 0, 0
	for i, b := range f.Blocks {
		if b.StartLine >= startLine && b.EndLine <= endLine {
			total += b.Stmts
			if f.Hits[i] > 0 {
				covered += b.Stmts
			}
		}
	}
	if total == 0 {
		return 0, false
	}
	return percent(covered, total), true
}

// Uncovered returns the ranges of lines [start, end] (1-based, inclusive)
// that only uncovered blocks touch.
func (f *File) Uncovered() [][2]int {
	state := map[int]bool{} // line -> covered
	for i, b := range f.Blocks {
		for l := b.StartLine; l <= b.EndLine; l++ {
			if f.Hits[i] > 0 {
				state[l] = true
			} else if _, seen := state[l]; !seen {
				state[l] = false
			}
		}
	}
	var lines []int
	for l, cov := range state {
		if !cov {
			lines = append(lines, l)
		}
	}
	sort.Ints(lines)
	var out [][2]int
	for _, l := range lines {
		if n := len(out); n > 0 && out[n-1][1] == l-1 {
			out[n-1][1] = l
			continue
		}
		out = append(out, [2]int{l, l})
	}
	return out
}

func percent(covered, total int) float64 {
	if total == 0 {
		return 100
	}
	return float64(covered) * 100 / float64(total)
}

// Profile is coverage of a set of files.
type Profile struct {
	Files map[string]*File
}

// NewProfile returns an empty profile.
func NewProfile() *Profile { return &Profile{Files: map[string]*File{}} }

// Add records that block b of path ran hits times, merging with what is known.
func (p *Profile) Add(path string, b Block, hits int) {
	f := p.Files[path]
	if f == nil {
		f = &File{Path: path}
		p.Files[path] = f
	}
	i := sort.Search(len(f.Blocks), func(i int) bool { return !blockLess(f.Blocks[i], b) })
	if i < len(f.Blocks) && f.Blocks[i] == b {
		f.Hits[i] += hits
		return
	}
	f.Blocks = append(f.Blocks, Block{})
	copy(f.Blocks[i+1:], f.Blocks[i:])
	f.Blocks[i] = b
	f.Hits = append(f.Hits, 0)
	copy(f.Hits[i+1:], f.Hits[i:])
	f.Hits[i] = hits
}

// Merge adds o's counts to p.
func (p *Profile) Merge(o *Profile) {
	if o == nil {
		return
	}
	for path, f := range o.Files {
		for i, b := range f.Blocks {
			p.Add(path, b, f.Hits[i])
		}
	}
}

// Paths lists the files, sorted.
func (p *Profile) Paths() []string {
	return sortedKeys(p.Files)
}

// Percent is the share of all statements covered.
func (p *Profile) Percent() float64 {
	c, t := 0, 0
	for _, f := range p.Files {
		fc, ft := f.Statements()
		c, t = c+fc, t+ft
	}
	return percent(c, t)
}

// Filter returns the files for which keep is true.
func (p *Profile) Filter(keep func(path string) bool) *Profile {
	out := NewProfile()
	for k, f := range p.Files {
		if keep(k) {
			out.Files[k] = f
		}
	}
	return out
}

// sortedKeys lists m's keys, sorted; empty, not nil, for an empty map.
func sortedKeys[V any](m map[string]V) []string {
	out := slices.AppendSeq(make([]string, 0, len(m)), maps.Keys(m))
	slices.Sort(out)
	return out
}

func blockLess(a, b Block) bool {
	return cmp.Or(
		cmp.Compare(a.StartLine, b.StartLine),
		cmp.Compare(a.StartCol, b.StartCol),
		cmp.Compare(a.EndLine, b.EndLine),
		cmp.Compare(a.EndCol, b.EndCol),
	) < 0
}

// WriteLCOV writes p in the LCOV tracefile format (one record per file, DA
// lines with the highest count of the blocks on each line).
func (p *Profile) WriteLCOV(w io.Writer) error {
	for _, path := range p.Paths() {
		f := p.Files[path]
		lines := map[int]int{}
		for i, b := range f.Blocks {
			for l := b.StartLine; l <= b.EndLine; l++ {
				if h, ok := lines[l]; !ok || f.Hits[i] > h {
					lines[l] = f.Hits[i]
				}
			}
		}
		nums := make([]int, 0, len(lines))
		for l := range lines {
			nums = append(nums, l)
		}
		sort.Ints(nums)
		if _, err := fmt.Fprintf(w, "TN:\nSF:%s\n", path); err != nil {
			return err
		}
		hit := 0
		for _, l := range nums {
			if lines[l] > 0 {
				hit++
			}
			fmt.Fprintf(w, "DA:%d,%d\n", l, lines[l])
		}
		if _, err := fmt.Fprintf(w, "LF:%d\nLH:%d\nend_of_record\n", len(nums), hit); err != nil {
			return err
		}
	}
	return nil
}

package coverage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Map is the per-test coverage map: for every test, the blocks it ran. It
// is built by running each test alone with coverage, and it answers which
// tests cover a line and which an edit touches.
type Map struct {
	// Files lists the known blocks of each file (slash paths relative to the
	// workspace root), covered or not. Tests refer to them by index.
	Files map[string][]Block `json:"files"`
	// Tests maps test ids to the blocks each covers.
	Tests map[string]*TestCoverage `json:"tests"`
	// Base holds blocks that ran outside any test (at import or collection
	// time): they count as covered, but no test owns them.
	Base map[string][]int `json:"base,omitempty"`
	// Granularity is PerTest when every test's coverage is its own, and
	// PerFile when some runner could only measure whole test files (every
	// test of a file then shares the file's coverage).
	Granularity string `json:"granularity,omitempty"`
	// Built is set when some of the map was built by running tests now
	// rather than read from the cache (not stored).
	Built bool `json:"-"`

	index map[string]map[Block]int
}

// TestCoverage is what one test ran.
type TestCoverage struct {
	Covers map[string][]int `json:"covers"` // path -> indices into Map.Files[path]
	Status string           `json:"status,omitempty"`
}

// Granularities of a map.
const (
	PerTest = "test"
	PerFile = "file"
)

// NewMap returns an empty map.
func NewMap() *Map {
	return &Map{Files: map[string][]Block{}, Tests: map[string]*TestCoverage{}}
}

func (m *Map) blockIndex(path string, b Block) int {
	if m.index == nil {
		m.index = map[string]map[Block]int{}
	}
	idx := m.index[path]
	if idx == nil {
		idx = make(map[Block]int, len(m.Files[path]))
		for i, x := range m.Files[path] {
			idx[x] = i
		}
		m.index[path] = idx
	}
	if i, ok := idx[b]; ok {
		return i
	}
	i := len(m.Files[path])
	m.Files[path] = append(m.Files[path], b)
	idx[b] = i
	return i
}

// AddTest records the profile of a run of test id alone: its covered blocks
// are the test's, and every block of the profile becomes known. An empty id
// records blocks that ran outside any test. status ("pass", "fail", ...) is
// kept beside the coverage.
func (m *Map) AddTest(id, status string, p *Profile) {
	tc := &TestCoverage{Covers: map[string][]int{}, Status: status}
	for _, path := range p.Paths() {
		f := p.Files[path]
		for i, b := range f.Blocks {
			bi := m.blockIndex(path, b)
			if f.Hits[i] > 0 {
				tc.Covers[path] = append(tc.Covers[path], bi)
			}
		}
	}
	for path := range tc.Covers {
		sort.Ints(tc.Covers[path])
	}
	if id == "" {
		if m.Base == nil {
			m.Base = map[string][]int{}
		}
		for path, idx := range tc.Covers {
			m.Base[path] = mergeInts(m.Base[path], idx)
		}
		return
	}
	m.Tests[id] = tc
}

// Merge adds o's files and tests to m (a test of o replaces m's of that id).
func (m *Map) Merge(o *Map) {
	if o == nil {
		return
	}
	remap := func(path string, idx []int) []int {
		blocks := o.Files[path]
		out := make([]int, 0, len(idx))
		for _, i := range idx {
			if i >= 0 && i < len(blocks) {
				out = append(out, m.blockIndex(path, blocks[i]))
			}
		}
		sort.Ints(out)
		return out
	}
	for path, blocks := range o.Files {
		for _, b := range blocks {
			m.blockIndex(path, b)
		}
	}
	m.Built = m.Built || o.Built
	if o.Granularity == PerFile || m.Granularity == "" {
		m.Granularity = o.Granularity
	}
	for id, tc := range o.Tests {
		n := &TestCoverage{Covers: map[string][]int{}, Status: tc.Status}
		for path, idx := range tc.Covers {
			n.Covers[path] = remap(path, idx)
		}
		m.Tests[id] = n
	}
	for path, idx := range o.Base {
		if m.Base == nil {
			m.Base = map[string][]int{}
		}
		m.Base[path] = mergeInts(m.Base[path], remap(path, idx))
	}
}

func mergeInts(a, b []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, x := range append(append([]int(nil), a...), b...) {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Ints(out)
	return out
}

// TestIDs lists the tests in the map, sorted.
func (m *Map) TestIDs() []string {
	return sortedKeys(m.Tests)
}

// TestsAt lists the tests that cover line (1-based) of path, sorted.
func (m *Map) TestsAt(path string, line int) []string {
	return m.Touch(path, line, line+1, nil).Tests
}

// Touch is what an edit of some lines of a file meets in the map.
type Touch struct {
	Tests     []string // tests that ran a block the lines touch, sorted
	Uncovered bool     // some touched block ran in no test and not at load time
	// Outside: some changed text lies in no block (a declaration, an
	// import, a case label, a signature), or only in blocks that ran
	// outside any test; the map cannot say which tests see it.
	Outside bool
}

// Touch reports what changing the lines [start, end) of path meets. An
// empty range is an insertion before line start. content is the file's text
// before the change; with it, a line counts as inside blocks only when they
// span all of its text from the first to the last non-blank column (a Go
// block starts after the "{" of "if x {", and "case 1:" is in none).
// Without it, lines are whole.
func (m *Map) Touch(path string, start, end int, content []byte) Touch {
	var t Touch
	blocks := m.Files[path]
	owners := map[int][]string{}
	for id, tc := range m.Tests {
		for _, i := range tc.Covers[path] {
			owners[i] = append(owners[i], id)
		}
	}
	base := map[int]bool{}
	for _, i := range m.Base[path] {
		base[i] = true
	}
	tests := map[string]bool{}
	for i, b := range blocks {
		if !b.Touches(start, end) {
			continue
		}
		if len(owners[i]) == 0 && !base[i] {
			t.Uncovered = true
		}
		for _, id := range owners[i] {
			tests[id] = true
		}
	}
	if start == end {
		inside := false
		for i, b := range blocks {
			if b.Touches(start, end) && !base[i] {
				inside = true
			}
		}
		t.Outside = !inside
	} else {
		var lines [][]byte
		if content != nil {
			lines = bytes.Split(content, []byte("\n"))
		}
		for l := start; l < end && !t.Outside; l++ {
			first, last := 1, 1<<30 // the line's text, columns [first, last)
			if l-1 < len(lines) {
				text := bytes.TrimRight(lines[l-1], " \t\r")
				trimmed := bytes.TrimLeft(text, " \t")
				if len(trimmed) == 0 {
					first, last = 1, 1
				} else {
					first, last = len(text)-len(trimmed)+1, len(text)+1
				}
			}
			t.Outside = !spanned(blocks, base, l, first, last)
		}
	}
	for id := range tests {
		t.Tests = append(t.Tests, id)
	}
	sort.Strings(t.Tests)
	return t
}

// spanned reports whether the blocks (not those run only at load time)
// together cover columns [first, last) of line l. Line-based blocks (no
// columns) cover their lines whole; a blank line counts as covered when any
// block spans it.
func spanned(blocks []Block, base map[int]bool, l, first, last int) bool {
	type iv struct{ lo, hi int }
	var ivs []iv
	for i, b := range blocks {
		if base[i] || b.StartLine > l || b.EndLine < l {
			continue
		}
		lo, hi := 1, 1<<30
		if b.StartCol > 0 && b.StartLine == l {
			lo = b.StartCol
		}
		if b.EndCol > 0 && b.EndLine == l {
			hi = b.EndCol
		}
		ivs = append(ivs, iv{lo, hi})
	}
	if len(ivs) == 0 {
		return false
	}
	if first >= last {
		return true
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].lo < ivs[j].lo })
	at := first
	for _, v := range ivs {
		if v.lo > at {
			break
		}
		if v.hi > at {
			at = v.hi
		}
	}
	return at >= last
}

// Profile returns the union of the map: each block's hits are the number of
// tests that ran it (blocks run at load time count once).
func (m *Map) Profile() *Profile {
	p := NewProfile()
	hits := map[string][]int{}
	for path, blocks := range m.Files {
		hits[path] = make([]int, len(blocks))
	}
	for _, tc := range m.Tests {
		for path, idx := range tc.Covers {
			for _, i := range idx {
				if i < len(hits[path]) {
					hits[path][i]++
				}
			}
		}
	}
	for path, idx := range m.Base {
		for _, i := range idx {
			if i < len(hits[path]) && hits[path][i] == 0 {
				hits[path][i] = 1
			}
		}
	}
	for path, blocks := range m.Files {
		for i, b := range blocks {
			p.Add(path, b, hits[path][i])
		}
	}
	return p
}

// Function summarises the lines [startLine, endLine] of path (a function's
// extent): the tests that cover any of its blocks and the share of its
// statements covered. ok is false when the map knows no block there.
func (m *Map) Function(path string, startLine, endLine int) (tests []string, pct float64, ok bool) {
	f := m.Profile().Files[path]
	if f == nil {
		return nil, 0, false
	}
	pct, ok = f.PercentIn(startLine, endLine)
	if !ok {
		return nil, 0, false
	}
	return m.Touch(path, startLine, endLine+1, nil).Tests, pct, true
}

// MarshalJSON writes a block as [sl, sc, el, ec, n] to keep maps small.
func (b Block) MarshalJSON() ([]byte, error) {
	return json.Marshal([5]int{b.StartLine, b.StartCol, b.EndLine, b.EndCol, b.Stmts})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (b *Block) UnmarshalJSON(data []byte) error {
	var a [5]int
	if err := json.Unmarshal(data, &a); err != nil {
		return fmt.Errorf("coverage block: %w", err)
	}
	*b = Block{a[0], a[1], a[2], a[3], a[4]}
	return nil
}

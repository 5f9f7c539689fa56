package analysis

import (
	"fmt"
	"sort"
	"unicode/utf16"
	"unicode/utf8"
)

// Encoding is the unit in which a column counts characters. Tree-sitter and
// rdjson count UTF-8 bytes, LSP counts UTF-16 code units by default, SARIF
// counts Unicode code points. Mapper is the one place that converts.
type Encoding int

const (
	UTF8  Encoding = iota // bytes
	UTF16                 // UTF-16 code units (LSP's default)
	UTF32                 // Unicode code points (SARIF's default)
)

func (e Encoding) String() string {
	switch e {
	case UTF8:
		return "utf-8"
	case UTF16:
		return "utf-16"
	case UTF32:
		return "utf-32"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// Mapper converts between byte offsets in one file's content and
// (line, column) positions in any Encoding. Lines and columns are 0-based;
// lines end at "\n" (a "\r" before it belongs to the line break).
// Invalid UTF-8 counts one unit per byte in every encoding.
type Mapper struct {
	content []byte
	lines   []int // byte offset of the start of each line
}

// NewMapper indexes content. Building it costs one pass over the content.
func NewMapper(content []byte) *Mapper {
	lines := make([]int, 1, 1+len(content)/32)
	for i, b := range content {
		if b == '\n' {
			lines = append(lines, i+1)
		}
	}
	return &Mapper{content: content, lines: lines}
}

// LineCount is the number of lines (a file ending in "\n" has an empty last line).
func (m *Mapper) LineCount() int { return len(m.lines) }

// LineStart returns the byte offset at which line (0-based) starts.
func (m *Mapper) LineStart(line int) int { return m.lines[line] }

// LineRange returns the byte range [start, end) of line (0-based), its line
// break included: end is the next line's start (the content's length for
// the last line), so that consecutive lines tile the content. It is the
// one place that computes "the bytes of line N": see the analysis test
// TestLineArithmeticInMapper.
func (m *Mapper) LineRange(line int) (start, end int) {
	start = m.lines[line]
	end = len(m.content)
	if line+1 < len(m.lines) {
		end = m.lines[line+1]
	}
	return start, end
}

// LineText returns the text of line (0-based) without its line break
// ("\n" or "\r\n").
func (m *Mapper) LineText(line int) string {
	return string(m.content[m.lines[line]:m.lineEnd(line)])
}

// lineEnd is the offset of the end of the line's text, before "\r\n" or "\n".
func (m *Mapper) lineEnd(line int) int {
	end := len(m.content)
	if line+1 < len(m.lines) {
		end = m.lines[line+1] - 1
		if end > m.lines[line] && m.content[end-1] == '\r' {
			end--
		}
	}
	return end
}

// Line returns the 0-based line that contains offset (clamped to the content).
func (m *Mapper) Line(offset int) int {
	if offset < 0 {
		offset = 0
	}
	if offset > len(m.content) {
		offset = len(m.content)
	}
	return sort.Search(len(m.lines), func(i int) bool { return m.lines[i] > offset }) - 1
}

// Position returns the 0-based line and column of offset, the column counted
// in enc. Offsets past the end are clamped; an offset inside a multi-byte
// character counts as that character's start.
func (m *Mapper) Position(offset int, enc Encoding) (line, col int) {
	if offset < 0 {
		offset = 0
	}
	if offset > len(m.content) {
		offset = len(m.content)
	}
	line = m.Line(offset)
	start := m.lines[line]
	if enc == UTF8 {
		return line, offset - start
	}
	return line, countUnits(m.content[start:offset], enc)
}

// Offset returns the byte offset of the 0-based (line, col), col counted in
// enc. A line past the end is an error; a column past the end of its line
// means the end of the line (as the LSP specification says), and a column in
// the middle of a character rounds down to its start.
func (m *Mapper) Offset(line, col int, enc Encoding) (int, error) {
	if line < 0 || col < 0 {
		return 0, fmt.Errorf("position %d:%d is negative", line, col)
	}
	if line >= len(m.lines) {
		// The position just after a final newline-less line is the end.
		return 0, fmt.Errorf("line %d is past the end of the document (%d lines)", line, len(m.lines))
	}
	start, end := m.lines[line], m.lineEnd(line)
	if enc == UTF8 {
		off := start + col
		if off > end {
			off = end
		}
		for off > start && !utf8.RuneStart(m.content[off]) && off < len(m.content) {
			off--
		}
		return off, nil
	}
	units := 0
	for off := start; off < end; {
		r, size := utf8.DecodeRune(m.content[off:end])
		n := 1
		if enc == UTF16 && r != utf8.RuneError && utf16.RuneLen(r) == 2 {
			n = 2
		}
		if units+n > col {
			return off, nil
		}
		units += n
		off += size
	}
	return end, nil
}

// Point returns the tree-sitter point (row, byte column) of offset.
func (m *Mapper) Point(offset int) (row, col uint32) {
	l, c := m.Position(offset, UTF8)
	return uint32(l), uint32(c)
}

func countUnits(b []byte, enc Encoding) int {
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if enc == UTF16 && r != utf8.RuneError && utf16.RuneLen(r) == 2 {
			n += 2
		} else {
			n++
		}
		b = b[size:]
	}
	return n
}

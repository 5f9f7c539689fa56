package lsp

import (
	"fmt"
	"strings"

	lsp "github.com/sourcegraph/go-lsp"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// This file is the only place in the package that converts between LSP
// positions and byte offsets, and it does so only through analysis.Mapper.
// TestOneConverter keeps it that way.

// encodingFor chooses the position encoding from what the client offers:
// UTF-8 when it offers it (it costs no conversion), else LSP's default UTF-16.
func encodingFor(offered []string) analysis.Encoding {
	for _, e := range offered {
		if e == encodingUTF8 {
			return analysis.UTF8
		}
	}
	return analysis.UTF16
}

func encodingName(enc analysis.Encoding) string {
	switch enc {
	case analysis.UTF8:
		return encodingUTF8
	case analysis.UTF32:
		return encodingUTF32
	}
	return encodingUTF16
}

// toPosition converts a byte offset.
func toPosition(m *analysis.Mapper, offset int, enc analysis.Encoding) lsp.Position {
	line, col := m.Position(offset, enc)
	return lsp.Position{Line: line, Character: col}
}

// toRange converts a byte range.
func toRange(m *analysis.Mapper, start, end int, enc analysis.Encoding) lsp.Range {
	return lsp.Range{Start: toPosition(m, start, enc), End: toPosition(m, end, enc)}
}

// fromPosition converts an LSP position. As the specification says, a
// character past the end of its line means the end of the line; a line past
// the end of the document is an error.
func fromPosition(m *analysis.Mapper, p lsp.Position, enc analysis.Encoding) (int, error) {
	return m.Offset(p.Line, p.Character, enc)
}

// fromRange converts an LSP range to byte offsets.
func fromRange(m *analysis.Mapper, r lsp.Range, enc analysis.Encoding) (start, end int, err error) {
	start, err = fromPosition(m, r.Start, enc)
	if err != nil {
		return 0, 0, fmt.Errorf("range start %d:%d: %w", r.Start.Line, r.Start.Character, err)
	}
	end, err = fromPosition(m, r.End, enc)
	if err != nil {
		return 0, 0, fmt.Errorf("range end %d:%d: %w", r.End.Line, r.End.Character, err)
	}
	if end < start {
		return 0, 0, fmt.Errorf("range %d:%d-%d:%d ends before it starts", r.Start.Line, r.Start.Character, r.End.Line, r.End.Character)
	}
	return start, end, nil
}

// lineSpan is the byte range of 1-based line n of the content m maps,
// without its indentation and line break; ok is false past the end.
func lineSpan(m *analysis.Mapper, n int) (start, end int, ok bool) {
	if n < 1 || n > m.LineCount() {
		return 0, 0, false
	}
	start, _ = m.LineRange(n - 1)
	text := m.LineText(n - 1)
	indent := len(text) - len(strings.TrimLeft(text, " \t"))
	return start + indent, start + len(text), true
}

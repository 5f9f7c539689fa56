package analysis

import (
	"fmt"
	"sort"
)

// TextEdit replaces the bytes [Start, End) of the file at Path with NewText.
// Offsets are byte offsets into the file's content. Model edits, rule fixes and
// plugin fixes all share this one type.
type TextEdit struct {
	Path    string `json:"path"`
	Start   int    `json:"start"`
	End     int    `json:"end"`
	NewText string `json:"new_text"`
}

// Fix is a proposed change: a title and edits, possibly across several files.
// A fix is only a proposal; it is verified before anyone applies it.
type Fix struct {
	Title string     `json:"title"`
	Edits []TextEdit `json:"edits"`
}

// ApplyEdits returns content with edits applied. All edits refer to offsets in
// the original content. Edits out of range or overlapping each other are
// rejected; inserts at the same offset are applied in the order given.
func ApplyEdits(content []byte, edits []TextEdit) ([]byte, error) {
	if len(edits) == 0 {
		return content, nil
	}
	sorted := make([]TextEdit, len(edits))
	copy(sorted, edits)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Start != sorted[j].Start {
			return sorted[i].Start < sorted[j].Start
		}
		return sorted[i].End < sorted[j].End
	})
	out := make([]byte, 0, len(content))
	last := 0
	for i, e := range sorted {
		if e.Start < 0 || e.End < e.Start || e.End > len(content) {
			return nil, fmt.Errorf("edit [%d,%d) out of range (file has %d bytes)", e.Start, e.End, len(content))
		}
		if e.Start < last {
			p := sorted[i-1]
			return nil, fmt.Errorf("edits overlap: [%d,%d) and [%d,%d)", p.Start, p.End, e.Start, e.End)
		}
		out = append(out, content[last:e.Start]...)
		out = append(out, e.NewText...)
		last = e.End
	}
	return append(out, content[last:]...), nil
}

// EditsByPath groups edits by the file they change, keeping their order.
func EditsByPath(edits []TextEdit) map[string][]TextEdit {
	m := map[string][]TextEdit{}
	for _, e := range edits {
		m[e.Path] = append(m[e.Path], e)
	}
	return m
}

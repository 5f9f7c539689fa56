package analysis

import (
	"bytes"
	"slices"
)

// SuppressMarker is the comment text that silences findings inline.
const SuppressMarker = "gauntlet:ignore"

// AstGrepSuppressMarker is ast-grep's, honoured too so that an ast-grep
// project's suppressions keep working: `// ast-grep-ignore` or
// `// ast-grep-ignore: id1, id2`, on the line or the line above.
const AstGrepSuppressMarker = "ast-grep-ignore"

// Suppress returns diags without those an inline comment silences:
//
//	x := f() // gauntlet:ignore go-println,go-defer-in-loop
//
//	// gauntlet:ignore go-println -- reason
//	fmt.Println(x)
//
// A comment containing the marker applies to its own line and, when only
// whitespace precedes it on its line, to the next line too. A list of ids
// (comma-separated) silences those ids' findings; the marker alone silences
// every finding there. A finding belongs to the line it starts on. Every
// driver (check, the LSP, the closed loop) calls this on each file's
// diagnostics; diags is not modified.
func Suppress(f *File, diags []Diagnostic) []Diagnostic {
	if len(diags) == 0 || !bytes.Contains(f.Content, []byte(SuppressMarker)) && !bytes.Contains(f.Content, []byte(AstGrepSuppressMarker)) {
		return diags
	}
	lines := suppressions(f)
	if len(lines) == 0 {
		return diags
	}
	m := f.Mapper()
	out := make([]Diagnostic, 0, len(diags))
	for _, d := range diags {
		if s, ok := lines[m.Line(d.Start)]; ok && (s.all || slices.Contains(s.ids, d.Code)) {
			continue
		}
		out = append(out, d)
	}
	return out
}

type suppression struct {
	all bool
	ids []string
}

// suppressions finds the marker comments of f, by the 0-based lines they cover.
func suppressions(f *File) map[int]*suppression {
	tokens := []string{"//", "#", "/*", "<!--", "--"}
	if f.Lang != nil && f.Lang.LineComment != "" {
		tokens = []string{f.Lang.LineComment}
		if f.Lang.LineComment == "//" {
			tokens = append(tokens, "/*")
		}
	}
	content := f.Content
	m := f.Mapper()
	out := map[int]*suppression{}
	add := func(line int, all bool, ids []string) {
		s := out[line]
		if s == nil {
			s = &suppression{}
			out[line] = s
		}
		s.all = s.all || all
		s.ids = append(s.ids, ids...)
	}
	for _, marker := range []string{SuppressMarker, AstGrepSuppressMarker} {
		findMarkers(content, m, marker, tokens, add)
	}
	return out
}

// findMarkers finds one marker's comments in content.
func findMarkers(content []byte, m *Mapper, marker string, tokens []string, add func(line int, all bool, ids []string)) {
	for off := 0; ; {
		i := bytes.Index(content[off:], []byte(marker))
		if i < 0 {
			break
		}
		at := off + i
		off = at + len(marker)
		if off < len(content) && isIDByte(content[off]) {
			continue // gauntlet:ignored, gauntlet:ignore-foo: not the marker
		}
		line := m.Line(at)
		prefix := content[m.LineStart(line):at]
		start := -1
		for _, t := range tokens {
			if j := bytes.Index(prefix, []byte(t)); j >= 0 && (start < 0 || j < start) {
				start = j
			}
		}
		if start < 0 {
			continue // not in a comment
		}
		rest := content[off:]
		if marker == AstGrepSuppressMarker && len(rest) > 0 && rest[0] == ':' {
			rest = rest[1:]
		}
		ids := parseIDs(rest)
		add(line, len(ids) == 0, ids)
		if len(bytes.TrimSpace(prefix[:start])) == 0 {
			add(line+1, len(ids) == 0, ids)
		}
	}
}

// parseIDs reads " id1,id2, id3" up to the first thing that is not part of
// the list (a reason, the end of the comment, the end of the line).
func parseIDs(b []byte) []string {
	var ids []string
	i := 0
	skipBlanks := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			i++
		}
	}
	skipBlanks()
	for {
		j := i
		if j < len(b) && (b[j] == '-' || b[j] == '_') {
			break // "-- reason"
		}
		for j < len(b) && isIDByte(b[j]) && b[j] != '_' {
			j++
		}
		if j == i {
			break
		}
		ids = append(ids, string(b[i:j]))
		i = j
		skipBlanks()
		if i < len(b) && b[i] == ',' {
			i++
			skipBlanks()
			continue
		}
		break
	}
	return ids
}

func isIDByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

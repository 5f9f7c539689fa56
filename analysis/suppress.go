package analysis

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"unicode"

	sitter "github.com/smacker/go-tree-sitter"
)

// SuppressMarker is the comment text that silences findings inline.
const SuppressMarker = "gauntlet:ignore"

// AstGrepSuppressMarker is ast-grep's, honoured too, as ast-grep reads it,
// so that an ast-grep project's suppressions keep working (see
// astGrepSuppressions): `// ast-grep-ignore` or `// ast-grep-ignore: id1, id2`
// after code covers the line the code starts on; alone on its line, the next
// line; alone on the first line with a blank line after it, the whole file.
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
	ag, agOK := astGrepSuppressions(f)
	if !agOK && bytes.Contains(f.Content, []byte(AstGrepSuppressMarker)) {
		// no syntax tree: the marker read as gauntlet's, by the text
		findMarkers(f.Content, f.Mapper(), AstGrepSuppressMarker, commentTokens(f), lines.add)
	}
	if len(lines) == 0 && len(ag.lines) == 0 && ag.file == nil {
		return diags
	}
	m := f.Mapper()
	out := make([]Diagnostic, 0, len(diags))
	for _, d := range diags {
		l := m.Line(d.Start)
		if lines[l].covers(d.Code) || ag.lines[l].covers(d.Code) || ag.file.covers(d.Code) {
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

// covers says whether s silences a finding of the code.
func (s *suppression) covers(code string) bool {
	return s != nil && (s.all || slices.Contains(s.ids, code))
}

// lineSuppressions are suppressions by the 0-based lines they cover.
type lineSuppressions map[int]*suppression

func (ls lineSuppressions) add(line int, all bool, ids []string) {
	s := ls[line]
	if s == nil {
		s = &suppression{}
		ls[line] = s
	}
	s.all = s.all || all
	s.ids = append(s.ids, ids...)
}

// commentTokens are the tokens that may start a comment in f.
func commentTokens(f *File) []string {
	if f.Lang != nil && f.Lang.LineComment != "" {
		tokens := []string{f.Lang.LineComment}
		if f.Lang.LineComment == "//" {
			tokens = append(tokens, "/*")
		}
		return tokens
	}
	return []string{"//", "#", "/*", "<!--", "--"}
}

// suppressions finds gauntlet's marker comments in f's text.
func suppressions(f *File) lineSuppressions {
	out := lineSuppressions{}
	findMarkers(f.Content, f.Mapper(), SuppressMarker, commentTokens(f), out.add)
	return out
}

// astGrepSuppression is what ast-grep's comments silence in a file.
type astGrepSuppression struct {
	file  *suppression     // the whole file
	lines lineSuppressions // by the line a comment covers; the last one wins
}

// astGrepSuppressions reads f's ast-grep-ignore comments as ast-grep 0.51
// does (crates/config/src/combined.rs): every comment node of the syntax
// tree whose text contains the marker. One that shares its line with the
// end of its previous sibling covers the line that sibling starts on;
// another covers the next line, or, on the first line with no sibling
// before the third line, the whole file. ok is false when f has no tree.
func astGrepSuppressions(f *File) (ag astGrepSuppression, ok bool) {
	if !bytes.Contains(f.Content, []byte(AstGrepSuppressMarker)) || f.Lang == nil {
		return ag, false
	}
	tree, err := f.Tree(context.Background())
	if err != nil {
		return ag, false
	}
	defer tree.Close()
	ag.lines = lineSuppressions{}
	c := sitter.NewTreeCursor(tree.RootNode())
	defer c.Close()
	for {
		n := c.CurrentNode()
		if strings.Contains(n.Type(), "comment") && bytes.Contains(f.Content[n.StartByte():n.EndByte()], []byte(AstGrepSuppressMarker)) {
			s := astGrepIDs(string(f.Content[n.StartByte():n.EndByte()]))
			line := int(n.StartPoint().Row)
			prev := n.PrevSibling()
			for prev != nil && len(bytes.TrimSpace(f.Content[prev.StartByte():prev.EndByte()])) == 0 {
				// a grammar's newline token (Go's "\n" ends the line
				// before): not code on the comment's line
				prev = prev.PrevSibling()
			}
			switch next := n.NextSibling(); {
			case prev != nil && int(prev.EndPoint().Row) == line:
				ag.lines[int(prev.StartPoint().Row)] = s
			case line == 0 && (next == nil || next.StartPoint().Row >= 2):
				ag.file = s
			default:
				ag.lines[line+1] = s
			}
		}
		if c.GoToFirstChild() {
			continue
		}
		for !c.GoToNextSibling() {
			if !c.GoToParent() {
				return ag, true
			}
		}
	}
}

// astGrepIDs reads a comment as ast-grep does: the ids after the marker
// and a colon, each the first word of a comma-separated item
// ("ast-grep-ignore: a, b -- why" silences a and b); without a colon,
// every rule.
func astGrepIDs(comment string) *suppression {
	_, after, _ := strings.Cut(comment, AstGrepSuppressMarker)
	_, list, ok := strings.Cut(strings.TrimSpace(after), ":")
	if !ok {
		return &suppression{all: true}
	}
	s := &suppression{}
	for _, item := range strings.Split(list, ",") {
		id, _, _ := strings.Cut(strings.TrimLeftFunc(item, unicode.IsSpace), " ")
		s.ids = append(s.ids, id)
	}
	return s
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

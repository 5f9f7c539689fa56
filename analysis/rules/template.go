package rules

import (
	"fmt"
	"strings"
)

// template is a message or replacement in which {{name}} inserts the text
// of capture @name (spaces inside the braces are allowed).
type template struct {
	pieces []piece
}

type piece struct {
	text    string
	capture string // set for {{capture}}
}

func parseTemplate(s string) (*template, error) {
	t := &template{}
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			if s != "" {
				t.pieces = append(t.pieces, piece{text: s})
			}
			return t, nil
		}
		if i > 0 {
			t.pieces = append(t.pieces, piece{text: s[:i]})
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("unclosed {{ in %q", s)
		}
		name := strings.TrimPrefix(strings.TrimSpace(s[i+2:i+j]), "@")
		if name == "" || strings.ContainsAny(name, " \t\n{}") {
			return nil, fmt.Errorf("bad capture reference {{%s}} (want {{name}})", s[i+2:i+j])
		}
		t.pieces = append(t.pieces, piece{capture: name})
		s = s[i+j+2:]
	}
}

// unknown returns the first capture the template names that known rejects.
func (t *template) unknown(known func(string) bool) string {
	for _, p := range t.pieces {
		if p.capture != "" && !known(p.capture) {
			return p.capture
		}
	}
	return ""
}

// expand fills in captures' text; a capture that did not match inserts "".
func (t *template) expand(lookup func(string) string) string {
	if len(t.pieces) == 1 && t.pieces[0].capture == "" {
		return t.pieces[0].text
	}
	var b strings.Builder
	for _, p := range t.pieces {
		if p.capture != "" {
			b.WriteString(lookup(p.capture))
		} else {
			b.WriteString(p.text)
		}
	}
	return b.String()
}

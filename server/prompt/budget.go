package prompt

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/server/model"
)

// part is one piece of a message, with how much it matters and how to make
// it smaller.
type part struct {
	prio  int
	text  string
	trim  func(n int) string // a version of at most n bytes, "" if none; nil: all or nothing
	floor string             // kept when nothing else fits (an omitted answer's placeholder)
	out   string             // what fit
}

type message struct {
	role  model.Role
	parts []*part
}

func (m *message) add(prio int, text string, trim func(int) string) *part {
	p := &part{prio: prio, text: text, trim: trim}
	m.parts = append(m.parts, p)
	return p
}

const sep = "\n\n"

func (m *message) render() string {
	var outs []string
	for _, p := range m.parts {
		if p.out != "" {
			outs = append(outs, p.out)
		}
	}
	return strings.Join(outs, sep)
}

type builder struct {
	messages []*message
}

func (b *builder) message(role model.Role) *message {
	m := &message{role: role}
	b.messages = append(b.messages, m)
	return m
}

// fit shares avail bytes out: fixed parts and floors first, then the other
// parts from the most important down, each whole if it fits, else trimmed to
// what is left, else dropped.
func (b *builder) fit(avail int) {
	var parts []*part
	used := 0
	for _, m := range b.messages {
		for _, p := range m.parts {
			switch {
			case p.prio >= prioFixed:
				p.out = p.text
				used += len(p.text) + len(sep)
			default:
				p.out = p.floor
				if p.floor != "" {
					used += len(p.floor) + len(sep)
				}
				parts = append(parts, p)
			}
		}
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].prio > parts[j].prio })
	for _, p := range parts {
		rem := avail - used
		if p.floor != "" {
			rem += len(p.floor) // already counted
		} else {
			rem -= len(sep)
		}
		out := p.floor
		switch {
		case len(p.text) <= rem:
			out = p.text
		case p.trim != nil && rem >= minPart:
			if t := p.trim(rem); t != "" && len(t) <= rem {
				out = t
			}
		}
		if p.floor != "" {
			used += len(out) - len(p.floor)
		} else if out != "" {
			used += len(out) + len(sep)
		}
		p.out = out
	}
}

// dataBlock is a titled fenced block, with a fence longer than any run of
// backticks in body so that the data cannot close it.
func dataBlock(title, lang, body string) string {
	if body != "" && !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	f := fence(body)
	return title + "\n" + f + lang + "\n" + body + f
}

// shrink returns the trim function of a data block whose body cut makes
// smaller: a block of at most n bytes, or "" when too little would be left.
func shrink(title, lang, body string, cut func(string, int) string) func(int) string {
	return func(n int) string {
		short := cut(body, n-len(title)-2*len(fence(body))-len(lang)-4)
		if strings.TrimSpace(short) == "" {
			return ""
		}
		return dataBlock(title, lang, short)
	}
}

func fence(body string) string {
	longest, run := 0, 0
	for i := 0; i < len(body); i++ {
		if body[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// codePart is the code around the problem.
type codePart struct {
	path, lang           string
	content              []byte
	mapper               *analysis.Mapper
	span                 Span
	focusStart, focusEnd int // 0-based lines of the problem
}

func (c codePart) lineEnd(l int) int {
	_, end := c.mapper.LineRange(l)
	return end
}

// render shows the span whole if it fits in n bytes, else the lines around
// the problem that do, or "".
func (c codePart) render(n int) string {
	first := c.mapper.Line(c.span.Start)
	last := c.mapper.Line(max(c.span.End-1, c.span.Start))
	what := "the " + c.span.String() + " that holds the problem"
	if c.span.Kind == "lines" {
		what = "around the problem"
	}
	title := fmt.Sprintf("%s, lines %d-%d, %s (repository data):", c.path, first+1, last+1, what)
	full := dataBlock(title, c.lang, string(c.content[c.span.Start:c.span.End]))
	if len(full) <= n {
		return full
	}
	title = fmt.Sprintf("%s, lines %%d-%%d of the %d-%d %s, cut to fit (repository data):", c.path, first+1, last+1, strings.TrimPrefix(what, "the "))
	overhead := len(title) + 2*len(fence(string(c.content[c.span.Start:c.span.End]))) + len(c.lang) + 16
	size := func(lo, hi int) int { return c.lineEnd(hi) - c.mapper.LineStart(lo) }
	lo := min(max(c.focusStart, first), last)
	hi := min(max(c.focusEnd, lo), last)
	for hi > lo && size(lo, hi)+overhead > n {
		hi--
	}
	for grown := true; grown; {
		grown = false
		if lo > first && size(lo-1, hi)+overhead <= n {
			lo, grown = lo-1, true
		}
		if hi < last && size(lo, hi+1)+overhead <= n {
			hi, grown = hi+1, true
		}
	}
	out := dataBlock(fmt.Sprintf(title, lo+1, hi+1), c.lang, string(c.content[c.mapper.LineStart(lo):c.lineEnd(hi)]))
	if len(out) > n {
		return ""
	}
	return out
}

// trimMiddle keeps the start and (more of) the end of s within n bytes,
// cutting at line breaks where it can: test output says what ran first and
// what failed last.
func trimMiddle(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n < 60 {
		return ""
	}
	keep := n - 40 // the marker's room
	head := keep / 3
	h := cutBack(s, head)
	if i := strings.LastIndexByte(h, '\n'); i > len(h)/2 {
		h = h[:i]
	}
	t := s[len(s)-(keep-head):]
	for len(t) > 0 && !utf8.RuneStart(t[0]) {
		t = t[1:]
	}
	if i := strings.IndexByte(t, '\n'); i >= 0 && i < len(t)/2 {
		t = t[i+1:]
	}
	return h + fmt.Sprintf("\n… (%d bytes left out) …\n", len(s)-len(h)-len(t)) + t
}

// trimHead keeps the start of s within n bytes.
func trimHead(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const marker = "\n… (cut short)"
	if n < len(marker)+20 {
		return ""
	}
	h := cutBack(s, n-len(marker))
	if i := strings.LastIndexByte(h, '\n'); i > len(h)/2 {
		h = h[:i]
	}
	return h + marker
}

// cutBack returns s[:n], backing off to a character boundary.
func cutBack(s string, n int) string {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

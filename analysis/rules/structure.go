package rules

// checkStructure rejects the query shapes that tree-sitter's ts_query_new
// does not survive: a parenthesized group with predicates but no node
// pattern, which crashes it when captured or made optional (`((#p)) @c`,
// `((#p))?`) and makes it loop forever when repeated (`((#p))+`). A
// predicate must share its parentheses with a node pattern, and every
// alternative of [...] must be one. Anything else is left to tree-sitter,
// which reports its own errors; the returned offset is where the problem is.
func checkStructure(q string) (offset int, err error) {
	p := &shapeParser{toks: tokenize(q)}
	defer func() {
		if r := recover(); r != nil {
			if se, ok := r.(shapeError); ok {
				offset, err = se.at, se
			} else {
				panic(r)
			}
		}
	}()
	for p.i < len(p.toks) {
		start := p.peek().at
		kind := p.elem()
		if kind == shapePredicate {
			panic(shapeError{start, "a predicate must be inside the parentheses of the pattern it tests, as in ((identifier) @x (#eq? @x \"y\"))"})
		}
		if kind == shapeEmpty {
			panic(shapeError{start, "a group with no node pattern in it"})
		}
	}
	return 0, nil
}

type shapeError struct {
	at  int
	msg string
}

func (e shapeError) Error() string { return e.msg }

type token struct {
	kind byte // ( ) [ ] " @ # ! . q(uantifier) f(ield) n(ame) ?(unknown)
	at   int
}

func tokenize(q string) []token {
	var out []token
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == ';':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '"':
			start := i
			for i++; i < len(q) && q[i] != '"'; i++ {
				if q[i] == '\\' {
					i++
				}
			}
			i++
			out = append(out, token{'"', start})
		case c == '(' || c == ')' || c == '[' || c == ']' || c == '.':
			out = append(out, token{c, i})
			i++
		case c == '*' || c == '+' || c == '?':
			out = append(out, token{'q', i})
			i++
		case c == '@' || c == '#' || c == '!':
			start := i
			for i++; i < len(q) && (isNameByte(q[i]) || q[i] == '?' || q[i] == '!'); i++ {
			}
			out = append(out, token{c, start})
		case isNameByte(c):
			start := i
			for i < len(q) && isNameByte(q[i]) {
				i++
			}
			if i < len(q) && q[i] == ':' {
				i++
				out = append(out, token{'f', start})
			} else {
				out = append(out, token{'n', start})
			}
		default:
			out = append(out, token{'?', i})
			i++
		}
	}
	return out
}

type shape int

const (
	shapeNode      shape = iota // a node pattern: (type ...), _, "text", or a group or alternation of them
	shapePredicate              // (#name? ...)
	shapeEmpty                  // a group with no node pattern
	shapeOther                  // something tree-sitter will judge
)

type shapeParser struct {
	toks []token
	i    int
}

func (p *shapeParser) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return token{0, -1}
}

func (p *shapeParser) next() token {
	t := p.peek()
	if p.i < len(p.toks) {
		p.i++
	}
	return t
}

// elem reads one element with its modifiers (field name, anchors,
// quantifiers, captures) and says what it is.
func (p *shapeParser) elem() shape {
	for k := p.peek().kind; k == 'f' || k == '!' || k == '.'; k = p.peek().kind {
		p.next()
		if k == '!' {
			return shapeOther // !field stands alone
		}
	}
	t := p.next()
	var s shape
	switch t.kind {
	case '(':
		s = p.group(t)
	case '[':
		for p.peek().kind != ']' && p.peek().kind != 0 {
			at := p.peek().at
			switch p.elem() {
			case shapeEmpty:
				panic(shapeError{at, "an alternative with no node pattern in it"})
			case shapePredicate:
				panic(shapeError{at, "a predicate cannot be an alternative of [...]"})
			}
		}
		p.next()
		s = shapeNode
	case '"', 'n':
		s = shapeNode
	case 0:
		return shapeOther
	default:
		s = shapeOther
	}
	// Quantifiers and captures apply to the element just read.
	for k := p.peek().kind; k == 'q' || k == '@'; k = p.peek().kind {
		m := p.next()
		if s == shapeEmpty {
			panic(shapeError{m.at, "a group with no node pattern in it cannot be captured or quantified"})
		}
	}
	return s
}

// group reads the rest of a parenthesized element opened by open.
func (p *shapeParser) group(open token) shape {
	switch p.peek().kind {
	case '#':
		// A predicate: its arguments up to the closing parenthesis.
		for k := p.peek().kind; k != ')' && k != 0; k = p.peek().kind {
			if k == '(' || k == '[' {
				return shapeOther
			}
			p.next()
		}
		p.next()
		return shapePredicate
	case 'n':
		// (type children...): its children may be anything.
		p.next()
		p.children()
		return shapeNode
	}
	// A group of sibling patterns: it needs one node pattern at least.
	nodes := false
	for k := p.peek().kind; k != ')' && k != 0; k = p.peek().kind {
		if p.elem() == shapeNode {
			nodes = true
		}
	}
	p.next()
	if !nodes {
		return shapeEmpty
	}
	return shapeNode
}

func (p *shapeParser) children() {
	for k := p.peek().kind; k != ')' && k != 0; k = p.peek().kind {
		at := p.peek().at
		if p.elem() == shapeEmpty {
			panic(shapeError{at, "a group with no node pattern in it"})
		}
	}
	p.next()
}

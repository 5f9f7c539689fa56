package coverage

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParseGo reads a Go cover profile ("mode: set" then lines of
// "importpath/file.go:sl.sc,el.ec stmts count"). path maps the profile's
// file names (import path plus base name) to workspace paths; files it
// rejects are skipped.
func ParseGo(r io.Reader, path func(string) (string, bool)) (*Profile, error) {
	p := NewProfile()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "mode:") {
			continue
		}
		file, b, hits, err := parseGoLine(line)
		if err != nil {
			return nil, fmt.Errorf("cover profile line %d: %v", n, err)
		}
		rel, ok := path(file)
		if !ok {
			continue
		}
		p.Add(rel, b, hits)
	}
	return p, sc.Err()
}

func parseGoLine(line string) (file string, b Block, hits int, err error) {
	colon := strings.LastIndexByte(line, ':')
	if colon < 0 {
		return "", b, 0, fmt.Errorf("malformed %q", line)
	}
	file = line[:colon]
	f := strings.Fields(line[colon+1:])
	if len(f) != 3 {
		return "", b, 0, fmt.Errorf("malformed %q", line)
	}
	start, end, ok := strings.Cut(f[0], ",")
	if !ok {
		return "", b, 0, fmt.Errorf("malformed %q", line)
	}
	var e [6]error
	b.StartLine, b.StartCol, e[0], e[1] = lineCol(start)
	b.EndLine, b.EndCol, e[2], e[3] = lineCol(end)
	b.Stmts, e[4] = strconv.Atoi(f[1])
	hits, e[5] = strconv.Atoi(f[2])
	for _, x := range e {
		if x != nil {
			return "", b, 0, fmt.Errorf("malformed %q", line)
		}
	}
	return file, b, hits, nil
}

func lineCol(s string) (int, int, error, error) {
	l, c, _ := strings.Cut(s, ".")
	a, e1 := strconv.Atoi(l)
	b, e2 := strconv.Atoi(c)
	return a, b, e1, e2
}

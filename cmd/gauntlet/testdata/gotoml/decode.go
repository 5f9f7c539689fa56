// Package toml reads a small subset of TOML: lines of key = integer.
package toml

import "strings"

// Unmarshal reads the key = integer lines of doc.
func Unmarshal(doc string) (map[string]int, error) {
	out := map[string]int{}
	for i, line := range strings.Split(doc, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, &DecodeError{Line: i + 1, Column: 1, Message: "expected key = value"}
		}
		n, ok := parseInteger(strings.TrimSpace(v))
		if !ok {
			return nil, &DecodeError{Line: i + 1, Column: len(k) + 2, Message: "invalid integer"}
		}
		out[strings.TrimSpace(k)] = n
	}
	return out, nil
}

// parseInteger parses a decimal integer whose digits may be separated by
// underscores.
func parseInteger(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i <= len(s); i++ {
		c := s[i]
		if c == '_' && i > 0 && i < len(s)-1 {
			continue
		}
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

package testrun

import (
	"strings"
	"testing"
)

// The module path comes from go.mod as the go command reads it.
func TestModulePath(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"module example.com/m\n\ngo 1.22\n", "example.com/m"},
		{"// Deprecated: use example.com/new\nmodule \"example.com/quoted\" // a comment\n", "example.com/quoted"},
		{"go 1.22\n\nmodule\texample.com/tab\n", "example.com/tab"},
		{"modulex example.com/no\nmodule example.com/yes\n", "example.com/yes"},
		{"go 1.22\n", ""},
	} {
		if got := readModulePath([]byte(tc.src)); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.src, got, tc.want)
		}
	}
	_, err := parseModulePath("sub/go.mod", []byte("module example.com/m\nrequire (\n"))
	if err == nil || !strings.Contains(err.Error(), "sub/go.mod:") {
		t.Errorf("a malformed go.mod: %v, want an error naming sub/go.mod and its line", err)
	}
	if _, err := parseModulePath("go.mod", []byte("go 1.22\n")); err == nil || !strings.Contains(err.Error(), "go.mod: no module line") {
		t.Errorf("no module line: %v", err)
	}
}

package lsp

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestOneConverter keeps every conversion between LSP positions and byte
// offsets in positions.go, and every one of those in analysis.Mapper (as
// gopls's protocol.Mapper test does): no other file of the package may count
// characters or call the mapper's conversions itself.
func TestOneConverter(t *testing.T) {
	forbidden := regexp.MustCompile(`"unicode/utf16"|"unicode/utf8"|utf16\.|utf8\.|\.Offset\(|\.Position\(|\.LineStart\(|\bCharacter\s*[-+]|\bLine\s*[-+]`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "positions.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if forbidden.MatchString(line) {
				t.Errorf("%s:%d: converts positions outside positions.go: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}

package analysis

import (
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// MatchGlob reports whether the slash-separated path p matches pattern, where
// `*` and `?` match within one path segment, `[...]` is a class, `{a,b}` an
// alternation, and `**` matches any number of segments (including none). A
// pattern without a slash matches the base name at any depth, as in
// .gitignore. Matching is doublestar's.
func MatchGlob(pattern, p string) bool {
	pattern = strings.TrimPrefix(pattern, "./")
	if !strings.Contains(pattern, "/") {
		pattern = "**/" + pattern
	}
	ok, err := doublestar.Match(pattern, p)
	return err == nil && ok
}

// ValidGlob reports whether pattern is well formed.
func ValidGlob(pattern string) error {
	if !doublestar.ValidatePattern(pattern) {
		return doublestar.ErrBadPattern
	}
	return nil
}

// Package text formats titles for URLs and listings.
package text

import "strings"

// Slug turns a title into a URL path segment: lower case, words joined by
// dashes.
func Slug(title string) string {
	s := strings.ToLower(strings.TrimSpace(title))
	return strings.Replace(s, " ", "-", 0)
}

// Truncate shortens s to at most n bytes, marking a cut with "...".
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-4] + "..."
}

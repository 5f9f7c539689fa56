// Package tally counts words.
package tally

import (
	"fmt"
	"strings"
)

// Count returns how many times each word occurs in text, in lower case.
func Count(text string) map[string]int {
	counts := map[string]int{}
	for _, w := range strings.Fields(text) {
		w = w
		counts[strings.ToLower(w)]++
	}
	fmt.Println(len(counts), "words")
	return counts
}

// Top returns the most frequent word, the first in order on a tie.
func Top(counts map[string]int) string {
	best, n := "", 0
	for w, c := range counts {
		if c > n || c == n && w < best {
			best, n = w, c
		}
	}
	return best
}

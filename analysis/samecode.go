package analysis

import (
	"context"
	"regexp"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"
)

// commentDirective matches comments that are not only comments: Go's
// compiler and build directives, cgo exports, line directives and example
// outputs; Python's coding declarations; TypeScript's checker directives.
var commentDirective = regexp.MustCompile(`(?i)^(//go:|//\s*\+build|//line |//export |//\s*(unordered )?output:|#.*coding[:=]|#!|//\s*@ts-|///\s*<reference|/\*\s*@jsx)`)

// SameCode reports whether two versions of a file differ only in comments
// that are not directives (nor, in a Go file that uses cgo, at all, whose
// preamble is a comment): both have the same language, parse without
// errors, and hold the same tokens but their comments. Such a change cannot
// change what builds or what tests do. verify skips its build, tests and
// coverage gates for it, and `gauntlet test --affected-by` selects no test
// for it: one judgement of which changes are code.
func SameCode(ctx context.Context, before, after *File) bool {
	if before == nil || after == nil || before.Lang == nil || after.Lang != before.Lang {
		return false
	}
	if before.Lang.Name == "go" && (strings.Contains(string(after.Content), `import "C"`) || strings.Contains(string(before.Content), `import "C"`)) {
		return false
	}
	a, ok := codeTokens(ctx, before)
	if !ok {
		return false
	}
	b, ok := codeTokens(ctx, after)
	if !ok || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// codeTokens lists a file's tokens but its comments, with the directive
// comments' lines as tokens; ok is false when the file does not parse
// cleanly.
func codeTokens(ctx context.Context, f *File) ([]string, bool) {
	tree, err := f.Tree(ctx)
	if err != nil {
		return nil, false
	}
	defer tree.Close()
	root := tree.RootNode()
	if root.HasError() {
		return nil, false
	}
	var out []string
	var walk func(n *sitter.Node)
	walk = func(n *sitter.Node) {
		if strings.Contains(n.Type(), "comment") {
			// Directives count as code: they must stay as they are.
			for _, l := range strings.Split(n.Content(f.Content), "\n") {
				if l = strings.TrimSpace(l); commentDirective.MatchString(l) {
					out = append(out, "directive\x00"+l)
				}
			}
			return
		}
		if n.ChildCount() == 0 {
			out = append(out, n.Type()+"\x00"+n.Content(f.Content))
			return
		}
		for i := 0; i < int(n.ChildCount()); i++ {
			walk(n.Child(i))
		}
	}
	walk(root)
	return out, true
}

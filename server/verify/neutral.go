package verify

import (
	"context"
	"regexp"
	"strings"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// commentDirective matches comments that are not only comments: Go's
// compiler and build directives, cgo exports, line directives and example
// outputs; Python's coding declarations; TypeScript's checker directives.
var commentDirective = regexp.MustCompile(`(?i)^(//go:|//\s*\+build|//line |//export |//\s*(unordered )?output:|#.*coding[:=]|#!|//\s*@ts-|///\s*<reference|/\*\s*@jsx)`)

// onlyComments reports whether every change of the edit leaves the code's
// tokens as they were: each changed file keeps its path and language,
// parses without errors before and after, and differs only in comments that
// are not directives (nor in a Go file that uses cgo, whose preamble is a
// comment). Such an edit cannot change what builds or what tests do.
func (r *run) onlyComments(ctx context.Context) bool {
	for _, c := range r.changes {
		if c.oldPath == "" || c.newPath != c.oldPath {
			return false
		}
		before, err1 := r.base.File(c.oldPath)
		after, err2 := r.after.File(c.newPath)
		if err1 != nil || err2 != nil || before.Lang == nil || after.Lang != before.Lang {
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
	}
	return len(r.changes) > 0
}

// codeTokens lists a file's tokens but its comments, with the directive
// comments' lines as tokens; ok is false when the file does not parse
// cleanly.
func codeTokens(ctx context.Context, f *analysis.File) ([]string, bool) {
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

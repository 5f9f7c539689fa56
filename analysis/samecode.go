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
	return sameTokens(ctx, before, after, false)
}

// SameOutsideBodies reports whether two versions of a Go file differ only
// inside the bodies of top-level functions and methods, and in comments
// that are not directives: the same test as SameCode, with each such body
// taken as one token. Such a change leaves the package's declarations —
// its types, signatures, constants and variables — as they were, so no
// package that imports it can stop compiling: verify's build gate then
// compiles the edited packages alone. A function literal outside any
// function, a cgo file or any other language is never "only bodies".
func SameOutsideBodies(ctx context.Context, before, after *File) bool {
	if before == nil || after == nil || before.Lang == nil || before.Lang.Name != "go" || after.Lang != before.Lang {
		return false
	}
	if strings.Contains(string(after.Content), `import "C"`) || strings.Contains(string(before.Content), `import "C"`) {
		return false
	}
	return sameTokens(ctx, before, after, true)
}

// sameTokens compares the two files' codeTokens.
func sameTokens(ctx context.Context, before, after *File, skipBodies bool) bool {
	a, ok := codeTokens(ctx, before, skipBodies)
	if !ok {
		return false
	}
	b, ok := codeTokens(ctx, after, skipBodies)
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
// comments' lines as tokens, and with skipBodies the body of each top-level
// Go function or method as the one token "body"; ok is false when the file
// does not parse cleanly.
func codeTokens(ctx context.Context, f *File, skipBodies bool) ([]string, bool) {
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
		var body *sitter.Node
		if skipBodies && (n.Type() == "function_declaration" || n.Type() == "method_declaration") && n.Parent() != nil && n.Parent().Type() == "source_file" {
			body = n.ChildByFieldName("body")
		}
		for i := 0; i < int(n.ChildCount()); i++ {
			c := n.Child(i)
			if body != nil && c.Equal(body) {
				out = append(out, "body")
				continue
			}
			walk(c)
		}
	}
	walk(root)
	return out, true
}

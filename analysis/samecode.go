package analysis

import (
	"context"
	"go/ast"
	"regexp"
	"slices"
	"sort"
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
	return sameTokens(ctx, before, after)
}

// SameOutsideBodies reports whether two versions of a Go file differ only
// in what no package that imports it can see: inside the bodies of
// top-level functions and methods, in declarations of the blank identifier
// (`var _ I = (*T)(nil)`), in unexported functions (not methods), and in
// comments that are not directives — the same test as SameCode, with each
// such body one token and such declarations none. The package's exported
// declarations, types and methods are then as they were, so no importer
// can stop compiling, provided that no code outside function bodies in the
// package names one of the unexported functions (`var V = helper()` gives V
// helper's result type): private lists them, for the caller to check with
// NamesOutsideBodies over the package's files. verify's build gate then
// compiles the edited packages alone. A function literal outside any
// function, a cgo file or any other language is never "only bodies".
func SameOutsideBodies(ctx context.Context, before, after *File) (same bool, private []string) {
	if before == nil || after == nil || before.Lang == nil || before.Lang.Name != "go" || after.Lang != before.Lang {
		return false, nil
	}
	if strings.Contains(string(after.Content), `import "C"`) || strings.Contains(string(before.Content), `import "C"`) {
		return false, nil
	}
	was, is := map[string]string{}, map[string]string{}
	a, ok := codeTokens(ctx, before, was)
	if !ok {
		return false, nil
	}
	b, ok := codeTokens(ctx, after, is)
	if !ok || !slices.Equal(a, b) {
		return false, nil
	}
	// The unexported functions added, removed or changed.
	for n, text := range is {
		if was[n] != text {
			private = append(private, n)
		}
	}
	for n := range was {
		if _, ok := is[n]; !ok {
			private = append(private, n)
		}
	}
	sort.Strings(private)
	return true, private
}

// NamesOutsideBodies returns the identifiers that a Go file names outside
// the bodies of its top-level functions and methods and outside its
// unexported functions (SameOutsideBodies' view), or ok false when it does
// not parse cleanly.
func NamesOutsideBodies(ctx context.Context, f *File) (names map[string]bool, ok bool) {
	toks, ok := codeTokens(ctx, f, map[string]string{})
	if !ok {
		return nil, false
	}
	names = map[string]bool{}
	for _, t := range toks {
		if kind, text, _ := strings.Cut(t, "\x00"); kind == "identifier" {
			names[text] = true
		}
	}
	return names, true
}

// sameTokens compares the two files' codeTokens.
func sameTokens(ctx context.Context, before, after *File) bool {
	a, ok := codeTokens(ctx, before, nil)
	if !ok {
		return false
	}
	b, ok := codeTokens(ctx, after, nil)
	return ok && slices.Equal(a, b)
}

// codeTokens lists a file's tokens but its comments, with the directive
// comments' lines as tokens; ok is false when the file does not parse
// cleanly. With a non-nil private (a Go file), what importers cannot see
// is left out (SameOutsideBodies): the body of each top-level function
// or method is the one token "body", and declarations of the blank
// identifier and unexported functions leave no token, the functions going
// into private (name → declaration text).
func codeTokens(ctx context.Context, f *File, private map[string]string) ([]string, bool) {
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
			if private != nil && (n.Type() == "\n" || n.Type() == ";") && n.Parent() != nil && n.Parent().Type() == "source_file" {
				return // a top-level declaration's end, there or not with one left out
			}
			out = append(out, n.Type()+"\x00"+n.Content(f.Content))
			return
		}
		var body *sitter.Node
		if private != nil && n.Parent() != nil && n.Parent().Type() == "source_file" {
			switch n.Type() {
			case "function_declaration":
				if name := n.ChildByFieldName("name"); name != nil && !ast.IsExported(name.Content(f.Content)) {
					private[name.Content(f.Content)] = n.Content(f.Content)
					return
				}
				body = n.ChildByFieldName("body")
			case "method_declaration":
				body = n.ChildByFieldName("body")
			case "var_declaration":
				if blankOnly(n, f.Content) {
					return
				}
			}
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

// blankOnly reports whether a Go var declaration declares only the blank
// identifier, which nothing can name.
func blankOnly(n *sitter.Node, src []byte) bool {
	specs := 0
	var visit func(n *sitter.Node) bool
	visit = func(n *sitter.Node) bool {
		for i := 0; i < int(n.ChildCount()); i++ {
			c := n.Child(i)
			switch {
			case c.Type() == "var_spec":
				specs++
				for j := 0; j < int(c.ChildCount()); j++ {
					if c.FieldNameForChild(j) == "name" && c.Child(j).Content(src) != "_" {
						return false
					}
				}
			case c.Type() == "var_spec_list":
				if !visit(c) {
					return false
				}
			}
		}
		return true
	}
	return visit(n) && specs > 0
}

// Package fixup completes an analyzer's fix so that the file it leaves
// behind builds and reads as a person would have written it: a deleted
// statement takes its whole line with it, and, in Go, an import that the
// fix left unused goes in the same fix. It runs on every fix the engine
// hands out (the editor's quick fix, `gauntlet fix`, the loop's no-model
// candidates), so that they all carry the same edits; rules stay simple
// (`replace: ""`) and plugins' fixes get the same care.
package fixup

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// Fix returns fix with its edits of f completed: deletions that leave only
// blanks on their lines take the lines, and in a Go file the imports whose
// last use the fix removes are removed too. Edits of other files, and fixes
// that do not apply to f, are returned as they are.
func Fix(f *analysis.File, fix analysis.Fix) analysis.Fix {
	var mine, others []analysis.TextEdit
	for _, e := range fix.Edits {
		if e.Path == "" || e.Path == f.Path {
			mine = append(mine, e)
		} else {
			others = append(others, e)
		}
	}
	if len(mine) == 0 {
		return fix
	}
	if _, err := analysis.ApplyEdits(f.Content, mine); err != nil {
		return fix
	}
	mine = wholeLines(f.Content, mine)
	if f.Lang != nil && f.Lang.Name == "go" {
		mine = append(mine, unusedImports(f, mine)...)
	}
	out := fix
	out.Edits = append(append([]analysis.TextEdit(nil), mine...), others...)
	return out
}

// Edits completes edits of f the way Fix does.
func Edits(f *analysis.File, edits []analysis.TextEdit) []analysis.TextEdit {
	return Fix(f, analysis.Fix{Edits: edits}).Edits
}

// wholeLines widens each deletion whose line keeps only blanks (and the
// statement's own ";") to the whole line, newline included, when no other
// edit touches that line.
func wholeLines(content []byte, edits []analysis.TextEdit) []analysis.TextEdit {
	out := append([]analysis.TextEdit(nil), edits...)
	m := analysis.NewMapper(content)
	for i, e := range out {
		if strings.TrimSpace(e.NewText) != "" || e.End <= e.Start {
			continue
		}
		ls, _ := m.LineRange(m.Line(e.Start))
		le := len(content)
		if j := bytes.IndexByte(content[e.End:], '\n'); j >= 0 {
			le = e.End + j
		}
		if !blank(content[ls:e.Start]) || !blank(bytes.TrimLeft(content[e.End:le], " \t;")) {
			continue
		}
		end := le
		if end < len(content) {
			end++ // the newline
		}
		clash := false
		for j, o := range out {
			if j != i && o.Start < end && o.End > ls {
				clash = true
			}
		}
		if !clash {
			out[i].Start, out[i].End, out[i].NewText = ls, end, ""
		}
	}
	return out
}

func blank(b []byte) bool { return len(bytes.Trim(b, " \t\r")) == 0 }

// unusedImports returns the edits that remove the imports of a Go file
// whose package the file used before edits and no longer uses after them.
// Only a name the original file used is ever removed, so a guessed package
// name that is wrong (a module whose package is not named like its path)
// leaves its import alone.
func unusedImports(f *analysis.File, edits []analysis.TextEdit) []analysis.TextEdit {
	after, err := analysis.ApplyEdits(f.Content, edits)
	if err != nil {
		return nil
	}
	fset := token.NewFileSet()
	orig, err := parser.ParseFile(fset, f.Path, f.Content, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil
	}
	now, err := parser.ParseFile(token.NewFileSet(), f.Path, after, parser.SkipObjectResolution)
	if err != nil {
		return nil
	}
	usedBefore, usedAfter := qualifiers(orig), qualifiers(now)
	tf := fset.File(orig.Pos())
	var out []analysis.TextEdit
	for _, decl := range orig.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		var gone []*ast.ImportSpec
		for _, s := range gd.Specs {
			spec := s.(*ast.ImportSpec)
			name := importName(spec)
			if name == "" || !usedBefore[name] || usedAfter[name] {
				continue
			}
			gone = append(gone, spec)
		}
		if len(gone) == 0 {
			continue
		}
		var spans [][2]int
		if len(gone) == len(gd.Specs) {
			spans = append(spans, [2]int{tf.Offset(gd.Pos()), tf.Offset(gd.End())})
			if gd.Doc != nil {
				spans[0][0] = tf.Offset(gd.Doc.Pos())
			}
		} else {
			for _, spec := range gone {
				s, e := tf.Offset(spec.Pos()), tf.Offset(spec.End())
				if spec.Doc != nil {
					s = tf.Offset(spec.Doc.Pos())
				}
				if spec.Comment != nil {
					e = tf.Offset(spec.Comment.End())
				}
				spans = append(spans, [2]int{s, e})
			}
		}
		for _, sp := range spans {
			e := analysis.TextEdit{Path: f.Path, Start: sp[0], End: sp[1]}
			if overlaps(edits, e) {
				return nil // the fix edits the imports itself
			}
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil
	}
	out = wholeLines(f.Content, out)
	for i, e := range out {
		// A declaration between blank lines leaves one blank line, not two.
		c := f.Content
		if e.Start >= 2 && c[e.Start-1] == '\n' && c[e.Start-2] == '\n' && e.End < len(c) && c[e.End] == '\n' && !overlaps(edits, analysis.TextEdit{Start: e.End, End: e.End + 1}) {
			out[i].End++
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	if check, err := analysis.ApplyEdits(f.Content, append(append([]analysis.TextEdit(nil), edits...), out...)); err != nil {
		return nil
	} else if _, err := parser.ParseFile(token.NewFileSet(), f.Path, check, parser.ImportsOnly); err != nil {
		return nil
	}
	return out
}

func overlaps(edits []analysis.TextEdit, e analysis.TextEdit) bool {
	for _, o := range edits {
		if o.Start < e.End && o.End > e.Start {
			return true
		}
	}
	return false
}

// qualifiers are the names used as X in X.Sel: the packages a file uses
// (and locals of the same name, which only keeps an import longer).
func qualifiers(f *ast.File) map[string]bool {
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if se, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := se.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	return used
}

// importName is the name an import binds: its explicit name, else the
// conventional package name of its path ("gopkg.in/yaml.v3" is yaml,
// "example.com/mod/v2" is mod, "go-foo" is foo). Blank and dot imports,
// and cgo's "C", bind nothing that can be counted.
func importName(spec *ast.ImportSpec) string {
	p, err := strconv.Unquote(spec.Path.Value)
	if err != nil || p == "C" {
		return ""
	}
	if spec.Name != nil {
		if spec.Name.Name == "_" || spec.Name.Name == "." {
			return ""
		}
		return spec.Name.Name
	}
	base := path.Base(p)
	if len(base) > 1 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" && path.Dir(p) != "." {
		base = path.Base(path.Dir(p))
	}
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	base = strings.TrimPrefix(base, "go-")
	return strings.ReplaceAll(base, "-", "_")
}

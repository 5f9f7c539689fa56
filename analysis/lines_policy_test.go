package analysis_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLineArithmeticInMapper keeps "which bytes are line N" inside the
// Mapper (mapper.go), in the manner of gopls' safetoken test: it parses
// every non-test Go file of the module and fails on the hand-written forms
// of line arithmetic that the Mapper's LineRange, LineText, Line and
// Position replace:
//
//   - counting lines: bytes.Count(x, []byte{'\n'}), bytes.Count(x,
//     []byte("\n")), strings.Count(x, "\n");
//   - the start of an offset's line: LastIndexByte(x, '\n') + 1 and
//     LastIndex(x, "\n") + 1 (bytes or strings);
//   - the end of a line from the next one's start: m.LineStart(n) - 1 and
//     m.LineStart(n + 1).
func TestLineArithmeticInMapper(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"analysis/mapper.go": true}
	fset := token.NewFileSet()
	files := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (name == "testdata" || name == "node_modules" || p == filepath.Join(root, "examples") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if allowed[rel] {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			if what := lineArithmetic(n); what != "" {
				pos := fset.Position(n.Pos())
				t.Errorf("%s:%d: %s: use the Mapper (LineRange, LineText, Line, Position) instead", rel, pos.Line, what)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("only %d Go files checked under %s", files, root)
	}
}

// lineArithmetic names the forbidden form n is, or "".
func lineArithmetic(n ast.Node) string {
	switch n := n.(type) {
	case *ast.CallExpr:
		pkg, fn := callee(n)
		if (pkg == "bytes" || pkg == "strings") && fn == "Count" && len(n.Args) == 2 && isNewline(n.Args[1]) {
			return pkg + ".Count of line breaks"
		}
		if fn == "LineStart" && pkg == "" && len(n.Args) == 1 && isPlusOne(n.Args[0]) {
			return "LineStart(n + 1) as a line's end"
		}
	case *ast.BinaryExpr:
		if !isOne(n.Y) {
			return ""
		}
		call, ok := ast.Unparen(n.X).(*ast.CallExpr)
		if !ok {
			return ""
		}
		pkg, fn := callee(call)
		switch {
		case n.Op == token.ADD && (pkg == "bytes" || pkg == "strings") && (fn == "LastIndexByte" || fn == "LastIndex") && len(call.Args) == 2 && isNewline(call.Args[1]):
			return pkg + "." + fn + "(…, newline) + 1 as a line's start"
		case n.Op == token.SUB && pkg == "" && fn == "LineStart":
			return "LineStart(n) - 1 as a line's end"
		}
	}
	return ""
}

// callee is the package (for pkg.F; "" for a method x.F) and name of the
// function call calls.
func callee(call *ast.CallExpr) (pkg, fn string) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return "", ""
	}
	if id, ok := sel.X.(*ast.Ident); ok && (id.Name == "bytes" || id.Name == "strings") {
		return id.Name, sel.Sel.Name
	}
	return "", sel.Sel.Name
}

// isNewline reports whether e is '\n', "\n", []byte{'\n'} or []byte("\n").
func isNewline(e ast.Expr) bool {
	switch e := ast.Unparen(e).(type) {
	case *ast.BasicLit:
		v, err := strconv.Unquote(e.Value)
		return err == nil && v == "\n"
	case *ast.CompositeLit:
		return len(e.Elts) == 1 && isNewline(e.Elts[0])
	case *ast.CallExpr: // []byte("\n")
		if at, ok := e.Fun.(*ast.ArrayType); ok && at.Len == nil && len(e.Args) == 1 {
			return isNewline(e.Args[0])
		}
	}
	return false
}

func isOne(e ast.Expr) bool {
	l, ok := ast.Unparen(e).(*ast.BasicLit)
	return ok && l.Kind == token.INT && l.Value == "1"
}

func isPlusOne(e ast.Expr) bool {
	b, ok := ast.Unparen(e).(*ast.BinaryExpr)
	return ok && b.Op == token.ADD && isOne(b.Y)
}

package builtin_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/analysistest"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/rules"
)

// TestIncrementalEqualsFull edits files full of findings at random, as an
// editor would, and checks that the rules' results for each version — which
// re-run the query only over the edited declarations — equal a fresh run on
// the same text.
func TestIncrementalEqualsFull(t *testing.T) {
	cfg := config.Default(t.TempDir())
	cfg.Enable = []string{"go-println", "py-print", "js-console-log"}
	set, err := rules.ForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	as := set.Analyzers()
	goDecl := func(i int) string {
		return fmt.Sprintf("func f%d(xs []int, err error) {\n\tfor _, x := range xs {\n\t\tdefer fmt.Println(x)\n\t}\n\tif err == io.EOF {\n\t}\n\tx := 1\n\tx = x\n}\n\n", i)
	}
	pyDecl := func(i int) string {
		return fmt.Sprintf("def f%d(x=[]):\n    try:\n        print(x)\n    except:\n        pass\n    if x == None:\n        return 1\n\n", i)
	}
	jsDecl := func(i int) string {
		return fmt.Sprintf("function f%d(a) {\n  debugger;\n  if (a == 1) { console.log(a); }\n  a = a;\n  return typeof a === 'strng';\n}\n\n", i)
	}
	pieces := []string{"\n", " ", "x", "(", ")", "{", "}", "print(1)\n", "fmt.Println(2)\n", "debugger;\n", "a = a;\n", "x = x\n", "==", "//"}
	seed := int64(1)
	if s := os.Getenv("GAUNTLET_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	for _, tc := range []struct {
		path string
		head string
		decl func(int) string
	}{
		{"a.go", "package a\n\nimport (\n\t\"fmt\"\n\t\"io\"\n)\n\n", goDecl},
		{"a.py", "import os\n\n", pyDecl},
		{"a.js", "'use strict';\n\n", jsDecl},
	} {
		t.Run(tc.path, func(t *testing.T) {
			var b strings.Builder
			b.WriteString(tc.head)
			for i := 0; i < 12; i++ {
				b.WriteString(tc.decl(i))
			}
			ctx := context.Background()
			f := analysis.NewFile(tc.path, []byte(b.String()), 1)
			if ds, _ := analysis.Run(ctx, f, as); len(ds) < 12 {
				t.Fatalf("the file should be full of findings, got %d", len(ds))
			}
			r := rand.New(rand.NewSource(seed))
			for v := int32(2); v < 120; v++ {
				f, _ = analysistest.EditEqualsFresh(t, ctx, f, analysistest.RandomChange(r, f.Content, pieces), v, as)
			}
		})
	}
}

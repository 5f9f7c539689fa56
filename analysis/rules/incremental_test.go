package rules

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/analysistest"
)

// Rules whose findings depend on other top-level declarations than the
// candidate's: after a file where one of them looked there, the next
// version is matched in full.
var globalRules = map[string]string{
	"before-f1.yml": `id: before-f1
language: go
message: declared before f1
rule:
  kind: function_declaration
  precedes:
    stopBy: end
    kind: function_declaration
    has:
      field: name
      regex: ^f1$
`,
	"call-in-file-with-init.yml": `id: call-in-file-with-init
language: go
message: a call in a file that has init
rule:
  pattern: panic($$$)
  inside:
    kind: source_file
    stopBy: end
    has:
      kind: identifier
      regex: ^init$
      stopBy: end
`,
}

// TestPatternIncrementalEqualsFull edits a file full of the pack's findings
// at random, as an editor would, and checks that the pattern rules' results
// for each version — matched again only over the edited top-level
// declarations — equal a fresh run on the same text.
func TestPatternIncrementalEqualsFull(t *testing.T) {
	t.Run("pack", func(t *testing.T) { incrementalEqualsFull(t, "", nil, 50) })
	// Edits whose effect reaches other declarations than the edited one.
	t.Run("precedes at the top level", func(t *testing.T) {
		incrementalEqualsFull(t, "before-f1.yml", []edit{{"func k10(", "func f1("}, {"func f1(", "func k10("}}, 0)
	})
	t.Run("inside the root", func(t *testing.T) {
		incrementalEqualsFull(t, "call-in-file-with-init.yml", []edit{{"// before init\n", "// before init\nfunc init() {}\n"}, {"func init() {}\n", ""}}, 0)
	})
}

type edit struct{ old, new string }

// incrementalEqualsFull runs the pack and the named rule of globalRules
// over a file, first edited as scripted says, then at random; at least
// minIncremental versions must have been matched incrementally.
func incrementalEqualsFull(t *testing.T, extra string, scripted []edit, minIncremental int64) {
	dir := t.TempDir()
	files, _ := filepath.Glob("../../bench/rules/pack/rules/*.yml")
	if len(files) < 10 {
		t.Fatalf("the pack's rules: %v", files)
	}
	for name, text := range globalRules {
		if name != extra {
			continue
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	set := compileFiles(t, files)
	as := set.Analyzers()
	decl := func(i int) string {
		recv := ""
		if i%3 == 0 {
			recv = "(s *T) "
		}
		name := fmt.Sprintf("f%d", i)
		if i == 10 {
			name = "k10" // a second f1, by an edit
		}
		return fmt.Sprintf("func %s%s(xs []int, err error) error {\n\ts.mu.Lock()\n\tfor _, x := range xs {\n\t\tdefer fmt.Println(x)\n\t\ttime.Sleep(1)\n\t}\n\tif err != nil {\n\t\treturn err\n\t}\n\tif x {\n\t}\n\tif xs == nil {\n\t\tpanic(1)\n\t}\n\ta = a\n\treturn fmt.Errorf(\"e %%v\", err)\n}\n\n", recv, name)
	}
	pieces := []string{"\n", " ", "x", "(", ")", "{", "}", "init", "func ", "defer ", "err", "a = a\n", "s.mu.Lock()\n", "for {", "if err != nil { return err }\n", "panic(1)\n", "func f1() {}\n", "//"}
	seed := int64(1)
	if s := os.Getenv("GAUNTLET_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	var b strings.Builder
	b.WriteString("package a\n\n// before init\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\n")
	for i := 0; i < 12; i++ {
		b.WriteString(decl(i))
	}
	ctx := context.Background()
	f := analysis.NewFile("a.go", []byte(b.String()), 1)
	if ds, _ := analysis.Run(ctx, f, as); len(ds) < 48 {
		t.Fatalf("the file should be full of findings, got %d", len(ds))
	}
	before := rematches.Load()
	r := rand.New(rand.NewSource(seed))
	compared := 0
	for v := int32(2); v < 150; v++ {
		c := analysistest.RandomChange(r, f.Content, pieces)
		if k := int(v) - 2; k < len(scripted) {
			s := strings.Index(string(f.Content), scripted[k].old)
			c = analysis.Change{Start: s, End: s + len(scripted[k].old), Text: scripted[k].new}
		}
		next, ok := analysistest.EditEqualsFresh(t, ctx, f, c, v, as)
		if ok {
			compared++
		}
		f = next
	}
	// the property means something only if the incremental path ran
	if n := rematches.Load() - before; n < minIncremental || compared < 50 {
		t.Fatalf("only %d incremental runs, %d versions compared", n, compared)
	}
}

package rules

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// BenchmarkTeamRuleEdit replays bench/lsp/teamrule.sh's edits without the
// LSP: net/http/server.go with bench/rules/pack's rules and go-println, one
// line broken by appending `; fmt.Println(c)` and fixed again, each version
// analysed by the pattern rules (b.N counts versions).
func BenchmarkTeamRuleEdit(b *testing.B) {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip(err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "src", "net", "http", "server.go"))
	if err != nil {
		b.Skip(err)
	}
	files, _ := filepath.Glob("../../bench/rules/pack/rules/*.yml")
	files = append(files, "../../bench/rules/go-println.yml")
	set := compileFiles(b, files)
	as := set.Analyzers()
	ctx := context.Background()
	line := "c.r = &connReader{conn: c, rwc: c.rwc}"
	at := strings.Index(string(src), line) + len(line)
	insert := "; fmt.Println(c)"
	f := analysis.NewFile("server.go", src, 1)
	analysis.Run(ctx, f, as)
	before := rematches.Load()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := analysis.Change{Start: at, End: at, Text: insert}
		if i%2 == 1 {
			c = analysis.Change{Start: at, End: at + len(insert)}
		}
		next, err := f.Edit(ctx, []analysis.Change{c}, int32(i+2))
		if err != nil {
			b.Fatal(err)
		}
		ds, errs := analysis.Run(ctx, next, as)
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		found := false
		for _, d := range ds {
			if d.Code == "go-println" && d.Start >= at && d.Start <= at+len(insert) {
				found = true
			}
		}
		if found != (i%2 == 0) {
			b.Fatalf("version %d: go-println found %v", i+2, found)
		}
		f = next
	}
	b.ReportMetric(float64(rematches.Load()-before)/float64(b.N), "incremental/op")
}

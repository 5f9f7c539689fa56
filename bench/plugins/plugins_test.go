// Package plugins_test measures what running an analyzer as a plugin costs
// beside running it in process: the todo-owner example analyzer, the same
// value both ways, on a 1 KB file and on $(go env GOROOT)/src/net/http/server.go.
// Per-call latencies are reported as p50/p95 metrics; run.sh runs them and
// RESULTS.md records the figures.
package plugins_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/plugins"
	"github.com/gauntlet-dev/gauntlet/plugins/examples/todo-owner/todoowner"
)

var (
	buildOnce sync.Once
	pluginBin string
	buildErr  error
)

// pluginPath builds the todo-owner plugin once per run.
func pluginPath(b *testing.B) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "bench-plugins-")
		if err != nil {
			buildErr = err
			return
		}
		pluginBin = filepath.Join(dir, "todo-owner")
		out, err := exec.Command("go", "build", "-o", pluginBin, "../../plugins/examples/todo-owner").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return pluginBin
}

func startHost(b *testing.B) *plugins.Host {
	h, err := plugins.NewHost([]plugins.Spec{{Name: "todo-owner", Path: pluginPath(b)}})
	if err != nil {
		b.Fatal(err)
	}
	if err := h.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	return h
}

// inputs are the files measured: about 1 KB of Go, and net/http/server.go.
func inputs(b *testing.B) map[string][]byte {
	goroot, err := exec.Command("go", "env", "GOROOT").Output() // runtime.GOROOT is deprecated
	if err != nil {
		b.Fatal(err)
	}
	server, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "src/net/http/server.go"))
	if err != nil {
		b.Fatal(err)
	}
	var small strings.Builder
	small.WriteString("package p\n\nimport \"fmt\"\n\n")
	for i := 0; small.Len() < 1000; i++ {
		fmt.Fprintf(&small, "// f%d prints %d. TODO: make it useful\nfunc f%d() { fmt.Println(%d) }\n\n", i, i, i, i)
	}
	return map[string][]byte{"1KB": []byte(small.String()), "server.go": server}
}

// BenchmarkCall runs todo-owner on one file per iteration, in process and
// through the plugin. "same" analyses the same version again (the tree is
// parsed already on both sides: the cost of the call itself); "edit"
// analyses a new version each time, one byte changed in a comment (both
// sides parse incrementally, as after an edit in the editor).
func BenchmarkCall(b *testing.B) {
	h := startHost(b)
	defer h.Close()
	viaPlugin := h.Analyzers()
	inProcess := []*analysis.Analyzer{todoowner.Analyzer}
	ctx := context.Background()
	for _, name := range []string{"1KB", "server.go"} {
		content := inputs(b)[name]
		for _, mode := range []string{"same", "edit"} {
			for _, way := range []struct {
				name string
				as   []*analysis.Analyzer
			}{{"inprocess", inProcess}, {"plugin", viaPlugin}} {
				b.Run(name+"/"+mode+"/"+way.name, func(b *testing.B) {
					f := analysis.NewFile("p.go", content, 1)
					want, errs := analysis.Run(ctx, f, way.as)
					if len(errs) > 0 || len(want) == 0 {
						b.Fatalf("%d findings, errors %v", len(want), errs)
					}
					at := strings.Index(string(content), "// ") + 3 // a byte inside a comment
					times := make([]time.Duration, 0, b.N)
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						start := time.Now()
						if mode == "edit" {
							c := byte('a' + i%26)
							f, _ = f.Edit(ctx, []analysis.Change{{Start: at, End: at + 1, Text: string(c)}}, int32(i+2))
						}
						ds, errs := analysis.Run(ctx, f, way.as)
						times = append(times, time.Since(start))
						if len(errs) > 0 || len(ds) != len(want) {
							b.Fatalf("%d findings, errors %v", len(ds), errs)
						}
					}
					report(b, times)
				})
			}
		}
	}
}

// BenchmarkStartup measures a plugin's start-up to its first answer: start
// the process, handshake, Describe, and one Analyze of the 1 KB file.
func BenchmarkStartup(b *testing.B) {
	path := pluginPath(b)
	f := analysis.NewFile("p.go", inputs(b)["1KB"], 1)
	times := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		start := time.Now()
		h, err := plugins.NewHost([]plugins.Spec{{Name: "todo-owner", Path: path}})
		if err != nil {
			b.Fatal(err)
		}
		if err := h.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		ds, errs := analysis.Run(context.Background(), f, h.Analyzers())
		times = append(times, time.Since(start))
		b.StopTimer()
		h.Close()
		if len(errs) > 0 || len(ds) == 0 {
			b.Fatalf("%d findings, errors %v", len(ds), errs)
		}
		b.StartTimer()
	}
	report(b, times)
}

func report(b *testing.B, times []time.Duration) {
	slices.Sort(times)
	q := func(p float64) float64 {
		return float64(times[min(len(times)-1, int(p*float64(len(times))))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.95), "p95-µs")
}

// Command loop measures the closed loop's own cost per attempt, without the
// model's time: everything server/loop does between two answers (the
// prompt with its covering tests, reading the answer, verifying it on a
// shadow copy through every gate, the check that the problem is gone).
//
//	go run ./bench/loop > bench/loop/RESULTS.md
//
// Two workspaces: examples/demo-fix (the demo project) and one public Go
// module from the module cache (default github.com/google/go-cmp@v0.7.0),
// each copied into a temporary directory. On each, for lines of code that
// hold an operator, an instruction problem is given to the loop with a
// scripted model that answers at once: first an edit that breaks the syntax
// (rejected by parse), then the operator flipped (rejected by tests when the
// suite catches it, else accepted), then a neutral edit (a comment:
// accepted). On the demo project, the loop also runs with no model on its
// real problems (findings with fixes, failing tests). Each attempt's wall
// time minus the time spent in the model is the loop's own cost. The first
// run on a workspace builds the per-test coverage map; it is reported on its
// own and left out of the figures per attempt.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/rules"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/loop"
	"github.com/gauntlet-dev/gauntlet/server/model"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

var (
	module   = flag.String("module", "github.com/google/go-cmp@v0.7.0", "the public module (module@version, from the module cache)")
	problems = flag.Int("problems", 12, "instruction problems per workspace (at most)")
	repeats  = flag.Int("repeats", 5, "runs of the no-model loop on the demo project")
	keep     = flag.Bool("keep", false, "keep the work directory")
)

// sample is one attempt.
type sample struct {
	workspace string
	kind      string // the outcome: "rejected by parse", "rejected by tests", "accepted", ...
	own       time.Duration
	model     time.Duration
	source    string
}

func main() {
	log.SetFlags(0)
	flag.Parse()
	os.Setenv("GOFLAGS", "-mod=mod")
	work, err := os.MkdirTemp("", "gauntlet-bench-loop-")
	if err != nil {
		log.Fatal(err)
	}
	if !*keep {
		defer os.RemoveAll(work)
	}
	demo := filepath.Join(work, "demo-fix")
	if err := copyTree(filepath.Join("examples", "demo-fix"), demo); err != nil {
		log.Fatalf("examples/demo-fix: %v (run from the repository root)", err)
	}
	src, err := moduleDir(*module)
	if err != nil {
		log.Fatal(err)
	}
	pub := filepath.Join(work, strings.NewReplacer("/", "_", "@", "_").Replace(*module))
	if err := copyTree(src, pub); err != nil {
		log.Fatal(err)
	}
	loadBefore := loadavg()
	var all []sample
	cold := map[string]time.Duration{}
	for _, ws := range []struct{ name, dir string }{{"examples/demo-fix", demo}, {*module, pub}} {
		log.Printf("== %s", ws.name)
		e, err := engine(ws.dir, filepath.Join(work, "cache-"+filepath.Base(ws.dir)))
		if err != nil {
			log.Fatal(err)
		}
		// Warm the per-test coverage map (the first verify would build it).
		t := time.Now()
		if _, errs := e.Problems(context.Background(), analysis.NewSnapshot(ws.dir), loop.Scope{Tests: []string{"."}}); len(errs) > 0 {
			log.Printf("%s: %v", ws.name, errs)
		}
		cold[ws.name] = time.Since(t)
		log.Printf("coverage map and failing tests: %v", cold[ws.name].Round(time.Millisecond))
		s, err := scripted(e, ws.name, ws.dir)
		if err != nil {
			log.Fatal(err)
		}
		all = append(all, s...)
		if ws.dir == demo {
			for i := 0; i < *repeats; i++ {
				s, err := offline(e, ws.name, ws.dir)
				if err != nil {
					log.Fatal(err)
				}
				all = append(all, s...)
			}
		}
	}
	report(all, cold, loadBefore, loadavg())
}

// loadavg is the 1-minute load average (Linux), or "?".
func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}

// engine is what gauntlet fix builds for a workspace: its analyzers and
// rules, and the gates of its configuration.
func engine(dir, cache string) (*server.Engine, error) {
	cfg, err := config.Find(dir)
	if err != nil {
		return nil, err
	}
	set, err := rules.ForConfig(cfg)
	if err != nil {
		return nil, err
	}
	e := server.New(server.WithAnalyzers(append(cfg.Apply([]*analysis.Analyzer{syntax.Analyzer}, true), set.Analyzers()...)...),
		server.WithFilter(analysis.Suppress))
	vo := verify.FromConfig(cfg)
	vo.CacheDir = cache
	e.SetLoop(server.Loop{Verify: vo})
	return e, nil
}

// mutations flip an operator (the first match on a line).
var mutations = [][2]string{{" + ", " - "}, {" - ", " + "}, {" == ", " != "}, {" != ", " == "}, {" <= ", " < "}, {" >= ", " > "}, {" < ", " <= "}, {" > ", " >= "}, {" && ", " || "}, {" || ", " && "}}

// target is a line to ask about.
type target struct {
	path       string
	line       int // 1-based
	text       string
	from, to   string
	start, end int
}

// targets picks lines of non-test Go code with an operator whose text is
// unique in its file, spread over the files.
func targets(dir string, n int) ([]target, error) {
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") && !strings.Contains(p, "/testdata/") && !strings.Contains(p, "/internal/") {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	var per [][]target
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(dir, f)
		var ts []target
		off := 0
		for i, l := range strings.SplitAfter(string(data), "\n") {
			trimmed := strings.TrimSpace(l)
			if strings.HasPrefix(l, "\t") && !strings.HasPrefix(trimmed, "//") && strings.Count(string(data), l) == 1 && strings.HasSuffix(l, "\n") {
				for _, m := range mutations {
					if strings.Contains(l, m[0]) {
						ts = append(ts, target{path: filepath.ToSlash(rel), line: i + 1, text: l, from: m[0], to: m[1], start: off, end: off + len(l) - 1})
						break
					}
				}
			}
			off += len(l)
		}
		if len(ts) > 0 {
			per = append(per, ts)
		}
	}
	// Round robin over the files.
	var out []target
	for i := 0; len(out) < n; i++ {
		added := false
		for _, ts := range per {
			if i < len(ts) && len(out) < n {
				out = append(out, ts[i])
				added = true
			}
		}
		if !added {
			break
		}
	}
	return out, nil
}

func block(path, search, replace string) string {
	return path + "\n```go\n<<<<<<< SEARCH\n" + search + "=======\n" + replace + ">>>>>>> REPLACE\n```\n"
}

// scripted runs one instruction problem per target, with a model that
// answers at once: syntax broken, operator flipped, neutral comment.
func scripted(e *server.Engine, name, dir string) ([]sample, error) {
	ts, err := targets(dir, *problems)
	if err != nil {
		return nil, err
	}
	var out []sample
	for i, t := range ts {
		answers := []string{
			block(t.path, t.text, strings.TrimSuffix(t.text, "\n")+" (\n"),
			block(t.path, t.text, strings.Replace(t.text, t.from, t.to, 1)),
			block(t.path, t.text, strings.TrimSuffix(t.text, "\n")+" // checked\n"),
		}
		m := model.Func(func(ctx context.Context, req model.Request) (model.Response, error) {
			a := answers[0]
			answers = answers[1:]
			return model.Response{Text: a}, nil
		})
		l := e.Loop()
		l.Model = m
		l.MaxAttempts = 3
		e.SetLoop(l)
		snap := analysis.NewSnapshot(dir)
		f, err := snap.File(t.path)
		if err != nil {
			return nil, err
		}
		p := loop.NewInstructionProblem(f, t.start, t.end, "Review this line.")
		res, err := e.Fix(context.Background(), snap, []loop.Problem{p}, nil)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", t.path, t.line, err)
		}
		for _, a := range res.Attempts {
			out = append(out, sampleOf(name, a))
		}
		log.Printf("%d/%d %s:%d: %s", i+1, len(ts), t.path, t.line, outcomes(res))
	}
	l := e.Loop()
	l.Model = nil
	e.SetLoop(l)
	return out, nil
}

// offline runs the loop with no model on the workspace's own problems.
func offline(e *server.Engine, name, dir string) ([]sample, error) {
	snap := analysis.NewSnapshot(dir)
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	ps, _ := e.Problems(context.Background(), snap, loop.Scope{Files: files, Tests: []string{"."}})
	res, err := e.Fix(context.Background(), snap, ps, nil)
	if err != nil {
		return nil, err
	}
	var out []sample
	for _, a := range res.Attempts {
		out = append(out, sampleOf(name, a))
	}
	log.Printf("no model: %d problems, %s", len(ps), outcomes(res))
	return out, nil
}

func sampleOf(ws string, a *loop.Attempt) sample {
	kind := "accepted"
	switch {
	case a.Error != "":
		kind = "error"
	case !a.Accepted:
		gate := strings.SplitN(a.Reason, ":", 2)[0]
		kind = "rejected by " + gate
	}
	src := "model (scripted)"
	if a.Source != "model" {
		src = "analyzer fix"
	}
	return sample{workspace: ws, kind: kind, own: a.Duration - a.Model, model: a.Model, source: src}
}

func outcomes(res *loop.Result) string {
	var parts []string
	for _, a := range res.Attempts {
		s := sampleOf("", a)
		parts = append(parts, fmt.Sprintf("%s %v", s.kind, s.own.Round(time.Millisecond)))
	}
	return strings.Join(parts, ", ")
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	// Nearest rank.
	i := int(p*float64(len(s))+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func report(all []sample, cold map[string]time.Duration, loadBefore, loadAfter string) {
	var b bytes.Buffer
	goVersion, _ := exec.Command("go", "version").Output()
	bwrap := "no"
	if _, err := exec.LookPath("bwrap"); err == nil {
		bwrap = "yes (builds and tests of each attempt run under bubblewrap)"
	}
	fmt.Fprintf(&b, "# The closed loop's own cost per attempt\n\n")
	fmt.Fprintf(&b, "Measured %s on %s/%s, %d CPUs, %s; bubblewrap: %s. Load average (1 min) %s at the start, %s at the end: other work on the machine slows the build and test gates.\n\n", time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), strings.TrimSpace(string(goVersion)), bwrap, loadBefore, loadAfter)
	fmt.Fprintf(&b, "Command (from the repository root): `sh bench/loop/run.sh` (that is, `go run ./bench/loop -module %s -problems %d -repeats %d`).\n\n", *module, *problems, *repeats)
	b.WriteString("An attempt's own cost is its wall time minus the time spent waiting for the model (the scripted model answers at once; `model_ms` in `gauntlet fix --format json`): building the prompt with the covering tests, reading the answer, verifying it on a shadow copy through the gates until one rejects it, and the `fixed` check. The per-test coverage map is built once per workspace before the runs (figures below the table) and is not in the per-attempt figures; verify reuses it from the cache, as it does in use. The first attempt at each problem also gathers the tests that cover it (the map, test discovery, and a run of the failing ones for their output): with the scripted model that is the attempt rejected by parse.\n\n")
	type key struct{ ws, kind string }
	groups := map[key][]time.Duration{}
	var order []key
	add := func(k key, d time.Duration) {
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], d)
	}
	for _, s := range all {
		add(key{s.workspace, "all attempts"}, s.own)
		add(key{s.workspace, s.kind + ", " + s.source}, s.own)
	}
	wsRank := map[string]int{}
	for _, k := range order {
		if _, ok := wsRank[k.ws]; !ok {
			wsRank[k.ws] = len(wsRank)
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.ws != b.ws {
			return wsRank[a.ws] < wsRank[b.ws]
		}
		if (a.kind == "all attempts") != (b.kind == "all attempts") {
			return a.kind == "all attempts"
		}
		return a.kind < b.kind
	})
	b.WriteString("| workspace | attempts | n | median | p95 |\n|---|---|---:|---:|---:|\n")
	for _, k := range order {
		ds := groups[k]
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s |\n", k.ws, k.kind, len(ds), ms(percentile(ds, 0.5)), ms(percentile(ds, 0.95)))
	}
	b.WriteString("\nBuilding the coverage map and finding the failing tests, once per workspace (cold cache):\n\n")
	names := make([]string, 0, len(cold))
	for ws := range cold {
		names = append(names, ws)
	}
	sort.Slice(names, func(i, j int) bool { return wsRank[names[i]] < wsRank[names[j]] })
	for _, ws := range names {
		fmt.Fprintf(&b, "- %s: %s\n", ws, ms(cold[ws]))
	}
	b.WriteString("\nReading the figures: an answer rejected by parse runs no build and no test of the edit, so it costs the prompt's context and the static gates; an attempt that reaches the build and tests gates costs what building and running the selected tests costs in the sandbox, which dominates. The model's own latency (seconds per answer for hosted models) comes on top.\n")
	os.Stdout.Write(b.Bytes())
}

func moduleDir(mod string) (string, error) {
	c := exec.Command("go", "mod", "download", "-json", mod)
	c.Dir = os.TempDir()
	out, err := c.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %v\n%s", mod, err, out)
	}
	var info struct{ Dir string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", mod, out)
	}
	return info.Dir, nil
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

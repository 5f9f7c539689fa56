// Command serve measures one `gauntlet serve` engine under load and warm
// against cold, and prints RESULTS.md on stdout:
//
//   - 40 clients at once, each on its own connection, asking Analyze (the
//     work of `gauntlet check DIR --format json`) over a copy of a Go
//     source tree, beside the same 40 requests one at a time: all
//     answered, median and p95 latency, wall time; the engine's resident
//     memory before the first request and after the load.
//   - Verify of a one-line edit of examples/gocalc by the warm engine,
//     beside a cold `gauntlet verify --patch` process each time.
//
// Run by bench/serve/run.sh; progress on stderr.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/api/client"
)

func main() {
	bin := flag.String("gauntlet", "bin/gauntlet", "the gauntlet binary")
	goroot, _ := exec.Command("go", "env", "GOROOT").Output() // runtime.GOROOT is deprecated; a failure shows as the default's missing tree
	tree := flag.String("tree", filepath.Join(strings.TrimSpace(string(goroot)), "src", "net", "http"), "the source tree the clients check")
	clients := flag.Int("clients", 40, "clients at once")
	verifies := flag.Int("verifies", 5, "verify runs, warm and cold each")
	flag.Parse()
	if err := run(*bin, *tree, *clients, *verifies); err != nil {
		fmt.Fprintln(os.Stderr, "bench/serve:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

func run(bin, tree string, n, verifies int) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "bench-serve")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ws := filepath.Join(tmp, "ws")
	if err := copyTree(tree, filepath.Join(ws, "tree")); err != nil {
		return err
	}
	gocalc := filepath.Join(ws, "gocalc")
	if err := copyTree("examples/gocalc", gocalc); err != nil {
		return err
	}
	files := 0
	filepath.WalkDir(filepath.Join(ws, "tree"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
			files++
		}
		return nil
	})

	sock := filepath.Join(tmp, "run", "engine.sock")
	cmd := exec.Command(bin, "serve", "--listen", "unix:"+sock, "--root", ws)
	cmd.Env = append(os.Environ(), "GAUNTLET_CACHE="+filepath.Join(tmp, "cache"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var serveLog bytes.Buffer
	cmd.Stderr = &serveLog
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		cmd.Wait()
	}()
	addr := "unix:" + sock
	c, err := client.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Healthy(ctx)
		cancel()
		if err == nil {
			break
		}
		if i > 100 {
			return fmt.Errorf("server did not start: %v\n%s", err, serveLog.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	rssBefore, _ := memory(cmd.Process.Pid)
	loadBefore := loadavg()

	req := &api.AnalyzeRequest{Cwd: ws, Paths: []string{"tree"}, Format: "json", FailOn: "none"}
	analyze := func(c *client.Client) (time.Duration, error) {
		start := time.Now()
		res, err := c.Analyze(context.Background(), req, api.Events{})
		if err != nil {
			return 0, err
		}
		if res.Outcome != api.OK {
			return 0, fmt.Errorf("outcome %v", res.Outcome)
		}
		return time.Since(start), nil
	}
	// One request first: the engine compiles the workspace's rules once.
	first, err := analyze(c)
	if err != nil {
		return err
	}
	logf("first request: %v", first)

	logf("%d requests one at a time", n)
	var seq []time.Duration
	seqStart := time.Now()
	for i := 0; i < n; i++ {
		d, err := analyze(c)
		if err != nil {
			return err
		}
		seq = append(seq, d)
	}
	seqWall := time.Since(seqStart)

	logf("%d clients at once", n)
	conc := make([]time.Duration, n)
	errs := make([]error, n)
	conns := make([]*client.Client, n)
	for i := range conns {
		if conns[i], err = client.Dial(addr); err != nil {
			return err
		}
		defer conns[i].Close()
	}
	var wg sync.WaitGroup
	gate := make(chan struct{})
	concStart := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			conc[i], errs[i] = analyze(conns[i])
		}()
	}
	close(gate)
	wg.Wait()
	concWall := time.Since(concStart)
	answered := 0
	for _, e := range errs {
		if e == nil {
			answered++
		} else {
			logf("client error: %v", e)
		}
	}
	rssAfter, hwm := memory(cmd.Process.Pid)

	// Verify: a one-line edit that keeps the tests passing.
	patch := "--- a/calc/calc.go\n+++ b/calc/calc.go\n@@ -13,3 +13,3 @@\n func Add(a, b int) int {\n-\treturn clamp(a + b)\n+\treturn clamp(b + a)\n }\n"
	vreq := &api.VerifyRequest{Cwd: gocalc, Patch: []byte(patch), Format: "json", Sandbox: "none"}
	logf("verify: warming the engine")
	if res, err := c.Verify(context.Background(), vreq, api.Events{}); err != nil || res.Outcome != api.OK {
		return fmt.Errorf("warm-up verify: %v\n%s", err, outputOf(res))
	}
	patchFile := filepath.Join(tmp, "edit.diff")
	os.WriteFile(patchFile, []byte(patch), 0o644)
	var warm, cold []time.Duration
	for i := 0; i < verifies; i++ {
		logf("verify %d of %d", i+1, verifies)
		start := time.Now()
		res, err := c.Verify(context.Background(), vreq, api.Events{})
		if err != nil || res.Outcome != api.OK {
			return fmt.Errorf("warm verify: %v %v", err, outputOf(res))
		}
		warm = append(warm, time.Since(start))

		v := exec.Command(bin, "verify", "--patch", patchFile, "--sandbox", "none", "--format", "json")
		v.Dir = gocalc
		v.Env = cmd.Env
		start = time.Now()
		if out, err := v.CombinedOutput(); err != nil {
			return fmt.Errorf("cold verify: %v\n%s", err, out)
		}
		cold = append(cold, time.Since(start))
	}

	loadAfter := loadavg()
	ver, _ := exec.Command(bin, "version").Output()
	fmt.Printf("# gauntlet serve: one engine under load, warm against cold\n\n")
	fmt.Printf("Measured %s on %s/%s, %d CPUs, %s, %s.\n\n", time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), strings.TrimSpace(string(ver)), runtime.Version())
	fmt.Printf("Load average (1 min) of the machine, which other work shares: %s at the start, %s at the end.\n\n", loadBefore, loadAfter)
	fmt.Printf("Command: `sh bench/serve/run.sh` (`go run ./bench/serve -gauntlet bin/gauntlet -tree %s -clients %d -verifies %d`).\n\n", tree, n, verifies)
	fmt.Printf("## %d clients at once against one engine\n\n", n)
	fmt.Printf("Each request is Analyze of a copy of `%s` (%d Go files; the work of `gauntlet check tree --format json`), over a unix socket, each client on its own connection. The server runs at most as many analyses at once as there are CPUs (each already uses every core); the others wait their turn, which is the queue the 40-at-once latencies show. The first request (compiling the workspace's rules) took %s and is not counted.\n\n", tree, files, ms(first))
	fmt.Printf("| | answered | median | p95 | max | wall time |\n|---|---|---|---|---|---|\n")
	fmt.Printf("| one at a time | %d of %d | %s | %s | %s | %s |\n", n, n, ms(pct(seq, 50)), ms(pct(seq, 95)), ms(pct(seq, 100)), ms(seqWall))
	fmt.Printf("| %d at once | %d of %d | %s | %s | %s | %s |\n\n", n, answered, n, ms(pct(conc, 50)), ms(pct(conc, 95)), ms(pct(conc, 100)), ms(concWall))
	fmt.Printf("Engine memory (VmRSS of the server process): %s before the first request, %s after the load (peak VmHWM %s).\n\n", mib(rssBefore), mib(rssAfter), mib(hwm))
	fmt.Printf("## Verify of a one-line edit: warm engine beside a cold process\n\n")
	fmt.Printf("The edit swaps the operands of `Add` in examples/gocalc (accepted: build, tests and coverage pass); sandbox none; the Go build cache is shared by both, as on a developer's machine. Warm: Verify on the running engine after one warm-up call. Cold: `gauntlet verify --patch edit.diff` as a new process each time. %d runs each, alternating.\n\n", verifies)
	fmt.Printf("| | median | min | max |\n|---|---|---|---|\n")
	fmt.Printf("| warm engine (Verify call) | %s | %s | %s |\n", ms(pct(warm, 50)), ms(pct(warm, 0)), ms(pct(warm, 100)))
	fmt.Printf("| cold process (gauntlet verify) | %s | %s | %s |\n", ms(pct(cold, 50)), ms(pct(cold, 0)), ms(pct(cold, 100)))
	return nil
}

func outputOf(r *api.Result) string {
	if r == nil {
		return ""
	}
	return string(r.Output)
}

// pct is the p-th percentile (nearest rank) of ds.
func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	i := (p*len(s) + 99) / 100
	if i > 0 {
		i--
	}
	return s[min(i, len(s)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func mib(kb int) string { return fmt.Sprintf("%.0f MiB", float64(kb)/1024) }

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}

// memory reads VmRSS and VmHWM (KiB) of a process.
func memory(pid int) (rss, hwm int) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		var v int
		if _, err := fmt.Sscanf(l, "VmRSS: %d kB", &v); err == nil {
			rss = v
		}
		if _, err := fmt.Sscanf(l, "VmHWM: %d kB", &v); err == nil {
			hwm = v
		}
	}
	return rss, hwm
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
}

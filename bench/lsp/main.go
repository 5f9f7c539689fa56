// Command lsp measures edit-to-diagnostics latency of language servers: it
// opens one file, then breaks and fixes one line N times, and times each
// didChange until the publishDiagnostics of that document version arrives.
// It drives every server given with the same client, one after the other, in
// one run, and prints the median and p95 of each.
//
//	go run ./bench/lsp -server gauntlet='bin/gauntlet lsp' -server gopls=gopls
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf16"

	"github.com/sourcegraph/jsonrpc2"
)

type serverFlag []string

func (s *serverFlag) String() string     { return strings.Join(*s, ",") }
func (s *serverFlag) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	var servers serverFlag
	flag.Var(&servers, "server", "NAME=COMMAND of a language server on stdio (repeatable)")
	file := flag.String("file", filepath.Join(runtime.GOROOT(), "src", "net", "http", "server.go"), "file to edit")
	root := flag.String("root", "", "workspace root (default: the directory of the nearest go.mod above -file)")
	cycles := flag.Int("n", 40, "break-and-fix cycles (each is two timed edits)")
	line := flag.String("line", "c.r = &connReader{conn: c, rwc: c.rwc}", "the line to break and fix: its first occurrence, trimmed of spaces")
	timeout := flag.Duration("timeout", 10*time.Second, "longest wait for one edit's diagnostics before it counts as missed")
	bigMB := flag.Int("big", 0, "instead: open a file of this many MB (-file's declarations repeated) and edit it while timing code actions on a 3-line file")
	bigEdits := flag.Int("big-edits", 10, "with -big: edits of the large file")
	bigRequests := flag.Int("big-requests", 100, "with -big: at least this many code actions")
	insert := flag.String("insert", ")", "the text appended to the line to break it (the fixing edit removes it again)")
	expect := flag.String("expect", "", "the code (rule id) a diagnostic near the line must carry after the breaking edit; none carries it after the fixing edit (default: any diagnostic near the line)")
	flag.Parse()
	if len(servers) == 0 {
		fmt.Fprintln(os.Stderr, "usage: lsp -server NAME=COMMAND [-server ...] [-file F] [-n N]")
		os.Exit(2)
	}
	abs, err := filepath.Abs(*file)
	check(err)
	content, err := os.ReadFile(abs)
	check(err)
	if *root == "" {
		*root = moduleRoot(abs)
	}
	if *bigMB > 0 {
		var results []isolationResult
		for _, s := range servers {
			name, command, ok := strings.Cut(s, "=")
			if !ok {
				fail(fmt.Errorf("-server %q: want NAME=COMMAND", s))
			}
			r, err := isolation(name, strings.Fields(command), content, *bigMB, *bigEdits, *bigRequests, 10*time.Minute)
			if err != nil {
				fail(fmt.Errorf("%s: %w", name, err))
			}
			results = append(results, r)
		}
		fmt.Printf("code actions on a 3-line file while a large Go file is opened and edited %d times on the same connection; %s, %d cores\n", *bigEdits, runtime.Version(), runtime.NumCPU())
		printIsolation(results, *bigEdits)
		return
	}
	lineNo := -1
	for i, l := range strings.Split(string(content), "\n") {
		if strings.TrimSpace(l) == strings.TrimSpace(*line) {
			lineNo = i
			break
		}
	}
	if lineNo < 0 {
		fail(fmt.Errorf("line %q not found in %s", *line, abs))
	}
	lines := strings.Split(string(content), "\n")
	fmt.Printf("file: %s (%d lines, %d bytes); line %d: %q; appended and removed: %q; %d cycles; %s, %d cores\n",
		abs, len(lines), len(content), lineNo+1, strings.TrimSpace(lines[lineNo]), *insert, *cycles, runtime.Version(), runtime.NumCPU())
	var results []result
	for _, s := range servers {
		name, command, ok := strings.Cut(s, "=")
		if !ok {
			fail(fmt.Errorf("-server %q: want NAME=COMMAND", s))
		}
		r, err := measure(name, strings.Fields(command), *root, abs, string(content), lineNo, len(lines[lineNo]), *insert, *expect, *cycles, *timeout)
		if err != nil {
			fail(fmt.Errorf("%s: %w", name, err))
		}
		results = append(results, r)
	}
	fmt.Println()
	fmt.Printf("| server | edits | missed | median | p95 | min | max | first diagnostics | CPU per edit |\n|:---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range results {
		fmt.Printf("| %s | %d | %d | %s | %s | %s | %s | %s | %s |\n", r.name, len(r.lat)+r.missed, r.missed,
			ms(pct(r.lat, 50)), ms(pct(r.lat, 95)), ms(pct(r.lat, 0)), ms(pct(r.lat, 100)), ms(r.first), cpuPerEdit(r))
	}
	fmt.Println()
	for _, r := range results {
		fmt.Printf("%s: median %s for the breaking edits, %s for the fixing ones; %s\n", r.name, ms(pct(r.broke, 50)), ms(pct(r.fixed, 50)), r.sync)
		if r.unversioned > 0 {
			fmt.Printf("%s: %d edits timed to the first publication after the change that carried no version\n", r.name, r.unversioned)
		}
	}
	if len(results) >= 2 && len(results[0].lat) > 0 && len(results[1].lat) > 0 {
		fmt.Printf("\n%s median / %s median = %.3f\n", results[0].name, results[1].name,
			float64(pct(results[0].lat, 50))/float64(pct(results[1].lat, 50)))
		if results[0].cpu > 0 && results[1].cpu > 0 {
			fmt.Printf("%s CPU / %s CPU over the edits = %.3f\n", results[0].name, results[1].name, float64(results[0].cpu)/float64(results[1].cpu))
		}
	}
	for _, r := range results {
		if r.missed > 0 {
			os.Exit(1)
		}
	}
}

type result struct {
	name   string
	lat    []time.Duration
	broke  []time.Duration // edits that break the line
	fixed  []time.Duration // edits that fix it
	missed int
	first  time.Duration
	// sync says how the edits were sent: incremental ranges, or the whole
	// text where the server asks for full document sync (ast-grep's does).
	sync string
	// unversioned counts edits whose publication carried no version and was
	// taken as the first publication after the change.
	unversioned int
	// cpu is the server's CPU time (user + system, all its processes) from
	// the first diagnostics to the last edit's; 0 where /proc is missing.
	cpu time.Duration
}

// cpuPerEdit is r.cpu over the edits: unlike the latency, it hardly
// depends on how many other processes share the cores.
func cpuPerEdit(r result) string {
	if r.cpu <= 0 {
		return "–"
	}
	return ms(r.cpu / time.Duration(len(r.lat)+r.missed))
}

// groupCPU sums utime and stime of the processes in process group pgid
// (/proc/PID/stat fields 14 and 15, in clock ticks: 100 per second on
// Linux); 0 without /proc.
func groupCPU(pgid int) time.Duration {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// the command name (field 2) may hold spaces: fields start after ")"
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 13 || f[2] != fmt.Sprint(pgid) {
			continue
		}
		var u, s int64
		fmt.Sscan(f[11], &u)
		fmt.Sscan(f[12], &s)
		ticks += u + s
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

type publish struct {
	URI         string `json:"uri"`
	Version     *int32 `json:"version"`
	Diagnostics []struct {
		Range struct {
			Start struct{ Line, Character int }
		}
		Code    any
		Message string
	} `json:"diagnostics"`
}

// handler records publishDiagnostics and answers the server's requests
// (configuration, progress tokens, registrations) with null.
type handler struct {
	mu      sync.Mutex
	cond    *sync.Cond
	pubs    []publish
	rootURI string
}

func (h *handler) Handle(ctx context.Context, c *jsonrpc2.Conn, req *jsonrpc2.Request) {
	if req.Method == "textDocument/publishDiagnostics" && req.Params != nil {
		var p publish
		if json.Unmarshal(*req.Params, &p) == nil {
			h.mu.Lock()
			h.pubs = append(h.pubs, p)
			h.cond.Broadcast()
			h.mu.Unlock()
		}
	}
	if !req.Notif {
		if req.Method == "workspace/configuration" {
			c.Reply(ctx, req.ID, []any{map[string]any{}})
			return
		}
		if req.Method == "workspace/workspaceFolders" {
			c.Reply(ctx, req.ID, []any{map[string]any{"uri": h.rootURI, "name": "root"}})
			return
		}
		c.Reply(ctx, req.ID, nil)
	}
}

// await waits for the diagnostics of uri at version. A publication without a
// version (the field is optional in LSP) counts if it is among pubs[from:],
// the publications that arrived after the change was sent.
func (h *handler) await(uri string, version int32, from int, timeout time.Duration) (publish, bool) {
	deadline := time.Now().Add(timeout)
	t := time.AfterFunc(timeout, func() { h.mu.Lock(); h.cond.Broadcast(); h.mu.Unlock() })
	defer t.Stop()
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := 0; ; {
		for ; i < len(h.pubs); i++ {
			p := h.pubs[i]
			if p.URI == uri && (p.Version != nil && *p.Version == version || p.Version == nil && i >= from) {
				return p, true
			}
		}
		if time.Now().After(deadline) {
			return publish{}, false
		}
		h.cond.Wait()
	}
}

type rwc struct {
	io.ReadCloser
	io.WriteCloser
}

func (c rwc) Close() error { c.WriteCloser.Close(); return c.ReadCloser.Close() }

func measure(name string, argv []string, root, file, content string, line, lineLen int, insert, expect string, cycles int, timeout time.Duration) (result, error) {
	res := result{name: name}
	bin, err := exec.LookPath(argv[0])
	if err != nil {
		return res, err
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return res, err
	}
	cmd := exec.Command(bin, argv[1:]...)
	cmd.Dir = root
	cmd.Stderr = io.Discard // servers log here; gauntlet is run with --quiet anyway
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := cmd.StdinPipe()
	if err != nil {
		return res, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	if err := cmd.Start(); err != nil {
		return res, err
	}
	defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	rootURI, uri := fileURI(root), fileURI(file)
	h := &handler{rootURI: rootURI}
	h.cond = sync.NewCond(&h.mu)
	ctx := context.Background()
	conn := jsonrpc2.NewConn(ctx, jsonrpc2.NewBufferedStream(rwc{io.NopCloser(bufio.NewReader(out)), in}, jsonrpc2.VSCodeObjectCodec{}), h)
	defer conn.Close()
	var init struct {
		Capabilities struct {
			TextDocumentSync json.RawMessage `json:"textDocumentSync"`
		} `json:"capabilities"`
	}
	err = conn.Call(ctx, "initialize", map[string]any{
		"processId":        os.Getpid(),
		"rootUri":          rootURI,
		"workspaceFolders": []any{map[string]any{"uri": rootURI, "name": filepath.Base(root)}},
		"capabilities": map[string]any{
			"textDocument": map[string]any{"publishDiagnostics": map[string]any{"versionSupport": true}},
			"workspace":    map[string]any{"configuration": true},
		},
	}, &init)
	if err != nil {
		return res, fmt.Errorf("initialize: %w", err)
	}
	conn.Notify(ctx, "initialized", map[string]any{})
	start := time.Now()
	conn.Notify(ctx, "textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": uri, "languageId": "go", "version": 1, "text": content}})
	if _, ok := h.await(uri, 1, 0, 5*time.Minute); !ok {
		return res, errors.New("no diagnostics for the opened file")
	}
	res.first = time.Since(start)
	fmt.Printf("%s: first diagnostics after %s\n", name, res.first.Round(time.Millisecond))
	// Break: append insert (a stray ")") to the line. Fix: remove it.
	// A server that asks for full document sync (textDocumentSync 1, as
	// ast-grep's does) gets the whole text in each change, as an editor
	// would send it; the others get the range.
	full := fullSync(init.Capabilities.TextDocumentSync)
	res.sync = "incremental sync"
	if full {
		res.sync = "full sync (the whole text in each change)"
	}
	n := len(utf16.Encode([]rune(insert)))
	at := map[string]int{"line": line, "character": lineLen}
	after := map[string]int{"line": line, "character": lineLen + n}
	lines := strings.SplitAfter(content, "\n")
	brokenText := strings.Join(lines[:line], "") + strings.TrimSuffix(lines[line], "\n") + insert + "\n" + strings.Join(lines[line+1:], "")
	version := int32(1)
	cpu0 := groupCPU(cmd.Process.Pid)
	for i := 0; i < cycles; i++ {
		for _, broken := range []bool{true, false} {
			version++
			ev := map[string]any{"range": map[string]any{"start": at, "end": at}, "text": insert}
			if !broken {
				ev = map[string]any{"range": map[string]any{"start": at, "end": after}, "text": ""}
			}
			if full && broken {
				ev = map[string]any{"text": brokenText}
			} else if full {
				ev = map[string]any{"text": content}
			}
			h.mu.Lock()
			from := len(h.pubs)
			h.mu.Unlock()
			t0 := time.Now()
			conn.Notify(ctx, "textDocument/didChange", map[string]any{
				"textDocument":   map[string]any{"uri": uri, "version": version},
				"contentChanges": []any{ev},
			})
			p, ok := h.await(uri, version, from, timeout)
			d := time.Since(t0)
			if !ok {
				res.missed++
				fmt.Printf("%s: version %d: no diagnostics within %s\n", name, version, timeout)
				continue
			}
			if p.Version == nil {
				res.unversioned++
			}
			near := 0
			for _, dg := range p.Diagnostics {
				if l := dg.Range.Start.Line; l >= line && l <= line+2 && (expect == "" || fmt.Sprint(dg.Code) == expect) {
					near++
				}
			}
			if broken && near == 0 || !broken && near != 0 {
				res.missed++
				fmt.Printf("%s: version %d (broken=%v): diagnostics do not match the text: %+v\n", name, version, broken, p.Diagnostics)
				continue
			}
			res.lat = append(res.lat, d)
			if broken {
				res.broke = append(res.broke, d)
			} else {
				res.fixed = append(res.fixed, d)
			}
		}
	}
	res.cpu = groupCPU(cmd.Process.Pid) - cpu0
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn.Call(sctx, "shutdown", nil, nil)
	conn.Notify(ctx, "exit", nil)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	return res, nil
}

// fullSync reports whether a server's textDocumentSync capability (a kind,
// or options with a change kind) asks for the whole text in each change.
func fullSync(raw json.RawMessage) bool {
	var kind int
	if json.Unmarshal(raw, &kind) == nil {
		return kind == 1
	}
	var opts struct {
		Change int `json:"change"`
	}
	return json.Unmarshal(raw, &opts) == nil && opts.Change == 1
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s) - 1) * p / 100
	return s[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func fileURI(p string) string { return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String() }

func moduleRoot(file string) string {
	for d := filepath.Dir(file); ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return filepath.Dir(file)
		}
	}
}

func check(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/lsp:", err)
	os.Exit(2)
}

package plugins_test

// End-to-end tests with real plugin processes: the example todo-owner plugin
// and internal/testplugins/misbehave, built once per test binary.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
	"github.com/gauntlet-dev/gauntlet/plugins"
	"github.com/gauntlet-dev/gauntlet/plugins/examples/todo-owner/todoowner"
)

var bin string // directory of the built plugins

func TestMain(m *testing.M) {
	if path := os.Getenv("PLUGINS_TEST_HOST"); path != "" {
		hostHelper(path)
		return
	}
	dir, err := os.MkdirTemp("", "plugins-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = dir
	out, err := exec.Command("go", "build", "-o", dir+"/", "./internal/testplugins/misbehave", "./examples/todo-owner").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the test plugins: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// hostHelper is a gauntlet stand-in for the kill -9 test: it starts a host
// with the plugin at path, prints the plugin's pid, and waits to be killed.
func hostHelper(path string) {
	mode := os.Getenv("PLUGINS_TEST_MODE")
	if mode == "" {
		mode = "ok"
	}
	h, err := plugins.NewHost([]plugins.Spec{{Name: "victim", Path: path, Args: []string{mode}}})
	if err == nil {
		err = h.Start(context.Background())
	}
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	if mode == "setsid" {
		ds, _ := analysis.Run(context.Background(), analysis.NewFile("a.go", []byte(goSrc), 1), h.Analyzers())
		for _, d := range ds {
			fmt.Println("CHILD", strings.TrimPrefix(d.Message, "child "))
		}
	}
	fmt.Println("PID", h.Status()[0].PID)
	time.Sleep(time.Minute)
}

// waitFor polls cond until the test's deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := testenv.Deadline(t); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// reported waits for n failure reports, then checks that no more come:
// once the exits of the plugin processes that died have been handled
// (SettleExits), nothing is left to report them.
func reported(t *testing.T, h *plugins.Host, fs *testenv.Recorder[error], n int) []error {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d failure reports", n), func() bool { return len(fs.All()) >= n })
	h.SettleExits()
	got := fs.All()
	if len(got) != n {
		t.Errorf("%d failure reports, want %d: %q", len(got), n, got)
	}
	return got
}

func spec(name, mode string) plugins.Spec {
	return plugins.Spec{Name: name, Path: filepath.Join(bin, "misbehave"), Args: []string{mode}, Timeout: 5 * time.Second}
}

func todoSpec() plugins.Spec {
	return plugins.Spec{Name: "todo-owner", Path: filepath.Join(bin, "todo-owner")}
}

// startHost starts a host for specs, closed (and checked for leftover
// processes) when the test ends.
func startHost(t *testing.T, specs ...plugins.Spec) (*plugins.Host, *testenv.Recorder[error], error) {
	t.Helper()
	fs := &testenv.Recorder[error]{}
	var log strings.Builder
	var logMu sync.Mutex
	h, err := plugins.NewHost(specs, plugins.OnFailure(fs.Add), plugins.WithLog(writerFunc(func(b []byte) {
		logMu.Lock()
		log.Write(b)
		logMu.Unlock()
	})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.Close()
		checkNoChildren(t)
		if t.Failed() {
			logMu.Lock()
			t.Logf("plugin log:\n%s", log.String())
			logMu.Unlock()
		}
	})
	err = h.Start(context.Background())
	return h, fs, err
}

type writerFunc func([]byte)

func (w writerFunc) Write(b []byte) (int, error) { w(b); return len(b), nil }

const goSrc = "package p\n\n// TODO: no owner\nfunc f() {}\n"

// analyze runs analyzers over a Go file as the engine does.
func analyze(t *testing.T, as []*analysis.Analyzer, content string) ([]analysis.Diagnostic, []error) {
	t.Helper()
	return analysis.Run(context.Background(), analysis.NewFile("a.go", []byte(content), 1), as)
}

// builtin stands for the built-in analyzers that must keep working.
var builtin = &analysis.Analyzer{Name: "builtin", Run: func(pass *analysis.Pass) error {
	pass.Report(analysis.Diagnostic{Start: 0, End: 7, Message: "built-in finding"})
	return nil
}}

func codes(ds []analysis.Diagnostic) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Code)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestTodoOwnerPlugin(t *testing.T) {
	h, fs, err := startHost(t, todoSpec())
	if err != nil {
		t.Fatal(err)
	}
	as := h.Analyzers()
	if len(as) != 1 || as[0].Name != "todo-owner" || as[0].Source != "todo-owner" || strings.Join(as[0].Languages, ",") != "go,python,javascript" {
		t.Fatalf("analyzers: %+v", as)
	}
	for name, content := range testenv.DirFiles(t, "examples/todo-owner/todoowner/testdata") {
		viaPlugin, errs := analysis.Run(context.Background(), analysis.NewFile(name, content, 1), as)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", name, errs)
		}
		inProcess, _ := analysis.Run(context.Background(), analysis.NewFile(name, content, 1), []*analysis.Analyzer{todoowner.Analyzer})
		if len(viaPlugin) == 0 || len(viaPlugin) != len(inProcess) {
			t.Fatalf("%s: %d findings through the plugin, %d in process", name, len(viaPlugin), len(inProcess))
		}
		for i := range viaPlugin {
			p, q := viaPlugin[i], inProcess[i]
			if p.Source != "todo-owner" || q.Source != "gauntlet" {
				t.Errorf("sources %q, %q", p.Source, q.Source)
			}
			p.Source, q.Source = "", ""
			if fmt.Sprint(p) != fmt.Sprint(q) {
				t.Errorf("%s:\nplugin     %+v\nin process %+v", name, p, q)
			}
		}
	}
	st := h.Status()[0]
	if st.State != plugins.StateRunning || st.PID == 0 || st.Err != nil || len(st.Analyzers) != 1 {
		t.Errorf("status %+v", st)
	}
	if errs := fs.All(); len(errs) > 0 {
		t.Errorf("failures reported: %v", errs)
	}
}

// A plugin's fixes, severities and positions survive the trip.
func TestFindingsAndFixes(t *testing.T) {
	h, _, err := startHost(t, spec("good", "ok"))
	if err != nil {
		t.Fatal(err)
	}
	ds, errs := analyze(t, h.Analyzers(), goSrc)
	if len(errs) > 0 || len(ds) != 1 {
		t.Fatalf("diags %+v errs %v", ds, errs)
	}
	d := ds[0]
	want := analysis.Diagnostic{Path: "a.go", Start: 0, End: 1, Severity: analysis.SeverityError, Code: "ok-check", Source: "good", Message: "ok from ok",
		Fixes: []analysis.Fix{{Title: "mark it", Edits: []analysis.TextEdit{{Path: "a.go", NewText: "// fixed\n"}}}}}
	if fmt.Sprint(d) != fmt.Sprint(want) {
		t.Errorf("got  %+v\nwant %+v", d, want)
	}
}

// Each way a plugin can fail is reported naming it, costs only its own
// findings, and leaves no process behind.
func TestFailures(t *testing.T) {
	hash := strings.Repeat("0", 64)
	tests := []struct {
		name    string
		spec    plugins.Spec
		atStart bool   // fails in Start rather than in a call
		want    string // regexp of the failure
	}{
		{"panic", spec("panicky", "panic"), false, `^plugin panicky: exited \(exit status 2\): panic: boom`},
		{"exit", spec("quitter", "exit"), false, `^plugin quitter: exited \(exit status 3\)`},
		{"hang", withTimeout(spec("sleeper", "hang"), 300*time.Millisecond), false, `^plugin sleeper: did not answer within 300ms; killed`},
		{"stdout", spec("chatty", "stdout"), true, `^plugin chatty: start: Unrecognized remote plugin message: hello from the plugin, before its handshake`},
		{"cookie", spec("stranger", "cookie"), true, `^plugin stranger: start: exited \(exit status 1\) before its handshake: .*magic cookie`},
		{"version", spec("future", "version"), true, `^plugin future: start: .*Plugin version: 2, Client versions: \[1\]`},
		{"sha256", withHash(spec("tampered", "ok"), hash), true, `^plugin tampered: sha256 of .*misbehave is [0-9a-f]{64}, not the 0{64} its configuration pins`},
		{"missing", plugins.Spec{Name: "ghost", Path: "/nonexistent/ghost"}, true, `^plugin ghost: start: .*no such file or directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, fs, err := startHost(t, todoSpec(), tt.spec)
			re := regexp.MustCompile(tt.want)
			if tt.atStart {
				if err == nil || !re.MatchString(err.Error()) {
					t.Fatalf("Start: %v, want %s", err, tt.want)
				}
			} else if err != nil {
				t.Fatalf("Start: %v", err)
			}
			as := append(h.Analyzers(), builtin)
			for range 2 { // a second file fails fast and is not reported again
				ds, errs := analyze(t, as, goSrc)
				if got := codes(ds); !slices.Equal(got, []string{"builtin", "todo-owner"}) {
					t.Errorf("findings from %v, want builtin and todo-owner", got)
				}
				if len(errs) != 1 {
					t.Fatalf("errors %v, want one", errs)
				}
				var pe *plugins.Error
				if !errors.As(errs[0], &pe) || pe.Plugin != tt.spec.Name {
					t.Fatalf("error %v names no plugin %s", errs[0], tt.spec.Name)
				}
			}
			if got := reported(t, h, fs, 1); !re.MatchString(got[0].Error()) {
				t.Fatalf("reported %q, want once %s", got, tt.want)
			}
			if st := h.Status()[1]; st.State != plugins.StateFailed || st.PID != 0 {
				t.Errorf("status %+v", st)
			}
		})
	}
}

func withTimeout(s plugins.Spec, d time.Duration) plugins.Spec { s.Timeout = d; return s }
func withHash(s plugins.Spec, h string) plugins.Spec           { s.SHA256 = h; return s }

func TestPinnedDigest(t *testing.T) {
	sum, err := plugins.Digest(filepath.Join(bin, "misbehave"))
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := startHost(t, withHash(spec("pinned", "ok"), strings.ToUpper(sum)))
	if err != nil {
		t.Fatal(err)
	}
	if _, errs := analyze(t, h.Analyzers(), goSrc); len(errs) > 0 {
		t.Fatal(errs)
	}
}

// A plugin never sees gauntlet's stdin, which in `gauntlet lsp` is the LSP
// stream: the plugin reads nothing, and the stream is intact.
func TestStdinIsNotShared(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	old := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = old }()
	const msg = "Content-Length: 2\r\n\r\n{}"
	if _, err := w.WriteString(msg); err != nil {
		t.Fatal(err)
	}
	h, _, err := startHost(t, spec("reader", "stdin"))
	if err != nil {
		t.Fatal(err)
	}
	ds, errs := analyze(t, h.Analyzers(), goSrc)
	if len(errs) > 0 || len(ds) != 1 || ds[0].Message != "read 0 bytes from stdin" {
		t.Fatalf("diags %+v errs %v", ds, errs)
	}
	w.Close()
	got := make([]byte, 100)
	n, _ := r.Read(got)
	if string(got[:n]) != msg {
		t.Fatalf("stdin now reads %q, want %q", got[:n], msg)
	}
}

// An analyzer that panics inside the plugin fails on that file only, as a
// built-in would; the plugin keeps running and nothing is reported.
func TestAnalyzerPanicInsidePlugin(t *testing.T) {
	h, fs, err := startHost(t, spec("fragile", "ok"))
	if err != nil {
		t.Fatal(err)
	}
	pid := h.Status()[0].PID
	_, errs := analyze(t, h.Analyzers(), goSrc+"// ANALYZER-PANIC\n")
	var pe *plugins.Error
	if len(errs) != 1 || errors.As(errs[0], &pe) || !strings.Contains(errs[0].Error(), "panic: analyzer panic") {
		t.Fatalf("errors %v, want the analyzer's panic", errs)
	}
	if ds, errs := analyze(t, h.Analyzers(), goSrc); len(errs) > 0 || len(ds) != 1 {
		t.Fatalf("after: diags %+v errs %v", ds, errs)
	}
	if st := h.Status()[0]; st.PID != pid || st.State != plugins.StateRunning {
		t.Errorf("status %+v, want still pid %d", st, pid)
	}
	if len(fs.All()) > 0 {
		t.Errorf("reported %v", fs.All())
	}
}

func TestRestartAfterCrash(t *testing.T) {
	s := spec("phoenix", "panic-once")
	s.Env = map[string]string{"MISBEHAVE_STATE": filepath.Join(t.TempDir(), "crashed")}
	h, fs, err := startHost(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, errs := analyze(t, h.Analyzers(), goSrc); len(errs) != 1 || !strings.Contains(errs[0].Error(), "panic: first call") {
		t.Fatalf("first call: %v", errs)
	}
	ds, errs := analyze(t, h.Analyzers(), goSrc)
	if len(errs) > 0 || len(ds) != 1 || ds[0].Message != "ok after a panic" {
		t.Fatalf("after the restart: diags %+v errs %v", ds, errs)
	}
	reported(t, h, fs, 1)
}

func TestOffAfterThreeFailures(t *testing.T) {
	defer plugins.SetRestartDelays(0, 0)()
	h, fs, err := startHost(t, spec("crashloop", "exit"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, errs := analyze(t, h.Analyzers(), goSrc); len(errs) != 1 {
			t.Fatalf("call %d: %v", i, errs)
		}
	}
	start := time.Now()
	_, errs := analyze(t, h.Analyzers(), goSrc)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "off after 3 failures within 1m0s") {
		t.Fatalf("fourth call: %v", errs)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("an off plugin took %v to refuse", d)
	}
	got := reported(t, h, fs, 2)
	text := fmt.Sprint(got)
	if len(got) != 2 || !strings.Contains(text, "it restarts on next use") || !strings.Contains(text, "off after 3 failures") {
		t.Errorf("reported %q, want the first failure and going off", got)
	}
	if st := h.Status()[0]; st.State != plugins.StateOff {
		t.Errorf("status %+v", st)
	}
}

// Killing a plugin's process: the host says so once, right away, and the
// plugin is back on next use.
func TestKilledPluginComesBack(t *testing.T) {
	h, fs, err := startHost(t, spec("target", "ok"))
	if err != nil {
		t.Fatal(err)
	}
	pid := h.Status()[0].PID
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the failure report", func() bool { return len(fs.All()) > 0 })
	if got := fs.All(); !strings.Contains(got[0].Error(), "plugin target: exited (signal: killed); it restarts on next use") {
		t.Errorf("reported %q", got)
	}
	ds, errs := analyze(t, h.Analyzers(), goSrc)
	if len(errs) > 0 || len(ds) != 1 {
		t.Fatalf("after the kill: diags %+v errs %v", ds, errs)
	}
	if st := h.Status()[0]; st.PID == pid || st.State != plugins.StateRunning {
		t.Errorf("status %+v", st)
	}
	reported(t, h, fs, 1)
}

// Stopping a plugin kills what it started too.
func TestStopKillsProcessGroup(t *testing.T) {
	checkStopKills(t, "child")
}

// A plugin's child that leaves the plugin's process group (setsid) is
// killed with the plugin, when the plugin is stopped and when it is
// restarted after a crash... and no process is left (checked through /proc).
func TestStopKillsSetsidGrandchild(t *testing.T) {
	checkStopKills(t, "setsid")
}

// checkStopKills checks that closing the host kills the misbehave plugin in
// mode child or setsid and the child its finding names.
func checkStopKills(t *testing.T, mode string) {
	h, _, err := startHost(t, spec("parent", mode))
	if err != nil {
		t.Fatal(err)
	}
	child := pluginChild(t, h)
	plugin := h.Status()[0].PID
	if !testenv.Running(child) || !testenv.Running(plugin) {
		t.Fatal("the plugin or its child is not running")
	}
	h.Close()
	waitFor(t, "the plugin's "+mode+" child to die", func() bool { return !testenv.Running(child) && !testenv.Running(plugin) })
}

// No plugin outlives gauntlet, even killed with SIGKILL.
func TestPluginDiesWithHost(t *testing.T) {
	checkDiesWithHost(t, "ok")
}

// No plugin, nor a child of it in a session of its own, outlives gauntlet
// killed with SIGKILL.
func TestSetsidGrandchildDiesWithHost(t *testing.T) {
	checkDiesWithHost(t, "setsid")
}

// checkDiesWithHost starts hostHelper in a process group of its own with
// the misbehave plugin in mode ok or setsid, kills it with SIGKILL, and
// checks that the plugin, and in mode setsid its child, die with it.
func checkDiesWithHost(t *testing.T, mode string) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PLUGINS_TEST_HOST="+filepath.Join(bin, "misbehave"), "PLUGINS_TEST_MODE="+mode)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	r := bufio.NewReader(out)
	var pids []int // the CHILD lines of the helper, then its PID line: the plugin
	for line := ""; !strings.HasPrefix(line, "PID "); {
		line, err = r.ReadString('\n')
		word, n, _ := strings.Cut(strings.TrimSpace(line), " ")
		pid, nerr := strconv.Atoi(n)
		if err != nil || nerr != nil || word != "CHILD" && word != "PID" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("host helper said %q (%v)", line, err)
		}
		if word == "CHILD" {
			defer syscall.Kill(pid, syscall.SIGKILL)
		}
		pids = append(pids, pid)
	}
	for _, pid := range pids {
		if mode == "setsid" && len(pids) < 2 || !testenv.Running(pid) {
			t.Fatalf("the plugin or its child is not running: %v (the plugin last)", pids)
		}
	}
	cmd.Process.Kill() // SIGKILL: no deferred cleanup runs in the host
	cmd.Wait()
	waitFor(t, "the plugin and its children to die with its host", func() bool { return !slices.ContainsFunc(pids, testenv.Running) })
}

// checkNoChildren fails if this process has child processes left, running
// or zombie.
func checkNoChildren(t *testing.T) {
	t.Helper()
	var left []string
	for deadline := testenv.Deadline(t); ; time.Sleep(20 * time.Millisecond) {
		left = left[:0]
		stats, _ := filepath.Glob("/proc/[0-9]*/stat")
		for _, f := range stats {
			head, state, ppid, ok := plugins.ProcStat(filepath.Base(filepath.Dir(f)))
			if ok && ppid == os.Getpid() {
				left = append(left, head+" "+state)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("child processes left behind: %v", left)
	}
}

// pluginChild analyses a file with h's plugin in mode child or setsid and
// returns the pid its finding reports.
func pluginChild(t *testing.T, h *plugins.Host) int {
	t.Helper()
	ds, errs := analyze(t, h.Analyzers(), goSrc)
	if len(errs) > 0 || len(ds) != 1 {
		t.Fatalf("diags %+v errs %v", ds, errs)
	}
	child, err := strconv.Atoi(strings.TrimPrefix(ds[0].Message, "child "))
	if err != nil {
		t.Fatal(err)
	}
	return child
}

// What a plugin writes on stderr and in its findings reaches the log and
// the user with its control characters escaped: no raw escape sequence.
func TestPluginOutputEscaped(t *testing.T) {
	var log strings.Builder
	var mu sync.Mutex
	h, err := plugins.NewHost([]plugins.Spec{spec("ansi", "ansi")}, plugins.WithLog(writerFunc(func(b []byte) {
		mu.Lock()
		log.Write(b)
		mu.Unlock()
	})))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ds, errs := analyze(t, h.Analyzers(), goSrc)
	if len(errs) > 0 || len(ds) != 1 {
		t.Fatalf("diags %+v errs %v", ds, errs)
	}
	if want := `\x1b[2J\x1b[31mcleared\x1b[0m`; ds[0].Message != want {
		t.Errorf("message %q, want %q", ds[0].Message, want)
	}
	waitFor(t, "the plugin's stderr line", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(log.String(), "done")
	})
	mu.Lock()
	got := log.String()
	mu.Unlock()
	if strings.ContainsAny(got, "\x1b\x07") || strings.Contains(got, "\x9b") || !strings.Contains(got, `ansi: \x1b[31mred\x1b[0m \x1b]0;owned title\x07 \x9b2J done`) {
		t.Errorf("log %q holds raw control characters or lacks the escaped line", got)
	}
}

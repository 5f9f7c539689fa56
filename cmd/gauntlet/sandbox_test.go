package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis/confine"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
	"github.com/gauntlet-dev/gauntlet/server/model/modeltest"
)

// These tests attack the sandbox the way a hostile edit would, through the
// real binary, with real go test and bubblewrap (issue 11: items 1, 2, 4,
// 7 and 9).

// hostileEnv is the environment of a gauntlet process under attack: secrets
// in the environment, a home of its own holding an ssh key, the real Go
// caches (warm).
type hostileEnv struct {
	home, key, keyText string
	secrets            map[string]string
	gocache            string
	env                []string
}

func newHostileEnv(t *testing.T) *hostileEnv {
	t.Helper()
	h := &hostileEnv{home: filepath.Join(t.TempDir(), "home"), secrets: map[string]string{
		"OPENAI_API_KEY": "sk-test-0penAIsecretValue4242",
		"GITHUB_TOKEN":   "ghp_githubSecretValue777777",
		"GAUNTLET_TOKEN": "gauntletServeToken31337",
		"MY_API_TOKEN":   "myApiTokenValue9999999",
	}}
	h.key = filepath.Join(h.home, ".ssh", "id_ed25519")
	h.keyText = "PRIVATE-KEY-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	os.MkdirAll(filepath.Dir(h.key), 0o700)
	if err := os.WriteFile(h.key, []byte(h.keyText), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatal(err)
	}
	vars := strings.Fields(string(out))
	h.gocache = vars[0]
	ucache, _ := os.UserCacheDir()
	h.env = []string{"HOME=" + h.home, "GOCACHE=" + vars[0], "GOMODCACHE=" + vars[1], "GOPATH=" + vars[2],
		"GAUNTLET_SANDBOX_GOCACHE=" + filepath.Join(ucache, "gauntlet", "sandbox-gocache"),
		"GAUNTLET_CACHE=" + t.TempDir(), "GAUNTLET_MODEL=none"}
	for k, v := range h.secrets {
		h.env = append(h.env, k+"="+v)
	}
	return h
}

// leaks lists the secrets (plain or hex-encoded, which no redaction can
// catch: only the allowlist keeps them out) and the key's text found in s.
// The variables letIn (let in through tests.env) are looked for plain only.
func (h *hostileEnv) leaks(s string, letIn ...string) []string {
	var out []string
	for k, v := range h.secrets {
		if strings.Contains(s, v) {
			out = append(out, k)
		}
		if !slices.Contains(letIn, k) && strings.Contains(s, hex.EncodeToString([]byte(v))) {
			out = append(out, k+" (hex)")
		}
	}
	if strings.Contains(s, h.keyText) || strings.Contains(s, hex.EncodeToString([]byte(h.keyText))) {
		out = append(out, "the ssh key")
	}
	return out
}

// twoPackages writes a module with packages a and b, each with a passing test.
func twoPackages(t *testing.T, config string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sbxprobe")
	files := map[string]string{
		"go.mod":      "module example.com/sbxprobe\n\ngo 1.22\n",
		"a/a.go":      "package a\n\n// A returns 1.\nfunc A() int { return 1 }\n",
		"a/a_test.go": "package a\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {\n\tif A() != 1 {\n\t\tt.Fatal(\"A\")\n\t}\n}\n",
		"b/b.go":      "package b\n\n// B returns 2.\nfunc B() int { return 2 }\n",
		"b/b_test.go": "package b\n\nimport \"testing\"\n\nfunc TestB(t *testing.T) {\n\tif B() != 2 {\n\t\tt.Fatal(\"B\")\n\t}\n}\n",
	}
	if config != "" {
		files[".gauntlet.yaml"] = config
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// newFile is a unified diff creating path with content.
func newFile(path, content string) string {
	lines := strings.Split(strings.TrimSuffix(content, "\n"), "\n")
	var b strings.Builder
	fmt.Fprintf(&b, "--- /dev/null\n+++ b/%s\n@@ -0,0 +1,%d @@\n", path, len(lines))
	for _, l := range lines {
		b.WriteString("+" + l + "\n")
	}
	return b.String()
}

// touchBoth edits A and B so that both packages' tests are selected, and
// adds a test file to a.
func touchBoth(testFile string) string {
	return newFile("a/probe_test.go", testFile) + `--- a/a/a.go
+++ b/a/a.go
@@ -2,3 +2,3 @@
 
-// A returns 1.
+// A returns one.
 func A() int { return 1 }
--- a/b/b.go
+++ b/b/b.go
@@ -3,2 +3,2 @@
 // B returns 2.
-func B() int { return 2 }
+func B() int { return 1 + 1 }
`
}

// runBin runs the gauntlet binary in dir with env added and stdin.
func runBin(t *testing.T, dir string, env []string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(gauntletBin(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	return code, out.String(), errb.String()
}

// TestSandboxWrapperRewrite: a test of the edit rewrites every file it can
// reach in the host's temporary directory and the gauntlet caches (where
// the old -exec launcher script lived) so that whatever runs them next
// leaves a mark on the host; package b's test binary then runs. Several
// runs: the old race was won 7 times in 11.
func TestSandboxWrapperRewrite(t *testing.T) {
	if !hasBwrap(t) {
		t.Skip("bwrap is not installed")
	}
	h := newHostileEnv(t)
	dir := twoPackages(t, "")
	mark := filepath.Join(t.TempDir(), "escaped")
	tmp := os.TempDir()
	probe := `package a

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRewrite(t *testing.T) {
	script := "#!/bin/sh\necho escaped >> ` + mark + `\nexec \"$@\"\n"
	n := 0
	for _, root := range []string{` + fmt.Sprintf("%q, %q", tmp, filepath.Dir(mark)) + `} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.Contains(p, "sbxprobe") {
				return nil
			}
			// Only gauntlet's own launchers (the old escape rewrote
			// sandbox-exec-*) and the test's decoy: a probe that escaped
			// must not wreck the machine's other files.
			if !strings.Contains(d.Name(), "sandbox-exec") && !strings.Contains(d.Name(), "gauntlet-decoy") {
				return nil
			}
			if os.WriteFile(p, []byte(script), 0o755) == nil {
				n++
			}
			return nil
		})
	}
	t.Logf("rewrote %d files", n)
}
`
	decoy := filepath.Join(t.TempDir(), "gauntlet-decoy")
	if err := os.WriteFile(decoy, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	patch := touchBoth(probe)
	for i := 0; i < 3; i++ {
		code, out, errb := runBin(t, dir, h.env, patch, "verify", "--patch", "-", "--format", "json")
		if _, err := os.Stat(mark); err == nil {
			t.Fatalf("run %d: code outside the sandbox ran a rewritten file (exit %d):\n%s\n%s", i+1, code, out, errb)
		}
		if b, _ := os.ReadFile(decoy); string(b) != "#!/bin/sh\nexit 0\n" {
			t.Fatalf("run %d: the host's decoy in %s was rewritten", i+1, filepath.Dir(decoy))
		}
		if !strings.Contains(out, `"sandbox": "bwrap"`) || code == exitError {
			t.Fatalf("run %d: exit %d:\n%s\n%s", i+1, code, out, errb)
		}
	}
}

// TestSandboxHostileProbe: a test of the edit tries the host's /tmp, the
// user's Go build cache, the user's ssh key and the environment; none is
// within its reach, and a secret that tests.env lets in is redacted from
// every output.
func TestSandboxHostileProbe(t *testing.T) {
	if !hasBwrap(t) {
		t.Skip("bwrap is not installed")
	}
	h := newHostileEnv(t)
	dir := twoPackages(t, "tests:\n  env: [MY_API_TOKEN]\n")
	hostTmp := filepath.Join(os.TempDir(), "gauntlet-probe-"+strconv.Itoa(os.Getpid()))
	os.MkdirAll(hostTmp, 0o777)
	defer os.RemoveAll(hostTmp)
	cacheMark := filepath.Join(h.gocache, "gauntlet-probe-"+strconv.Itoa(os.Getpid()))
	defer os.Remove(cacheMark)
	probe := `package a

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProbe(t *testing.T) {
	for _, kv := range os.Environ() {
		t.Log("ENV-HEX", hex.EncodeToString([]byte(kv)))
	}
	t.Log("PLAIN-TOKEN", os.Getenv("MY_API_TOKEN"))
	if b, err := os.ReadFile(` + fmt.Sprintf("%q", h.key) + `); err == nil {
		t.Log("KEY", string(b), hex.EncodeToString(b))
	} else {
		t.Log("KEY-ERR", err)
	}
	for _, p := range []string{` + fmt.Sprintf("%q, %q", filepath.Join(hostTmp, "x"), cacheMark) + `} {
		t.Log("WRITE", p, os.WriteFile(p, []byte("x"), 0o644))
	}
	if d, err := os.UserConfigDir(); err == nil {
		mode, _ := os.ReadFile(filepath.Join(d, "go", "telemetry", "mode"))
		t.Log("TELEMETRY", strings.TrimSpace(string(mode)), "config writable:", os.WriteFile(filepath.Join(d, "probe"), []byte("x"), 0o644) == nil)
	}
	t.Fatal("probe done")
}
`
	patch := touchBoth(probe)
	for _, format := range []string{"json", "text"} {
		code, out, errb := runBin(t, dir, h.env, patch, "verify", "--patch", "-", "--format", format)
		all := out + errb
		if code != exitFindings || !strings.Contains(all, "probe done") {
			t.Fatalf("%s: exit %d, want 1 with the probe's failure:\n%s", format, code, all)
		}
		if l := h.leaks(all, "MY_API_TOKEN"); len(l) > 0 {
			t.Errorf("%s: the output holds %v:\n%s", format, l, all)
		}
		if format == "json" && !strings.Contains(all, "PLAIN-TOKEN [redacted:MY_API_TOKEN]") {
			t.Errorf("the secret tests.env lets in is not redacted as [redacted:MY_API_TOKEN]:\n%s", all)
		}
		for _, p := range []string{filepath.Join(hostTmp, "x"), cacheMark} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s: a test wrote %s", format, p)
			}
		}
		// The go command's telemetry is off inside (no sidecar process per
		// go command, no counter files), and the config directory stays
		// writable for tests.
		if !strings.Contains(all, "TELEMETRY off config writable: true") {
			t.Errorf("%s: want go telemetry off and a writable config directory in the sandbox:\n%s", format, all)
		}
	}
}

// procsWith lists the processes whose command line holds s.
func procsWith(s string) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.Contains(b, []byte(s)) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return out
}

// waitGone waits for the processes that hold s to exit (a loaded machine
// may take a while to schedule a killed process's exit), until the test's
// deadline, and returns those still running then: the probes sleep for
// days, so one that outlives the test's deadline was not killed.
func waitGone(t *testing.T, s string) []string {
	for _, p := range procsWith(s) {
		pid, err := strconv.Atoi(strings.SplitN(p, ":", 2)[0])
		if err == nil {
			testenv.WaitExit(t, pid)
		}
	}
	return procsWith(s)
}

// TestNoLeftoverProcesses: with the sandbox off, a test's setsid child
// (out of the process group) is gone when verify ends.
func TestNoLeftoverProcesses(t *testing.T) {
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("no setsid")
	}
	h := newHostileEnv(t)
	dir := twoPackages(t, "")
	marker := strconv.Itoa(3000000 + os.Getpid())
	probe := `package a

import (
	"os/exec"
	"testing"
)

func TestDaemon(t *testing.T) {
	if err := exec.Command("setsid", "sleep", "` + marker + `").Start(); err != nil {
		t.Fatal(err)
	}
}
`
	code, out, errb := runBin(t, dir, h.env, touchBoth(probe), "verify", "--patch", "-", "--format", "json", "--sandbox", "none")
	if code == exitError {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errb)
	}
	if ps := waitGone(t, "sleep\x00"+marker); len(ps) > 0 {
		for _, p := range ps {
			pid, _ := strconv.Atoi(strings.SplitN(p, ":", 2)[0])
			syscall.Kill(pid, syscall.SIGKILL)
		}
		t.Fatalf("left running after verify --sandbox none: %v", ps)
	}
}

// TestVerifySIGTERM: SIGTERM to a running verify leaves no go test,
// bwrap, test binary or test child behind.
func TestVerifySIGTERM(t *testing.T) {
	h := newHostileEnv(t)
	dir := twoPackages(t, "")
	marker := strconv.Itoa(4000000 + os.Getpid())
	probe := `package a

import (
	"os/exec"
	"testing"
)

func TestHang(t *testing.T) {
	exec.Command("sleep", "` + marker + `").Run()
}
`
	cmd := exec.Command(gauntletBin(t), "verify", "--patch", "-", "--format", "json")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), h.env...)
	// One package: with two, the other's output makes go test write to
	// the dead gauntlet and die of SIGPIPE, which hides the leftovers.
	cmd.Stdin = strings.NewReader(newFile("a/probe_test.go", probe))
	// A file, not a pipe: Wait must return when gauntlet ends, not when the
	// last process holding its output does.
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dl, _ := t.Deadline()
	for len(procsWith("sleep\x00"+marker)) == 0 {
		if cmd.ProcessState != nil || (!dl.IsZero() && time.Now().After(dl.Add(-30*time.Second))) {
			b, _ := os.ReadFile(out.Name())
			t.Fatalf("the test never started:\n%s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	for _, s := range []string{"sleep\x00" + marker, "sbxprobe"} {
		if ps := waitGone(t, s); len(ps) > 0 {
			t.Errorf("left running after SIGTERM: %v", ps)
			for _, p := range ps {
				pid, _ := strconv.Atoi(strings.SplitN(p, ":", 2)[0])
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

// TestVerifyHugeOutput: a test printing 400 MB keeps gauntlet under 200 MB
// resident; the output kept says how much was cut.
func TestVerifyHugeOutput(t *testing.T) {
	h := newHostileEnv(t)
	dir := twoPackages(t, "")
	probe := `package a

import (
	"bytes"
	"os"
	"testing"
)

func TestFlood(t *testing.T) {
	line := append(bytes.Repeat([]byte("x"), 1023), '\n')
	chunk := bytes.Repeat(line, 1024)
	for i := 0; i < 400; i++ {
		os.Stdout.Write(chunk)
	}
	t.Fatal("flood done")
}
`
	cmd := exec.Command(gauntletBin(t), "verify", "--patch", "-", "--format", "json")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), h.env...)
	cmd.Stdin = strings.NewReader(touchBoth(probe))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	hwm := 0
	go func() {
		defer close(done)
		cmd.Wait()
	}()
	status := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status"
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-time.After(50 * time.Millisecond):
		}
		b, err := os.ReadFile(status)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
				if kb, _ := strconv.Atoi(f[1]); kb > hwm {
					hwm = kb
				}
			}
		}
	}
	t.Logf("gauntlet verify peak resident memory: %d MB", hwm>>10)
	if !strings.Contains(out.String(), "flood done") || !strings.Contains(out.String(), "bytes cut") && !strings.Contains(out.String(), "…") {
		t.Fatalf("the flooding test's failure is not reported:\n%.4000s", out.String())
	}
	if hwm == 0 || hwm > 200<<10 {
		t.Fatalf("peak resident memory %d KB, want under 200 MB", hwm)
	}
}

// TestFixKeepsSecretsFromModel: a failing test prints a secret (let in by
// tests.env); neither the request to the model (a local server speaking
// OpenAI's wire format) nor fix --format json holds it, and no other
// secret of the environment reaches either.
func TestFixKeepsSecretsFromModel(t *testing.T) {
	h := newHostileEnv(t)
	dir := gocalcCopy(t, "loop:\n  test_timeout: 60s\ntests:\n  env: [MY_API_TOKEN]\n")
	p := filepath.Join(dir, "calc", "calc.go")
	data, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(data), "return clamp(a + b)", "return clamp(a - b)", 1)), 0o644)
	tp := filepath.Join(dir, "calc", "calc_test.go")
	data, _ = os.ReadFile(tp)
	src := strings.Replace(string(data), "\t\"testing\"\n", "\t\"os\"\n\t\"testing\"\n", 1)
	src = strings.Replace(src, "\t\tt.Errorf(\"Add(2, 3) = %d, want 5\", got)", "\t\tt.Log(\"token\", os.Getenv(\"MY_API_TOKEN\"))\n\t\tt.Errorf(\"Add(2, 3) = %d, want 5\", got)", 1)
	os.WriteFile(tp, []byte(src), 0o644)
	srv := modeltest.OpenAI(t, modeltest.Reply{Text: rightFix})
	env := append([]string(nil), h.env...)
	for _, kv := range srv.Env("gpt-test") {
		if !strings.HasPrefix(kv, "OPENAI_API_KEY=") {
			env = append(env, kv)
		}
	}
	code, out, errb := runBin(t, dir, env, "", "fix", "--format", "json", "calc")
	if code != exitOK {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errb)
	}
	reqs := srv.Requests()
	if len(reqs) == 0 {
		t.Fatal("no request reached the model")
	}
	for i, r := range reqs {
		if l := h.leaks(string(r.Body), "MY_API_TOKEN"); len(l) > 0 {
			t.Errorf("request %d holds %v:\n%s", i+1, l, r.Body)
		}
	}
	if !strings.Contains(string(reqs[0].Body), "token [redacted:MY_API_TOKEN]") {
		t.Errorf("the failing test's output (with the secret redacted) is not in the request:\n%s", reqs[0].Body)
	}
	if l := h.leaks(out+errb, "MY_API_TOKEN"); len(l) > 0 {
		t.Errorf("fix --format json holds %v:\n%s", l, out)
	}
}

// TestSandboxBuildCacheOutOfTestsReach: the sandbox's Go build cache serves
// every later verification, so code under test must not write it; a test
// of the edit tries, and tries the go command's work directory (what it
// compiled before it enters the cache) and the go command itself. With
// Landlock the test binaries run confined beside a go command that keeps
// its compile in the cache; without (GAUNTLET_LANDLOCK=off), go test sees
// the cache read-only. The probe only opens files and creates markers of
// its own: a failure leaves the shared cache as it was.
func TestSandboxBuildCacheOutOfTestsReach(t *testing.T) {
	if !hasBwrap(t) {
		t.Skip("bwrap is not installed")
	}
	landlock := confine.ABI() >= 1
	if !landlock && testenv.InCI() {
		t.Fatal("the kernel offers no Landlock, which CI needs")
	}
	h := newHostileEnv(t)
	cache := ""
	for _, kv := range h.env {
		if v, ok := strings.CutPrefix(kv, "GAUNTLET_SANDBOX_GOCACHE="); ok {
			cache = v
		}
	}
	mark := "gauntlet-cache-probe-" + strconv.Itoa(os.Getpid())
	defer os.Remove(filepath.Join(cache, mark))
	probe := `package a

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

func TestProbe(t *testing.T) {
	cache := os.Getenv("GOCACHE")
	t.Log("CACHE-NEW", os.WriteFile(filepath.Join(cache, "` + mark + `"), []byte("x"), 0o644))
	f, err := os.OpenFile(filepath.Join(cache, "README"), os.O_WRONLY|os.O_APPEND, 0)
	t.Log("CACHE-OLD", err)
	if err == nil {
		f.Close()
	}
	work := filepath.Dir(filepath.Dir(os.Args[0])) // the go command's $WORK
	t.Log("WORK", work, os.WriteFile(filepath.Join(work, "` + mark + `"), []byte("x"), 0o644))
	m, err := os.Open("/proc/" + strconv.Itoa(os.Getppid()) + "/mem")
	t.Log("GO-MEM", err)
	if err == nil {
		m.Close()
	}
	t.Log("GO-SIGNAL", syscall.Kill(os.Getppid(), 0))
	t.Fatal("probe done")
}
`
	dir := twoPackages(t, "")
	modes := []string{"GAUNTLET_LANDLOCK=off"}
	if landlock {
		modes = append(modes, "GAUNTLET_LANDLOCK=")
	}
	for _, mode := range modes {
		code, out, errb := runBin(t, dir, append(slices.Clone(h.env), mode), touchBoth(probe), "verify", "--patch", "-", "--format", "json")
		all := out + errb
		if code != exitFindings || !strings.Contains(all, "probe done") {
			t.Fatalf("%s: exit %d, want 1 with the probe's failure:\n%s", mode, code, all)
		}
		if _, err := os.Stat(filepath.Join(cache, mark)); err == nil {
			t.Errorf("%s: a test wrote a file into the sandbox's build cache", mode)
		}
		for _, want := range []string{"CACHE-NEW open ", "CACHE-OLD open "} {
			if !regexp.MustCompile(want + `\S+: (read-only file system|permission denied)`).MatchString(all) {
				t.Errorf("%s: want %q to fail (read-only or denied):\n%s", mode, want, all)
			}
		}
		if mode != "GAUNTLET_LANDLOCK=" {
			continue
		}
		// Confined: the go command's work directory and the go command
		// itself are out of reach too.
		if !regexp.MustCompile(`WORK /var/tmp/gauntlet-go-work/\S+ open \S+: permission denied`).MatchString(all) {
			t.Errorf("want the go command's work directory under /var/tmp and out of the test's reach:\n%s", all)
		}
		if !regexp.MustCompile(`GO-MEM open /proc/\d+/mem: (permission denied|operation not permitted)`).MatchString(all) {
			t.Errorf("want the go command's memory out of the test's reach:\n%s", all)
		}
		if confine.ABI() >= 6 && !strings.Contains(all, "GO-SIGNAL operation not permitted") {
			t.Errorf("want the go command out of the test's signals:\n%s", all)
		}
	}
}

// TestSandboxTestsUseTempDirAndGo: confined, a test of the edit still gets
// its t.TempDir and can run the go command (a code generator's test): the
// go test's own work directory (GOTMPDIR, out of the tests' reach) is not
// theirs, and a build cache they cannot write only costs their go command
// its reuse.
func TestSandboxTestsUseTempDirAndGo(t *testing.T) {
	if !hasBwrap(t) {
		t.Skip("bwrap is not installed")
	}
	h := newHostileEnv(t)
	test := `package a

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestBuildsAProgram(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"go.mod": "module x\n\ngo 1.22\n", "main.go": "package main\n\nfunc main() { println(\"built\") }\n"}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	build := exec.Command("go", "build", "-o", "x", ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if out, err := exec.Command(filepath.Join(dir, "x")).CombinedOutput(); err != nil || string(out) != "built\n" {
		t.Fatalf("the program: %v %q", err, out)
	}
}
`
	dir := twoPackages(t, "")
	for _, mode := range []string{"GAUNTLET_LANDLOCK=", "GAUNTLET_LANDLOCK=off"} {
		code, out, errb := runBin(t, dir, append(slices.Clone(h.env), mode), touchBoth(test), "verify", "--patch", "-", "--format", "json")
		if code != 0 || !strings.Contains(out, `"accepted": true`) {
			t.Errorf("%s: exit %d, want the edit accepted:\n%s%s", mode, code, out, errb)
		}
	}
}

// TestBlameDiscoveryRunsNoEditedCode: when a test fails before and after
// an edit, verify lists the tests of its file to run them whole; pytest
// lists them by importing the test files, outside the sandbox. That listing
// reads the edited files from their syntax trees and never imports them: an
// edit whose module writes a file as it is imported leaves no file on the
// host. (A guard: the listing used to read the shadow copy's files, which
// held the unedited code at that moment only because the run of the base
// just before had refilled it.)
func TestBlameDiscoveryRunsNoEditedCode(t *testing.T) {
	testenv.NeedTool(t, "python3")
	if !hasBwrap(t) {
		t.Skip("bubblewrap cannot run here")
	}
	h := newHostileEnv(t)
	dir := filepath.Join(t.TempDir(), "pycalc")
	testenv.CopyDir(t, filepath.Join(pkgDir, "..", "..", "examples", "pycalc"), dir)
	// A test that fails before any edit.
	os.WriteFile(filepath.Join(dir, "tests", "test_broken.py"), []byte("from calc import add\n\n\ndef test_broken():\n    assert add(1, 1) == 3\n"), 0o644)
	marker := filepath.Join(h.home, "imported-edited-calc")
	edit := fmt.Sprintf(`--- a/calc/__init__.py
+++ b/calc/__init__.py
@@ -2,2 +2,7 @@
 
+try:
+    open(%q, "w").write("x")
+except OSError:
+    pass
+
 LIMIT = 1000000
`, marker)
	code, out, errb := runBin(t, dir, h.env, edit, "verify", "--patch", "-", "--format", "json")
	if !strings.Contains(out, "test_broken") {
		t.Fatalf("exit %d: the failing test was not judged:\n%s\n%s", code, out, errb)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("the edited module ran outside the sandbox: it wrote %s", marker)
	}
}

// TestServedAffectedByInTheSandbox: a served `test --affected-by` (an
// agent's affected_tests, a gRPC client) runs the tests of a patch that
// nobody has verified: in the operator's sandbox, as verify does. A test the
// patch adds cannot read the ssh key in HOME.
func TestServedAffectedByInTheSandbox(t *testing.T) {
	if !hasBwrap(t) {
		t.Skip("bubblewrap cannot run here")
	}
	h := newHostileEnv(t)
	dir := twoPackages(t, "")
	probe := fmt.Sprintf(`package b

import (
	"os"
	"testing"
)

func TestProbe(t *testing.T) {
	data, err := os.ReadFile(%q)
	t.Fatalf("probe ran: key %%q (%%v)", data, err)
}
`, h.key)
	patchFile := filepath.Join(t.TempDir(), "probe.diff")
	os.WriteFile(patchFile, []byte(newFile("b/probe_test.go", probe)+`--- a/b/b.go
+++ b/b/b.go
@@ -3,2 +3,2 @@
 // B returns 2.
-func B() int { return 2 }
+func B() int { return 1 + 1 }
`), 0o644)
	s := startServe(t, h.env, "--listen", "unix:"+shortSocket(t), "--root", dir)
	code, out, errb := runBin(t, dir, h.env, "", "test", "--server", s.addr, "--affected-by", patchFile, "--format", "json")
	if !strings.Contains(out, "probe ran: key") {
		t.Fatalf("the probe did not run: exit %d\n%s\n%s\n%s", code, out, errb, s.stderr())
	}
	if leaks := h.leaks(out + errb); len(leaks) > 0 {
		t.Errorf("a served --affected-by ran the patch's test outside the sandbox: its output holds %v\n%s", leaks, out)
	}
}

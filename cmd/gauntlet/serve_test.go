package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/api/client"
	"github.com/gauntlet-dev/gauntlet/server/workspace"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// gauntletBin builds the binary once for the end-to-end tests that need a
// real process.
func gauntletBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gauntlet-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "gauntlet")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Dir = pkgDir
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// served is a `gauntlet serve` process of a test.
type served struct {
	cmd    *exec.Cmd
	addr   string // as --server takes it
	socket string // for unix
	mu     sync.Mutex
	log    bytes.Buffer
	exited chan struct{}
	err    error
}

func (s *served) stderr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// dial connects a client to the server, closed at the end of the test.
func (s *served) dial(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.Dial(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// startServe runs `gauntlet serve ARGS` (in its own process group, killed
// at the end of the test) and waits until it listens.
func startServe(t *testing.T, env []string, args ...string) *served {
	t.Helper()
	bin := gauntletBin(t)
	s := &served{exited: make(chan struct{})}
	s.cmd = exec.Command(bin, append([]string{"serve"}, args...)...)
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	s.cmd.Stderr = pw
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		re := regexp.MustCompile(`listening on (\S+)`)
		for sc.Scan() {
			s.mu.Lock()
			s.log.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				listening <- m[1]
			}
		}
		if err := sc.Err(); err != nil {
			// Say so where the failures show the log; keep serve unblocked.
			s.mu.Lock()
			s.log.WriteString("(test: reading serve's stderr: " + err.Error() + ")\n")
			s.mu.Unlock()
			io.Copy(io.Discard, pr)
		}
	}()
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = s.cmd.Wait(); pw.Close(); close(s.exited) }()
	t.Cleanup(func() {
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	})
	select {
	case s.addr = <-listening:
	case <-s.exited:
		t.Fatalf("serve exited: %v\n%s", s.err, s.stderr())
	case <-testenv.Context(t).Done():
		t.Fatalf("serve did not listen:\n%s", s.stderr())
	}
	s.socket = strings.TrimPrefix(s.addr, "unix:")
	return s
}

// shortSocket is a socket path short enough for sun_path.
func shortSocket(t *testing.T) string {
	dir, err := os.MkdirTemp("", "gsrv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "run", "engine.sock")
}

// TestServeCheckEqualsLocal: check --server prints what check prints and
// exits the same, in every format.
func TestServeCheckEqualsLocal(t *testing.T) {
	s := startServe(t, nil, "--listen", "unix:"+shortSocket(t), "--root", pkgDir)
	for _, args := range [][]string{
		{"check", "src"},
		{"check", "src", "--format", "json"},
		{"check", "src", "--format", "sarif"},
		{"check", "src", "--format", "rdjson"},
		{"check", "src", "--format", "github"},
		{"check", "src/ok/ok.go"},
		{"check", "src", "--fail-on", "none"},
		{"check", "--fail-on", "error", "src"},
		{"check", "src", "--only", "syntax"},
		{"check", "no/such/dir"},
		{"check", "src", "--format", "yaml"},
	} {
		lcode, lout, lerr := gauntlet(t, "testdata/check", args...)
		rcode, rout, rerr := gauntlet(t, "testdata/check", append(args, "--server", s.addr)...)
		name := strings.Join(args, " ")
		if lcode != rcode || lout != rout {
			t.Errorf("%s: local exit %d, remote exit %d (stderr %q)\nlocal:\n%s\nremote:\n%s", name, lcode, rcode, rerr, lout, rout)
		}
		if (lerr == "") != (rerr == "") {
			t.Errorf("%s: local stderr %q, remote stderr %q", name, lerr, rerr)
		}
	}
	// A path outside the server's root is refused, not read.
	code, _, stderr := gauntlet(t, "testdata/check", "check", "/etc", "--server", s.addr)
	if code != exitError || !strings.Contains(stderr, "outside the workspace") {
		t.Errorf("outside the root: exit %d, %q", code, stderr)
	}
}

// TestServeConcurrentClients: 40 clients at once all get the answer a
// local check gives.
func TestServeConcurrentClients(t *testing.T) {
	s := startServe(t, nil, "--listen", "unix:"+shortSocket(t), "--root", pkgDir)
	_, want, _ := gauntlet(t, "testdata/check", "check", "src", "--format", "json")
	cwd := filepath.Join(pkgDir, "testdata/check")
	atOnce(t, s.addr, 40, func(_ int, c *client.Client) error {
		res, err := c.Analyze(testenv.Context(t), &api.AnalyzeRequest{Cwd: cwd, Paths: []string{"src"}, Format: "json"}, api.Events{})
		switch {
		case err != nil:
			return err
		case res.Outcome != api.Findings || string(res.Output) != want || string(res.JSON) != want:
			return fmt.Errorf("outcome %v, output:\n%s", res.Outcome, res.Output)
		}
		return nil
	})
}

// atOnce runs call on n clients of the server at addr at once, each on a
// connection of its own, and reports the errors.
func atOnce(t *testing.T, addr string, n int, call func(i int, c *client.Client) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			c, err := client.Dial(addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			if err := call(i, c); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestServeTCPToken: a tcp listener will not start without a token, and
// refuses calls that lack it.
func TestServeTCPToken(t *testing.T) {
	t.Setenv("GAUNTLET_TOKEN", "")
	bin := gauntletBin(t)
	out, err := exec.Command(bin, "serve", "--listen", "tcp:127.0.0.1:0", "--root", pkgDir).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitError || !strings.Contains(string(out), "token") {
		t.Errorf("tcp without a token: %v\n%s", err, out)
	}

	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("test-token-123\n"), 0o600)
	s := startServe(t, nil, "--listen", "tcp:127.0.0.1:0", "--root", pkgDir, "--token-file", tokenFile)
	if strings.Contains(s.stderr(), "test-token-123") {
		t.Errorf("the server logged its token:\n%s", s.stderr())
	}
	code, _, stderr := gauntlet(t, "testdata/check", "check", "src", "--server", s.addr)
	if code != exitError || !strings.Contains(stderr, "refused") || !strings.Contains(stderr, "bearer token") {
		t.Errorf("no token: exit %d, %q", code, stderr)
	}
	t.Setenv("GAUNTLET_TOKEN", "wrong")
	if code, _, stderr := gauntlet(t, "testdata/check", "check", "src", "--server", s.addr); code != exitError || !strings.Contains(stderr, "refused") {
		t.Errorf("wrong token: exit %d, %q", code, stderr)
	}
	t.Setenv("GAUNTLET_TOKEN", "test-token-123")
	lcode, lout, _ := gauntlet(t, "testdata/check", "check", "src")
	if code, out, stderr := gauntlet(t, "testdata/check", "check", "src", "--server", s.addr); code != lcode || out != lout {
		t.Errorf("with the token: exit %d (%q), output:\n%s", code, stderr, out)
	}
}

var durations = regexp.MustCompile(`"duration_ms": \d+|\(\d+ms\)|\d+(\.\d+)?m?s\b`)

// TestServeTestsCoverageAndSIGTERM: test and coverage --server equal the
// local commands on a real module; SIGTERM during a call lets it finish,
// removes the socket and exits 0.
func TestServeTestsCoverageAndSIGTERM(t *testing.T) {
	dir := exampleCopy(t, "gocalc")
	sock := shortSocket(t)
	// The operator allows requests to run without a sandbox.
	s := startServe(t, nil, "--listen", "unix:"+sock, "--root", dir, "--sandbox", "none")
	edit := filepath.Join(t.TempDir(), "edit.diff")
	os.WriteFile(edit, []byte("--- a/calc/calc.go\n+++ b/calc/calc.go\n@@ -13,3 +13,3 @@\n func Add(a, b int) int {\n-\treturn clamp(a + b)\n+\treturn clamp(a - b)\n }\n"), 0o644)
	// The map first, so that each call below finds it cached on both sides
	// (a verify on a workspace never mapped builds none).
	if code, out, stderr := gauntletHere("coverage"); code != exitOK {
		t.Fatalf("coverage: exit %d\n%s%s", code, out, stderr)
	}
	for _, args := range [][]string{
		{"verify", "--patch", edit, "--sandbox", "none", "--format", "json"},
		{"verify", "--patch", edit, "--sandbox", "none"},
		{"fix", "calc", "--sandbox", "none", "--no-tests"},
		{"test", "--format", "json", "--coverage"},
		{"test", "calc"},
		{"coverage", "--format", "json"},
		{"coverage", "--tests-for", "calc/calc.go:30"},
		{"coverage", "--format", "lcov"},
	} {
		lcode, lout, lerr := gauntletHere(args...)
		rcode, rout, rerr := gauntletHere(append(args, "--server", s.addr)...)
		lout, rout = durations.ReplaceAllString(lout, "D"), durations.ReplaceAllString(rout, "D")
		if lcode != rcode || lout != rout || lerr != rerr {
			t.Errorf("%s: local exit %d, remote %d\nlocal:\n%s%s\nremote:\n%s%s", strings.Join(args, " "), lcode, rcode, lout, lerr, rout, rerr)
		}
	}

	// A call in flight when SIGTERM comes is answered before the exit.
	c := s.dial(t)
	started := make(chan struct{})
	var once sync.Once
	type answer struct {
		res *api.Result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		// A test that sleeps keeps the call in flight for a while.
		os.WriteFile(filepath.Join(dir, "calc", "slow_test.go"), []byte("package calc\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\nfunc TestSlow(t *testing.T) { time.Sleep(2 * time.Second) }\n"), 0o644)
		res, err := c.RunTests(context.Background(), &api.TestsRequest{Cwd: dir, Run: "TestSlow", Format: "json"}, api.Events{
			Progress: func(analysis.Progress) { once.Do(func() { close(started) }) },
		})
		done <- answer{res, err}
	}()
	select {
	case <-started:
	case a := <-done:
		t.Fatalf("the call ended before any progress: %+v %v", a.res, a.err)
	case <-testenv.Context(t).Done():
		t.Fatal("no progress")
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	a := <-done
	if a.err != nil || a.res.Outcome != api.OK || !strings.Contains(string(a.res.JSON), "TestSlow") {
		t.Errorf("the call in flight: %v %+v", a.err, a.res)
	}
	select {
	case <-s.exited:
	case <-testenv.Context(t).Done():
		t.Fatalf("serve did not exit after SIGTERM:\n%s", s.stderr())
	}
	if s.err != nil {
		t.Errorf("serve exited with %v after SIGTERM:\n%s", s.err, s.stderr())
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket still there after exit: %v", err)
	}
	var doc map[string]any
	if a.res != nil && json.Unmarshal(a.res.JSON, &doc) != nil {
		t.Errorf("result JSON: %s", a.res.JSON)
	}
}

// TestServeGrpcurl: grpcurl, which knows nothing of our proto files, lists
// and calls the engine through server reflection. .ci/run installs it
// (go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4).
func TestServeGrpcurl(t *testing.T) {
	grpcurl := testenv.NeedTool(t, "grpcurl")
	s := startServe(t, nil, "--listen", "unix:"+shortSocket(t), "--root", pkgDir)
	out, err := exec.Command(grpcurl, "-plaintext", "-unix", s.socket, "list").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "gauntlet.v1.Engine\n") || !strings.Contains(string(out), "grpc.health.v1.Health\n") {
		t.Fatalf("grpcurl list: %v\n%s", err, out)
	}
	out, err = exec.Command(grpcurl, "-plaintext", "-unix", s.socket, "describe", "gauntlet.v1.Engine").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "rpc Verify ( .gauntlet.v1.VerifyRequest ) returns ( stream .gauntlet.v1.Event );") {
		t.Errorf("grpcurl describe: %v\n%s", err, out)
	}
	req := fmt.Sprintf(`{"cwd": %q, "paths": ["src"], "format": "json"}`, filepath.Join(pkgDir, "testdata/check"))
	out = callGrpcurl(t, grpcurl, s.socket, "Analyze", req)
	// The typed diagnostics are those of gauntlet check --format json.
	type diagnostic struct {
		Path    string `json:"path"`
		Code    string `json:"code"`
		Message string `json:"message"`
		Range   struct {
			Start struct {
				Line   int `json:"line"`
				Column int `json:"column"`
			} `json:"start"`
		} `json:"range"`
	}
	var resp struct {
		Result struct {
			Outcome  string `json:"outcome"`
			Analysis struct {
				Diagnostics []diagnostic `json:"diagnostics"`
			} `json:"analysis"`
		} `json:"result"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	_, local, _ := gauntlet(t, "testdata/check", "check", "src", "--format", "json")
	var want struct {
		Diagnostics []diagnostic `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(local), &want); err != nil {
		t.Fatal(err)
	}
	if got := resp.Result.Analysis.Diagnostics; resp.Result.Outcome != "OUTCOME_FINDINGS" || len(want.Diagnostics) == 0 || !reflect.DeepEqual(got, want.Diagnostics) {
		t.Errorf("grpcurl Analyze: %s\n%s\nwant:\n%s", resp.Result.Outcome, out, local)
	}
}

// TestServeGrpcurlVerify: grpcurl sends Verify a unified diff as plain
// text (no base64) and reads the typed verdict: rejected, with the gates
// in order and the failing test the tests gate names, as gauntlet verify
// reports it.
func TestServeGrpcurlVerify(t *testing.T) {
	grpcurl := testenv.NeedTool(t, "grpcurl")
	dir := exampleCopy(t, "gocalc")
	s := startServe(t, nil, "--listen", "unix:"+shortSocket(t), "--root", dir, "--sandbox", "none")
	patch := "--- a/calc/calc.go\n+++ b/calc/calc.go\n@@ -13,3 +13,3 @@\n func Add(a, b int) int {\n-\treturn clamp(a + b)\n+\treturn clamp(a - b)\n }\n"
	req, err := json.Marshal(map[string]string{"cwd": dir, "patch": patch, "sandbox": "none"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(req), `"patch":"--- a/calc/calc.go\n+++ b/calc/calc.go\n`) {
		t.Fatalf("not a text patch: %s", req)
	}
	out := callGrpcurl(t, grpcurl, s.socket, "Verify", string(req))
	type failure struct {
		ID     string `json:"id"`
		File   string `json:"file"`
		Line   int    `json:"line"`
		Status string `json:"status"`
	}
	type gate struct {
		Name   string    `json:"name"`
		OK     bool      `json:"ok"`
		Failed []failure `json:"failed"`
	}
	var result struct {
		Outcome string `json:"outcome"`
		Verdict struct {
			Status   string   `json:"status"`
			Accepted bool     `json:"accepted"`
			Gates    []gate   `json:"gates"`
			Files    []string `json:"files"`
		} `json:"verdict"`
	}
	// A stream: progress events, then the result, one JSON object each.
	dec := json.NewDecoder(bytes.NewReader(out))
	results := 0
	for dec.More() {
		var ev struct {
			Result *json.RawMessage `json:"result"`
		}
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		if ev.Result != nil {
			results++
			if err := json.Unmarshal(*ev.Result, &result); err != nil {
				t.Fatal(err)
			}
		}
	}
	v := result.Verdict
	var names []string
	for _, g := range v.Gates {
		names = append(names, g.Name)
	}
	if results != 1 || result.Outcome != "OUTCOME_FINDINGS" || v.Status != "STATUS_REJECTED" || v.Accepted ||
		strings.Join(names, " ") != "apply parse analyzers build tests coverage" || !reflect.DeepEqual(v.Files, []string{"calc/calc.go"}) {
		t.Fatalf("grpcurl Verify:\n%s", out)
	}
	tests := v.Gates[4]
	if tests.OK || len(tests.Failed) == 0 || tests.Failed[0] != (failure{ID: "example.com/gocalc/calc.TestAdd", File: "calc/calc_test.go", Line: 9, Status: "fail"}) {
		t.Errorf("tests gate: %+v\n%s", tests, out)
	}
}

// callGrpcurl calls the engine's method at the unix socket with grpcurl,
// with the request req in JSON, and returns its output.
func callGrpcurl(t *testing.T, grpcurl, socket, method, req string) []byte {
	t.Helper()
	out, err := exec.Command(grpcurl, "-plaintext", "-unix", "-d", req, socket, "gauntlet.v1.Engine/"+method).CombinedOutput()
	if err != nil {
		t.Fatalf("grpcurl %s: %v\n%s", method, err, out)
	}
	return out
}

// TestBackendInProcess runs the server's backend in the test process, so
// that `go test -race` sees its shared caches under 40 concurrent calls on
// two workspaces, and a configuration change while it serves.
func TestBackendInProcess(t *testing.T) {
	dir := testenv.CopyTemp(t, filepath.Join(pkgDir, "testdata/checkrules"))
	b := workspace.NewBackend(dir, "", io.Discard, options())
	defer b.Close()
	srv := api.NewServer(b, api.Options{})
	sock := shortSocket(t)
	l, err := api.Listen(api.Address{Network: "unix", Addr: sock})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Stop()

	t.Chdir(dir)
	formats := []string{"json", "text", "sarif", "rdjson"}
	want := map[string]string{}
	for _, f := range formats {
		_, want[f], _ = gauntletHere("check", "src", "--format", f)
	}
	atOnce(t, "unix:"+sock, 40, func(i int, c *client.Client) error {
		f := formats[i%len(formats)]
		res, err := c.Analyze(context.Background(), &api.AnalyzeRequest{Cwd: dir, Paths: []string{"src"}, Format: f}, api.Events{})
		if err != nil {
			return err
		} else if string(res.Output) != want[f] {
			return fmt.Errorf("%s:\n%s", f, res.Output)
		}
		return nil
	})

	// A changed configuration is read again: go-println off.
	cfg := filepath.Join(dir, ".gauntlet.yaml")
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(data), "enable: [go-println]", "enable: []", 1)), 0o644)
	future := time.Now().Add(2 * time.Second)
	os.Chtimes(cfg, future, future)
	_, local, _ := gauntletHere("check", "src", "--format", "json")
	c, _ := client.Dial("unix:" + sock)
	defer c.Close()
	res, err := c.Analyze(context.Background(), &api.AnalyzeRequest{Cwd: dir, Paths: []string{"src"}, Format: "json"}, api.Events{})
	if err != nil || string(res.Output) != local || strings.Contains(local, "go-println") {
		t.Errorf("after the configuration changed: %v\n%s\nlocal:\n%s", err, res.Output, local)
	}

	// A file changed since the last request is read and parsed again, even
	// with the same size and modification time.
	main := filepath.Join(dir, "src", "main.go")
	st, _ := os.Stat(main)
	data, _ = os.ReadFile(main)
	broken := []byte(strings.Replace(string(data), "}", "(", 1))
	if len(broken) != len(data) {
		t.Fatal("the edit changed the size")
	}
	os.WriteFile(main, broken, 0o644)
	os.Chtimes(main, st.ModTime(), st.ModTime())
	_, local, _ = gauntletHere("check", "src", "--format", "json")
	res, err = c.Analyze(context.Background(), &api.AnalyzeRequest{Cwd: dir, Paths: []string{"src"}, Format: "json"}, api.Events{})
	if err != nil || string(res.Output) != local || !strings.Contains(local, `"syntax"`) {
		t.Errorf("after a file changed: %v\n%s\nlocal:\n%s", err, res.Output, local)
	}
}

// TestServeTLS: --tls-cert/--tls-key serve TLS; a client that trusts the
// certificate (GAUNTLET_TLS_CA) gets the local answer, one that speaks
// plain tcp does not.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certFile, keyFile)
	s := startServe(t, []string{"GAUNTLET_TOKEN=tls-token"}, "--listen", "tcp:127.0.0.1:0", "--root", pkgDir, "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.Contains(s.stderr(), "TLS") {
		t.Errorf("serve does not say TLS:\n%s", s.stderr())
	}
	t.Setenv("GAUNTLET_TOKEN", "tls-token")
	lcode, lout, _ := gauntlet(t, "testdata/check", "check", "src", "--format", "sarif")
	if code, _, _ := gauntlet(t, "testdata/check", "check", "src", "--format", "sarif", "--server", s.addr); code != exitError {
		t.Errorf("plain tcp to a TLS server: exit %d", code)
	}
	t.Setenv("GAUNTLET_TLS_CA", certFile)
	if code, out, stderr := gauntlet(t, "testdata/check", "check", "src", "--format", "sarif", "--server", s.addr); code != lcode || out != lout {
		t.Errorf("over TLS: exit %d (%s)\n%s", code, stderr, out)
	}
}

func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "gauntlet test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
}

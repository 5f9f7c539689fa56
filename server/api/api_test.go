package api_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/api/client"
)

// fake answers every call after a pause, reporting progress and a log
// line, and counts how many calls run at once.
type fake struct {
	pause   time.Duration
	running atomic.Int32
	peak    atomic.Int32
	blocked chan struct{} // if set, calls wait for ctx instead
}

func (f *fake) work(ctx context.Context, job string, ev api.Events) (*api.Result, error) {
	n := f.running.Add(1)
	defer f.running.Add(-1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	if ev.Progress != nil {
		ev.Progress(analysis.Progress{Kind: analysis.ProgressBegin, Job: job, Title: "Working", Percent: 0})
	}
	if ev.Log != nil {
		ev.Log("gauntlet " + job + ": a line for stderr")
	}
	if f.blocked != nil {
		close(f.blocked)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	select {
	case <-time.After(f.pause):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if ev.Progress != nil {
		ev.Progress(analysis.Progress{Kind: analysis.ProgressEnd, Job: job, Message: "done", Percent: 100})
	}
	return &api.Result{Outcome: api.Findings, JSON: []byte(fakeDocs[job]), Output: []byte(job + " output\n"), Root: "/w"}, nil
}

// fakeDocs are the fake's JSON documents, one of each command's shape.
var fakeDocs = map[string]string{
	"check":    "{\n  \"diagnostics\": []\n}\n",
	"tests":    "{\n  \"passed\": true,\n  \"total_tests\": 0,\n  \"selected\": [],\n  \"tests\": []\n}\n",
	"coverage": "{\n  \"percent\": 100,\n  \"files\": []\n}\n",
	"verify":   "{\n  \"accepted\": true,\n  \"gates\": [],\n  \"duration_ms\": 7,\n  \"files\": [\n    \"job/verify.go\"\n  ],\n  \"sandbox\": \"none\"\n}\n",
	"fix":      "{\n  \"accepted\": false,\n  \"model\": \"none\",\n  \"sandbox\": \"none\",\n  \"problems\": [],\n  \"attempts\": [],\n  \"patch\": \"\"\n}\n",
}

func (f *fake) Analyze(ctx context.Context, r *api.AnalyzeRequest, ev api.Events) (*api.Result, error) {
	if r.Cwd == "/outside" {
		return nil, api.Refuse("cwd %s is outside the root", r.Cwd)
	}
	return f.work(ctx, "check", ev)
}
func (f *fake) RunTests(ctx context.Context, r *api.TestsRequest, ev api.Events) (*api.Result, error) {
	return f.work(ctx, "tests", ev)
}
func (f *fake) Coverage(ctx context.Context, r *api.CoverageRequest, ev api.Events) (*api.Result, error) {
	return f.work(ctx, "coverage", ev)
}
func (f *fake) Verify(ctx context.Context, r *api.VerifyRequest, ev api.Events) (*api.Result, error) {
	return f.work(ctx, "verify", ev)
}
func (f *fake) Fix(ctx context.Context, r *api.FixRequest, ev api.Events) (*api.Result, error) {
	return f.work(ctx, "fix", ev)
}

// serve starts a server on addr ("unix" in a temporary folder, or "tcp"
// on loopback) and returns the address to dial.
func serve(t *testing.T, b api.Backend, network string, opts api.Options) string {
	t.Helper()
	var a api.Address
	if network == "unix" {
		// Socket paths are short: t.TempDir() can exceed 108 bytes.
		dir, err := os.MkdirTemp("", "gapi")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		a = api.Address{Network: "unix", Addr: filepath.Join(dir, "run", "engine.sock")}
	} else {
		a = api.Address{Network: "tcp", Addr: "127.0.0.1:0"}
	}
	l, err := api.Listen(a)
	if err != nil {
		t.Fatal(err)
	}
	s := api.NewServer(b, opts)
	go s.Serve(l)
	t.Cleanup(s.Stop)
	if network == "unix" {
		return "unix:" + a.Addr
	}
	return "tcp:" + l.Addr().String()
}

func dial(t *testing.T, addr string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.Dial(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestReflection lists the services as grpcurl does (grpcurl list, grpcurl
// describe gauntlet.v1.Engine): through server reflection, with no proto
// files at hand.
func TestReflection(t *testing.T) {
	addr := serve(t, &fake{}, "unix", api.Options{})
	c := dial(t, addr)
	rc, err := rpb.NewServerReflectionClient(c.Conn()).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.CloseSend()
	if err := rc.Send(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := rc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	for _, want := range []string{"gauntlet.v1.Engine", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %v, not %s", names, want)
		}
	}

	if err := rc.Send(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "gauntlet.v1.Engine"}}); err != nil {
		t.Fatal(err)
	}
	resp, err = rc.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var methods []string
	for _, raw := range resp.GetFileDescriptorResponse().GetFileDescriptorProto() {
		var fd descriptorpb.FileDescriptorProto
		if err := proto.Unmarshal(raw, &fd); err != nil {
			t.Fatal(err)
		}
		for _, s := range fd.GetService() {
			if s.GetName() != "Engine" {
				continue
			}
			for _, m := range s.GetMethod() {
				methods = append(methods, fmt.Sprintf("%s stream=%v", m.GetName(), m.GetServerStreaming()))
			}
		}
	}
	want := "Analyze stream=false RunTests stream=true Coverage stream=true Verify stream=true Fix stream=true"
	if got := strings.Join(methods, " "); got != want {
		t.Errorf("methods: %s\nwant:    %s", got, want)
	}
}

func TestStreamsProgressLogAndResult(t *testing.T) {
	addr := serve(t, &fake{pause: 5 * time.Millisecond}, "unix", api.Options{})
	c := dial(t, addr)
	var got []string
	res, err := c.Verify(context.Background(), &api.VerifyRequest{Patch: []byte("x")}, api.Events{
		Progress: func(p analysis.Progress) {
			got = append(got, fmt.Sprintf("progress %d %s %q %q %d", p.Kind, p.Job, p.Title, p.Message, p.Percent))
		},
		Log: func(l string) { got = append(got, "log "+l) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`progress 1 verify "Working" "" 0`,
		"log gauntlet verify: a line for stderr",
		`progress 3 verify "" "done" 100`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if res.Outcome != api.Findings || string(res.JSON) != fakeDocs["verify"] || string(res.Output) != "verify output\n" || res.Root != "/w" || res.Duration <= 0 {
		t.Errorf("result: %+v", res)
	}

	// The unary Analyze carries its log with the result.
	var logs []string
	res, err = c.Analyze(context.Background(), &api.AnalyzeRequest{}, api.Events{Log: func(l string) { logs = append(logs, l) }})
	if err != nil || res.Outcome != api.Findings || len(logs) != 1 {
		t.Errorf("analyze: %v %+v %q", err, res, logs)
	}
	// A refused request is InvalidArgument, with the reason.
	_, err = c.Analyze(context.Background(), &api.AnalyzeRequest{Cwd: "/outside"}, api.Events{})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "outside the root") {
		t.Errorf("refused request: %v", err)
	}
}

// TestConcurrentClients: 40 clients at once, each on its own connection,
// are all answered, and the calls overlap.
func TestConcurrentClients(t *testing.T) {
	f := &fake{pause: 50 * time.Millisecond}
	addr := serve(t, f, "unix", api.Options{MaxJobs: 8})
	ctx := testenv.Context(t)
	concurrently(t, 40, func() error {
		c, err := client.Dial(addr)
		if err != nil {
			return err
		}
		defer c.Close()
		var errs []error
		if res, err := c.Analyze(ctx, &api.AnalyzeRequest{}, api.Events{}); err != nil || string(res.Output) != "check output\n" {
			errs = append(errs, fmt.Errorf("analyze: %v %v", err, res))
		}
		if res, err := c.RunTests(ctx, &api.TestsRequest{}, api.Events{}); err != nil || string(res.Output) != "tests output\n" {
			errs = append(errs, fmt.Errorf("tests: %v %v", err, res))
		}
		return errors.Join(errs...)
	})
	if f.peak.Load() < 2 {
		t.Errorf("at most %d call ran at once", f.peak.Load())
	}
}

// TestMaxJobs: long jobs beyond the bound wait their turn.
func TestMaxJobs(t *testing.T) {
	p := peakOf(t, 30*time.Millisecond, api.Options{MaxJobs: 2}, 8, func(c *client.Client) error {
		_, err := c.Fix(context.Background(), &api.FixRequest{}, api.Events{})
		return err
	})
	if p > 2 {
		t.Errorf("%d long jobs ran at once; the bound is 2", p)
	}
}

// peakOf makes n calls at once, through one client, to a fake backend whose
// calls take pause, served with opts; it returns how many of them ran at
// once at the most.
func peakOf(t *testing.T, pause time.Duration, opts api.Options, n int, call func(*client.Client) error) int32 {
	t.Helper()
	f := &fake{pause: pause}
	c := dial(t, serve(t, f, "unix", opts))
	concurrently(t, n, func() error { return call(c) })
	return f.peak.Load()
}

// concurrently runs call n times at once and reports the errors it returns.
func concurrently(t *testing.T, n int, call func() error) {
	t.Helper()
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := call(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

func TestTokenOverTCP(t *testing.T) {
	addr := serve(t, &fake{}, "tcp", api.Options{Token: "s3cret-token"})
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opts []client.Option
		want codes.Code
	}{
		{"no token", nil, codes.Unauthenticated},
		{"wrong token", []client.Option{client.WithToken("s3cret-tokem")}, codes.Unauthenticated},
		{"right token", []client.Option{client.WithToken("s3cret-token")}, codes.OK},
	} {
		c := dial(t, addr, tc.opts...)
		_, err := c.Analyze(ctx, &api.AnalyzeRequest{}, api.Events{})
		if status.Code(err) != tc.want {
			t.Errorf("%s: Analyze: %v, want %v", tc.name, err, tc.want)
		}
		_, err = c.RunTests(ctx, &api.TestsRequest{}, api.Events{})
		if status.Code(err) != tc.want {
			t.Errorf("%s: RunTests: %v, want %v", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: the error repeats the token: %v", tc.name, err)
		}
		// Reflection needs the token too; health does not (load balancers).
		rc, err := rpb.NewServerReflectionClient(c.Conn()).ServerReflectionInfo(ctx)
		if err == nil {
			rc.Send(&rpb.ServerReflectionRequest{MessageRequest: &rpb.ServerReflectionRequest_ListServices{}})
			_, err = rc.Recv()
		}
		if status.Code(err) != tc.want {
			t.Errorf("%s: reflection: %v, want %v", tc.name, err, tc.want)
		}
		if err := c.Healthy(ctx); err != nil {
			t.Errorf("%s: health: %v", tc.name, err)
		}
	}
}

// TestCancel: a client that gives up cancels the job on the server.
func TestCancel(t *testing.T) {
	f := &fake{blocked: make(chan struct{})}
	addr := serve(t, f, "unix", api.Options{})
	c := dial(t, addr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Coverage(ctx, &api.CoverageRequest{}, api.Events{})
		done <- err
	}()
	<-f.blocked
	cancel()
	if err := <-done; status.Code(err) != codes.Canceled {
		t.Errorf("cancelled call: %v", err)
	}
	waitFor(t, func() bool { return f.running.Load() == 0 }, "the job to stop")
}

// TestDeadline: a call without a deadline gets the server's bound; one
// with a deadline keeps it.
func TestDeadline(t *testing.T) {
	f := &fake{blocked: make(chan struct{})}
	addr := serve(t, f, "unix", api.Options{MaxCallTime: 200 * time.Millisecond})
	c := dial(t, addr)
	start := time.Now()
	_, err := c.RunTests(context.Background(), &api.TestsRequest{}, api.Events{})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("unbounded call: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for end := testenv.Deadline(t); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestUnixSocketMode: only the user reaches the socket.
func TestUnixSocketMode(t *testing.T) {
	dir, err := os.MkdirTemp("", "gapi")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "sub", "engine.sock")
	l, err := api.Listen(api.Address{Network: "unix", Addr: sock})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(sock)
	dst, _ := os.Stat(filepath.Dir(sock))
	if st.Mode().Perm() != 0o600 || dst.Mode().Perm() != 0o700 {
		t.Errorf("socket %v, folder %v; want 0600 and 0700", st.Mode().Perm(), dst.Mode().Perm())
	}
	// A second server on the same socket is refused while the first lives.
	if _, err := api.Listen(api.Address{Network: "unix", Addr: sock}); err == nil || !strings.Contains(err.Error(), "already listening") {
		t.Errorf("second listener: %v", err)
	}
	l.Close()
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket left after close: %v", err)
	}
	// A folder others may write to is refused.
	open := filepath.Join(dir, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	if _, err := api.Listen(api.Address{Network: "unix", Addr: filepath.Join(open, "s")}); err == nil {
		t.Error("a socket in a world-writable folder was accepted")
	}
}

func TestParseAddress(t *testing.T) {
	for in, want := range map[string]string{
		"unix:/run/g.sock":   "unix:/run/g.sock",
		"unix:///run/g.sock": "unix:/run/g.sock",
		"tcp:127.0.0.1:7000": "tcp:127.0.0.1:7000",
		"localhost:7000":     "tcp:localhost:7000",
		"/tmp/engine.sock":   "unix:/tmp/engine.sock",
		"tcp:nohost":         "error",
		"unix:":              "error",
		"engine.sock":        "error",
	} {
		a, err := api.ParseAddress(in)
		got := a.String()
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("ParseAddress(%q) = %s (%v), want %s", in, got, err, want)
		}
	}
}

// TestHealthWithoutClientPackage: the standard health client works on a
// plain connection, as a load balancer's would.
func TestHealthWithoutClientPackage(t *testing.T) {
	addr := serve(t, &fake{}, "tcp", api.Options{Token: "t"})
	conn, err := grpc.NewClient("passthrough:///"+strings.TrimPrefix(addr, "tcp:"), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", a)
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{Service: api.ServiceName})
	if err != nil || r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health: %v %v", r, err)
	}
}

// TestMaxAnalyses: analyses beyond the bound wait their turn too.
func TestMaxAnalyses(t *testing.T) {
	p := peakOf(t, 20*time.Millisecond, api.Options{MaxAnalyses: 1}, 6, func(c *client.Client) error {
		_, err := c.Analyze(context.Background(), &api.AnalyzeRequest{}, api.Events{})
		return err
	})
	if p != 1 {
		t.Errorf("%d analyses ran at once; the bound is 1", p)
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

func init() {
	register(&command{name: "serve", summary: "serve the engine over gRPC (gauntlet.v1.Engine) for assistants, bots and --server", flags: serveCommand,
		long: "Serves the engine as the gRPC service gauntlet.v1.Engine (with server reflection and the standard\n" +
			"health service) until SIGTERM or SIGINT, which drain the calls in flight, remove the socket and\n" +
			"exit 0. The default socket is in a folder only you can enter; a tcp listener requires a bearer\n" +
			"token (GAUNTLET_TOKEN or --token-file)."})
}

func serveCommand(fs *pflag.FlagSet) workFunc {
	listen := fs.String("listen", "", "where to listen (`ADDR`): unix:PATH or tcp:HOST:PORT (default unix:"+api.DefaultSocket()+")")
	rootFlag := fs.String("root", ".", "the directory (`DIR`) the server answers for: requests must stay under it")
	tokenFile := fs.String("token-file", "", "read the bearer token from `FILE` (else GAUNTLET_TOKEN); required for tcp")
	tlsCert := fs.String("tls-cert", "", "serve TLS with this certificate (PEM `FILE`)")
	tlsKey := fs.String("tls-key", "", "the certificate's private key (PEM `FILE`)")
	maxJobs := fs.Int("max-jobs", 0, "`N` long jobs (tests, coverage, verify, fix) that run at once; more wait (default: the number of CPUs)")
	maxAnalyses := fs.Int("max-analyses", 0, "`N` analyses (check) that run at once, each on every core; more wait (default: the number of CPUs)")
	maxCall := fs.Duration("max-call-time", api.DefaultMaxCallTime, "`DURATION` bound of a call that comes without a deadline")
	sandbox := fs.String("sandbox", "", "how edited code runs (`MODE`): auto|bwrap|none (default: loop.sandbox of .gauntlet.yaml, else auto); requests may only ask for stricter")
	drain := fs.Duration("drain", 30*time.Second, "on SIGTERM, how long (`DURATION`) calls in flight may take to finish before they are cancelled")
	return func(args []string, stdout, stderr io.Writer) int {
		fail := func(err error) int {
			fmt.Fprintf(stderr, "gauntlet serve: %v\n", err)
			return exitError
		}
		if len(args) > 0 {
			return fail(fmt.Errorf("unexpected argument %q", args[0]))
		}
		root, err := filepath.Abs(*rootFlag)
		if err != nil {
			return fail(err)
		}
		if st, err := os.Stat(root); err != nil || !st.IsDir() {
			return fail(fmt.Errorf("--root %s: not a directory", *rootFlag))
		}
		if *listen == "" {
			*listen = "unix:" + api.DefaultSocket()
		}
		addr, err := api.ParseAddress(*listen)
		if err != nil {
			return fail(fmt.Errorf("--listen: %v", err))
		}
		opts := api.Options{MaxJobs: *maxJobs, MaxAnalyses: *maxAnalyses, MaxCallTime: *maxCall}
		if *tokenFile != "" {
			if opts.Token, err = readToken(*tokenFile); err != nil {
				return fail(err)
			}
		} else {
			opts.Token = os.Getenv("GAUNTLET_TOKEN")
		}
		if addr.Network == "tcp" && opts.Token == "" {
			return fail(api.ErrNoToken)
		}
		if (*tlsCert == "") != (*tlsKey == "") {
			return fail(fmt.Errorf("--tls-cert and --tls-key go together"))
		}
		if *tlsCert != "" {
			cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
			if err != nil {
				return fail(fmt.Errorf("--tls-cert/--tls-key: %v", err))
			}
			opts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}

		if _, err := verify.ParseSandbox(*sandbox); err != nil {
			return fail(fmt.Errorf("--sandbox: %v", err))
		}
		b := newBackend(root, stderr)
		b.sandbox = *sandbox
		defer b.analyzers.closeAll()
		srv := api.NewServer(b, opts)
		l, err := api.Listen(addr)
		if err != nil {
			return fail(err)
		}
		if addr.Network == "unix" {
			defer os.Remove(addr.Addr)
		}
		shown := addr
		if addr.Network == "tcp" {
			shown.Addr = l.Addr().String() // the port, when :0 asked for any
		}
		sec := ""
		if opts.TLS != nil {
			sec = ", TLS"
		}
		if opts.Token != "" {
			sec += ", bearer token required"
		}
		fmt.Fprintf(stderr, "gauntlet serve: listening on %s (root %s%s)\n", shown, root, sec)

		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
		defer signal.Stop(sigs)
		done := make(chan error, 1)
		go func() { done <- srv.Serve(l) }()
		select {
		case err := <-done:
			if err != nil {
				return fail(err)
			}
			return exitOK
		case s := <-sigs:
			fmt.Fprintf(stderr, "gauntlet serve: %v: draining calls in flight (at most %v)\n", s, *drain)
		}
		srv.Health.Shutdown() // load balancers stop sending calls
		stopped := make(chan struct{})
		go func() { srv.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(*drain):
			fmt.Fprintln(stderr, "gauntlet serve: calls still running after the drain time: cancelling them")
			srv.Stop()
			<-stopped
		case <-sigs:
			fmt.Fprintln(stderr, "gauntlet serve: second signal: cancelling the calls in flight")
			srv.Stop()
			<-stopped
		}
		fmt.Fprintln(stderr, "gauntlet serve: stopped")
		return exitOK
	}
}

// backend answers the service's calls with the commands' own work, each in
// a call of its own (the client's directory, captured output), sharing the
// compiled rules and started plugins of each workspace.
type backend struct {
	root      string
	sandbox   string // the operator's --sandbox; "" for the configuration's
	analyzers *analyzerCache
	files     *fileCache
}

var _ api.Backend = (*backend)(nil)

func newBackend(root string, log io.Writer) *backend {
	return &backend{root: root, analyzers: newAnalyzerCache(log), files: newFileCache()}
}

// do runs one command's work for a request from directory cwd on paths.
func (b *backend) do(ctx context.Context, cwd string, paths []string, ev api.Events, work func(*call) int) (*api.Result, error) {
	start := time.Now()
	dir := cwd
	if dir == "" {
		dir = b.root
	} else if !filepath.IsAbs(dir) {
		dir = filepath.Join(b.root, dir)
	}
	dir = filepath.Clean(dir)
	if !within(b.root, dir) {
		return nil, api.Refuse("cwd %s is outside the server's root %s", cwd, b.root)
	}
	// Resolved, not parsed: a link inside the root that leads out, or into
	// .git, is refused as a path outside would be.
	if _, err := analysis.ResolvePath(b.root, dir); err != nil {
		return nil, api.Refuse("cwd %s: %v", cwd, pathReason(err))
	}
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if _, err := analysis.ResolvePath(b.root, filepath.Clean(p)); err != nil {
			return nil, api.Refuse("path %s: %v (requests stay inside the server's root %s and out of .git)", p, pathReason(err), b.root)
		}
	}
	var out bytes.Buffer
	log := &lineWriter{emit: ev.Log}
	c := &call{cwd: dir, stdout: &out, stderr: log, progress: ev.Progress, analyzers: b.analyzers, files: b.files, wantJSON: true}
	code := work(c)
	log.flush()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &api.Result{Outcome: api.Outcome(code), JSON: c.resultJSON(), Output: out.Bytes(), Root: c.root, Duration: time.Since(start)}, nil
}

// pathReason is why analysis.ResolvePath refused a path.
func pathReason(err error) string {
	var pe *analysis.PathError
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return err.Error()
}

func (b *backend) Analyze(ctx context.Context, req *api.AnalyzeRequest, ev api.Events) (*api.Result, error) {
	paths := req.Paths
	for _, f := range req.Files {
		paths = append(paths[:len(paths):len(paths)], f.Path)
	}
	return b.do(ctx, req.Cwd, paths, ev, func(c *call) int { return checkCall(ctx, c, req) })
}

func (b *backend) RunTests(ctx context.Context, req *api.TestsRequest, ev api.Events) (*api.Result, error) {
	return b.do(ctx, req.Cwd, req.Paths, ev, func(c *call) int { return testCall(ctx, c, req) })
}

func (b *backend) Coverage(ctx context.Context, req *api.CoverageRequest, ev api.Events) (*api.Result, error) {
	paths := req.Paths
	if file, _, err := coverageRequestCheck(req); err == nil && file != "" {
		paths = append(paths[:len(paths):len(paths)], file)
	}
	return b.do(ctx, req.Cwd, paths, ev, func(c *call) int { return coverageCall(ctx, c, req) })
}

func (b *backend) Verify(ctx context.Context, req *api.VerifyRequest, ev api.Events) (*api.Result, error) {
	mode, err := b.sandboxFor(req.Cwd, req.Sandbox)
	if err != nil {
		return nil, err
	}
	r := *req
	r.Sandbox = mode
	return b.do(ctx, req.Cwd, nil, ev, func(c *call) int { c.untrusted = true; return verifyCall(ctx, c, &r) })
}

func (b *backend) Fix(ctx context.Context, req *api.FixRequest, ev api.Events) (*api.Result, error) {
	mode, err := b.sandboxFor(req.Cwd, req.Sandbox)
	if err != nil {
		return nil, err
	}
	r := *req
	r.Sandbox = mode
	return b.do(ctx, req.Cwd, req.Paths, ev, func(c *call) int { c.untrusted = true; return fixCall(ctx, c, &r) })
}

// sandboxFor is the sandbox of a request from cwd that asks for
// requested: the operator's (--sandbox, else the configuration's
// loop.sandbox), or stricter if the request asks so. A request for a
// looser one is denied (PermissionDenied), naming the setting that would
// allow it.
func (b *backend) sandboxFor(cwd, requested string) (string, error) {
	setting := b.sandbox
	if setting == "" {
		dir := cwd
		if dir == "" {
			dir = b.root
		} else if !filepath.IsAbs(dir) {
			dir = filepath.Join(b.root, dir)
		}
		if cfg, err := config.Find(dir); err == nil {
			setting = cfg.Loop.Sandbox
		}
	}
	operator, err := verify.ParseSandbox(setting)
	if err != nil {
		return "", api.Refuse("sandbox: %v", err)
	}
	mode, err := verify.RequestSandbox(operator, requested)
	switch {
	case errors.Is(err, verify.ErrLooserSandbox):
		return "", api.Deny("refused: %v", err)
	case err != nil:
		return "", api.Refuse("sandbox: %v", err)
	}
	return mode, nil
}

// lineWriter turns what a command writes on stderr into log lines, from
// any goroutine.
type lineWriter struct {
	emit func(string)
	mu   sync.Mutex
	buf  []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		if w.emit != nil {
			w.emit(line)
		}
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 && w.emit != nil {
		w.emit(string(w.buf))
	}
	w.buf = nil
}

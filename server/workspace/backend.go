package workspace

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// Backend answers the service's calls with the commands' own work, each in
// a call of its own (the client's directory, captured output), sharing the
// compiled rules and started plugins of each workspace.
type Backend struct {
	root      string
	sandbox   string // the operator's --sandbox; "" for the configuration's
	analyzers *analyzerCache
	files     *fileCache
	opts      Options
}

var _ api.Backend = (*Backend)(nil)

// NewBackend answers for the workspaces under root; sandbox is the
// operator's --sandbox ("" for the configuration's); the plugins' stderr
// and their failures go to log. Close stops the plugins it started.
func NewBackend(root, sandbox string, log io.Writer, opts Options) *Backend {
	return &Backend{root: root, sandbox: sandbox, analyzers: newAnalyzerCache(log, opts.Plugins), files: newFileCache(), opts: opts}
}

// Close stops every cached plugin (server shutdown).
func (b *Backend) Close() { b.analyzers.closeAll() }

// do runs one command's work for a request from directory cwd on paths.
func (b *Backend) do(ctx context.Context, cwd string, paths []string, ev api.Events, work func(*Call) int) (*api.Result, error) {
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
	c := &Call{cwd: dir, stdout: &out, stderr: log, progress: ev.Progress, analyzers: b.analyzers, files: b.files, wantJSON: true, opts: b.opts}
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

func (b *Backend) Analyze(ctx context.Context, req *api.AnalyzeRequest, ev api.Events) (*api.Result, error) {
	paths := req.Paths
	for _, f := range req.Files {
		paths = append(paths[:len(paths):len(paths)], f.Path)
	}
	return b.do(ctx, req.Cwd, paths, ev, func(c *Call) int { return Check(ctx, c, req) })
}

func (b *Backend) RunTests(ctx context.Context, req *api.TestsRequest, ev api.Events) (*api.Result, error) {
	if req.AffectedBy != nil {
		// The patch's tests run its code: in the operator's sandbox.
		var sandbox string
		return b.untrusted(ctx, req.Cwd, req.Paths, &sandbox, ev, func(c *Call) int { return testIn(ctx, c, req, sandbox) })
	}
	return b.do(ctx, req.Cwd, req.Paths, ev, func(c *Call) int { return Test(ctx, c, req) })
}

func (b *Backend) Coverage(ctx context.Context, req *api.CoverageRequest, ev api.Events) (*api.Result, error) {
	paths := req.Paths
	if file, _, err := CoverageRequestCheck(req); err == nil && file != "" {
		paths = append(paths[:len(paths):len(paths)], file)
	}
	return b.do(ctx, req.Cwd, paths, ev, func(c *Call) int { return Coverage(ctx, c, req) })
}

func (b *Backend) Verify(ctx context.Context, req *api.VerifyRequest, ev api.Events) (*api.Result, error) {
	r := *req
	return b.untrusted(ctx, req.Cwd, nil, &r.Sandbox, ev, func(c *Call) int { return Verify(ctx, c, &r) })
}

func (b *Backend) Fix(ctx context.Context, req *api.FixRequest, ev api.Events) (*api.Result, error) {
	r := *req
	return b.untrusted(ctx, req.Cwd, req.Paths, &r.Sandbox, ev, func(c *Call) int { return Fix(ctx, c, &r) })
}

// untrusted runs the work of a request whose edits are a caller's or a
// model's: *sandbox, the one it asks for, becomes the policy's
// (sandboxFor) before the work runs.
func (b *Backend) untrusted(ctx context.Context, cwd string, paths []string, sandbox *string, ev api.Events, work func(*Call) int) (*api.Result, error) {
	mode, err := b.sandboxFor(cwd, *sandbox)
	if err != nil {
		return nil, err
	}
	*sandbox = mode
	return b.do(ctx, cwd, paths, ev, func(c *Call) int { c.untrusted = true; return work(c) })
}

// sandboxFor is the sandbox of a request from cwd that asks for
// requested: the operator's (--sandbox, else the configuration's
// loop.sandbox), or stricter if the request asks so. A request for a
// looser one is denied (PermissionDenied), naming the setting that would
// allow it.
func (b *Backend) sandboxFor(cwd, requested string) (string, error) {
	setting := b.sandbox
	if setting == "" {
		dir := cwd
		if dir == "" {
			dir = b.root
		} else if !filepath.IsAbs(dir) {
			dir = filepath.Join(b.root, dir)
		}
		if cfg, err := config.Find(dir); err == nil {
			setting = sandboxSetting(b.sandbox, cfg)
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

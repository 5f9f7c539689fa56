package workspace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/api"
)

// Call is one run of a command's work: the directory it runs in (the
// user's), where its output goes, and who hears its progress. The command
// line makes one from the process (Local); gauntlet serve and gauntlet
// mcp make one per request, so the same code answers both and the output
// is the same.
type Call struct {
	cwd   string // absolute
	local bool   // cwd is the process's own directory
	// untrusted: a served request (gauntlet serve, mcp), whose edits are
	// a caller's or a model's; its sandbox was decided by the operator's
	// policy (Backend.sandboxFor) and runs them in bubblewrap unless that
	// says none.
	untrusted bool
	root      string // the workspace root, once opened
	stdout    io.Writer
	stderr    io.Writer
	progress  func(api.Progress) // nil: nobody listens
	// analyzers, if set, keeps compiled rules and started plugins between
	// calls (gauntlet serve); nil compiles and starts them for this call.
	analyzers *analyzerCache
	// files, if set, shares parsed files between calls (gauntlet serve).
	files *fileCache
	// result is the command's JSON document, set by the command when
	// wantJSON (the server sends it beside the output).
	wantJSON bool
	result   any
	opts     Options
}

// Local is a call of the command line: the process's directory and
// streams.
func Local(stdout, stderr io.Writer, opts Options) *Call {
	cwd, err := os.Getwd()
	if err != nil {
		cwd = "."
	}
	return &Call{cwd: cwd, local: true, stdout: stdout, stderr: stderr, opts: opts}
}

// absAll resolves paths at the call's directory; the command line's stay
// as typed, so that messages name them as the user wrote them.
func (c *Call) absAll(paths []string) []string {
	if c.local {
		return paths
	}
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = c.abs(p)
	}
	return out
}

// abs resolves a path as typed at the call's directory.
func (c *Call) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(c.cwd, p)
}

func (c *Call) report(p api.Progress) {
	if c.progress != nil {
		c.progress(p)
	}
}

// setResult records the command's JSON document.
func (c *Call) setResult(v any) {
	if c.wantJSON {
		c.result = v
	}
}

// resultJSON is the document as --format json prints it.
func (c *Call) resultJSON() []byte {
	if c.result == nil {
		return nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c.result); err != nil {
		return nil
	}
	return b.Bytes()
}

// openWorkspace finds the workspace of the call's paths: the directory of
// the nearest .gauntlet.yaml above cwd, else cwd, widened to the common
// ancestor of paths outside it. A configuration that does not load is an
// error (FILE:LINE: key: message). The engine starts with the syntax
// analyzer; loadAnalyzers adds the rest. Analyzer failures are printed to
// stderr once each.
func (c *Call) openWorkspace(paths []string) (*workspace, error) {
	dir := c.cwd
	if c.local {
		dir = "." // errors name the configuration as the user reaches it
	}
	cfg, err := config.Find(dir)
	if err != nil {
		return nil, err
	}
	root := c.cwd
	if cfg.Path != "" {
		root = cfg.Dir
	}
	for _, p := range paths {
		abs := c.abs(p)
		for !within(root, abs) {
			root = filepath.Dir(root)
		}
	}
	c.root = root
	stderr := c.stderr
	ws := &workspace{root: root, cwd: c.cwd, cfg: cfg, ignore: cfg.Ignore, stderr: stderr, plugins: c.opts.Plugins}
	ws.engine = server.New(
		server.WithAnalyzers(syntax.Analyzer),
		server.WithErrorHandler(func(err error) { fmt.Fprintf(stderr, "gauntlet: %v\n", err) }),
		server.WithFilter(analysis.Suppress),
	)
	return ws, nil
}

// loadAnalyzers gives the workspace's engine its analyzers: compiled and
// started for this call, or from the server's cache.
func (c *Call) loadAnalyzers(ws *workspace, only []string) error {
	if c.analyzers == nil {
		return ws.loadAnalyzers(only)
	}
	as, release, err := c.analyzers.get(ws, only)
	if err != nil {
		return err
	}
	ws.closers = append(ws.closers, release)
	ws.engine.SetAnalyzers(as)
	return nil
}

// analyzerCache keeps each workspace's analyzers (compiled rules, started
// plugins) while its configuration files stay the same, for gauntlet
// serve: a request then pays for none of it. Entries replaced by a changed
// configuration are closed once the last request using them ends.
type analyzerCache struct {
	log io.Writer // the plugins' stderr and their failures

	mu      sync.Mutex
	entries map[string]*analyzerEntry // by root and --only
}

type analyzerEntry struct {
	stamp     string
	ready     chan struct{} // closed once analyzers or err is set
	analyzers []*analysis.Analyzer
	err       error
	close     func()
	refs      int
	stale     bool
}

func newAnalyzerCache(log io.Writer) *analyzerCache {
	return &analyzerCache{log: log, entries: map[string]*analyzerEntry{}}
}

// get returns the workspace's analyzers for only, compiling and starting
// them on first use (other requests for the same workspace wait for that;
// other workspaces do not), and a release to call when the request ends.
// A configuration that does not compile stays an error until it changes.
func (ac *analyzerCache) get(ws *workspace, only []string) ([]*analysis.Analyzer, func(), error) {
	key := ws.root + "\x00" + fmt.Sprint(only)
	stamp := configStamp(ws)
	ac.mu.Lock()
	e := ac.entries[key]
	build := e == nil || e.stamp != stamp
	if build {
		if e != nil {
			e.stale = true
			e.maybeClose()
		}
		e = &analyzerEntry{stamp: stamp, ready: make(chan struct{})}
		ac.entries[key] = e
	}
	e.refs++
	ac.mu.Unlock()
	var once sync.Once
	release := func() {
		once.Do(func() {
			ac.mu.Lock()
			defer ac.mu.Unlock()
			e.refs--
			e.maybeClose()
		})
	}
	if build {
		// Compile and start once, on a workspace of the cache's own (its
		// plugins outlive this request).
		own := *ws
		own.closers = nil
		own.stderr = ac.log
		own.engine = server.New(server.WithAnalyzers(syntax.Analyzer))
		err := own.loadAnalyzers(only)
		if err != nil {
			own.close()
		}
		ac.mu.Lock()
		if err != nil {
			e.err = err
		} else {
			e.analyzers, e.close = own.engine.Analyzers(), own.close
		}
		ac.mu.Unlock()
		close(e.ready)
	}
	<-e.ready
	if e.err != nil {
		release()
		return nil, nil, e.err
	}
	return e.analyzers, release, nil
}

func (e *analyzerEntry) maybeClose() {
	if e.stale && e.refs == 0 && e.close != nil {
		e.close()
		e.close = nil
	}
}

// closeAll stops every cached plugin (server shutdown).
func (ac *analyzerCache) closeAll() {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	for k, e := range ac.entries {
		e.stale = true
		if e.close != nil {
			e.close()
			e.close = nil
		}
		delete(ac.entries, k)
	}
}

// configStamp identifies the configuration's files as they are now: their
// paths, sizes and modification times.
func configStamp(ws *workspace) string {
	files := append([]string{filepath.Join(ws.root, config.FileName), ws.cfg.Path}, ws.cfg.RuleFiles...)
	for _, p := range ws.cfg.Plugins {
		files = append(files, p.Path)
	}
	var b bytes.Buffer
	for _, f := range files {
		if f == "" {
			continue
		}
		st, err := os.Stat(f)
		if err != nil {
			fmt.Fprintf(&b, "%s:-;", f)
			continue
		}
		fmt.Fprintf(&b, "%s:%d:%d;", f, st.Size(), st.ModTime().UnixNano())
	}
	return b.String()
}

// fileCache keeps the files gauntlet serve has read, with their parsed
// trees, so that a file unchanged since an earlier request is not parsed
// again, and requests at once share one parse and one tree. A file is
// reused only when its content is byte for byte the same.
type fileCache struct {
	mu    sync.Mutex
	files map[string]*analysis.File // by root and snapshot path
}

func newFileCache() *fileCache { return &fileCache{files: map[string]*analysis.File{}} }

// share returns snap with the files at paths taken from the cache where
// their content did not change (open buffers, already overlays, are left
// as they are).
func (fc *fileCache) share(snap *analysis.Snapshot, paths []string) *analysis.Snapshot {
	overlay := map[string]bool{}
	for _, p := range snap.Overlays() {
		overlay[p] = true
	}
	var shared []*analysis.File
	for _, p := range paths {
		if overlay[p] {
			continue
		}
		content, err := os.ReadFile(snap.Abs(p))
		if err != nil {
			continue // the snapshot reports it
		}
		key := snap.Root() + "\x00" + p
		fc.mu.Lock()
		f := fc.files[key]
		if f == nil || !bytes.Equal(f.Content, content) {
			f = analysis.NewFile(p, content, 0)
			fc.files[key] = f
		}
		fc.mu.Unlock()
		shared = append(shared, f)
	}
	return snap.With(shared...)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

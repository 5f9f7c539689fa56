package main

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

// call is one run of a command's work: the directory it runs in (the
// user's), where its output goes, and who hears its progress. The command
// line makes one from the process (localCall); gauntlet serve and gauntlet
// mcp make one per request, so the same code answers both and the output
// is the same.
type call struct {
	cwd      string // absolute
	local    bool   // cwd is the process's own directory
	root     string // the workspace root, once opened
	stdout   io.Writer
	stderr   io.Writer
	progress func(api.Progress) // nil: nobody listens
	// analyzers, if set, keeps compiled rules and started plugins between
	// calls (gauntlet serve); nil compiles and starts them for this call.
	analyzers *analyzerCache
	// result is the command's JSON document, set by the command when
	// wantJSON (the server sends it beside the output).
	wantJSON bool
	result   any
}

// localCall is a call of the command line: the process's directory and
// streams.
func localCall(stdout, stderr io.Writer) *call {
	cwd, err := os.Getwd()
	if err != nil {
		cwd = "."
	}
	return &call{cwd: cwd, local: true, stdout: stdout, stderr: stderr}
}

// absAll resolves paths at the call's directory; the command line's stay
// as typed, so that messages name them as the user wrote them.
func (c *call) absAll(paths []string) []string {
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
func (c *call) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(c.cwd, p)
}

func (c *call) report(p api.Progress) {
	if c.progress != nil {
		c.progress(p)
	}
}

// setResult records the command's JSON document.
func (c *call) setResult(v any) {
	if c.wantJSON {
		c.result = v
	}
}

// resultJSON is the document as --format json prints it.
func (c *call) resultJSON() []byte {
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

// openWorkspace finds the workspace of the call's paths as openWorkspace
// does from the process's directory: the directory of the nearest
// .gauntlet.yaml above cwd, else cwd, widened to the common ancestor of
// paths outside it.
func (c *call) openWorkspace(paths []string) (*workspace, error) {
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
	ws := &workspace{root: root, cwd: c.cwd, cfg: cfg, ignore: cfg.Ignore, stderr: stderr}
	ws.engine = server.New(
		server.WithAnalyzers(syntax.Analyzer),
		server.WithErrorHandler(func(err error) { fmt.Fprintf(stderr, "gauntlet: %v\n", err) }),
		server.WithFilter(analysis.Suppress),
	)
	return ws, nil
}

// loadAnalyzers gives the workspace's engine its analyzers: compiled and
// started for this call, or from the server's cache.
func (c *call) loadAnalyzers(ws *workspace, only []string) error {
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
	analyzers []*analysis.Analyzer
	close     func()
	refs      int
	stale     bool
}

func newAnalyzerCache(log io.Writer) *analyzerCache {
	return &analyzerCache{log: log, entries: map[string]*analyzerEntry{}}
}

func (ac *analyzerCache) get(ws *workspace, only []string) ([]*analysis.Analyzer, func(), error) {
	key := ws.root + "\x00" + fmt.Sprint(only)
	stamp := configStamp(ws)
	ac.mu.Lock()
	defer ac.mu.Unlock()
	e := ac.entries[key]
	if e == nil || e.stamp != stamp {
		if e != nil {
			e.stale = true
			e.maybeClose()
		}
		// Compile and start once, on a workspace of the cache's own (its
		// plugins outlive this request).
		own := *ws
		own.closers = nil
		own.stderr = ac.log
		own.engine = server.New(server.WithAnalyzers(syntax.Analyzer))
		if err := own.loadAnalyzers(only); err != nil {
			own.close()
			return nil, nil, err
		}
		e = &analyzerEntry{stamp: stamp, analyzers: own.engine.Analyzers(), close: own.close}
		ac.entries[key] = e
	}
	e.refs++
	var once sync.Once
	return e.analyzers, func() {
		once.Do(func() {
			ac.mu.Lock()
			defer ac.mu.Unlock()
			e.refs--
			e.maybeClose()
		})
	}, nil
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

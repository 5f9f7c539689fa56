package workspace

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
	"github.com/gauntlet-dev/gauntlet/server"
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
	progress  func(analysis.Progress) // nil: nobody listens
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

func (c *Call) report(p analysis.Progress) {
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

// openAnalyzed opens the workspace of paths ("." if none) with its
// analyzers for only (gauntlet check, fix). A configuration or rule that
// does not load is printed as gauntlet check prints it (FILE:LINE: ...)
// and ok is false; else the caller closes the workspace. It returns the
// paths it opened.
func (c *Call) openAnalyzed(paths, only []string) (_ *workspace, _ []string, ok bool) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	ws, err := c.openWorkspace(paths)
	if err == nil {
		if err = c.loadAnalyzers(ws, only); err != nil {
			ws.close()
		}
	}
	if err != nil {
		printCheckError(c.stderr, err)
		return nil, nil, false
	}
	return ws, paths, true
}

// openTests opens the workspace of paths ("." if none) for a test run
// (gauntlet test, coverage): the workspace, the snapshot of its files on
// disk and paths as snapshot paths (each must exist). The caller closes
// the workspace.
func (c *Call) openTests(paths []string) (*workspace, *analysis.Snapshot, []string, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	ws, err := c.openWorkspace(paths)
	if err != nil {
		return nil, nil, nil, err
	}
	disk := analysis.NewSnapshot(ws.root)
	rels, err := c.relPaths(disk, paths)
	if err != nil {
		ws.close()
		return nil, nil, nil, err
	}
	return ws, disk, rels, nil
}

// loadAnalyzers gives the workspace's engine its analyzers: compiled and
// started for this call, or from the server's cache.
func (c *Call) loadAnalyzers(ws *workspace, only []string) error {
	if c.analyzers == nil {
		return ws.loadAnalyzers(only)
	}
	as, release, err := c.analyzers.get(context.Background(), ws.root, ws.cfg, only, false)
	if err != nil {
		return err
	}
	ws.closers = append(ws.closers, release)
	ws.engine.SetAnalyzers(as)
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

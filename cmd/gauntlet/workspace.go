package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
	"github.com/gauntlet-dev/gauntlet/server"
)

// workspace is what a command line run works on: the root directory, the
// analyzers configured for it, and the engine that runs them.
type workspace struct {
	root    string // absolute
	cwd     string // absolute
	ignore  []string
	engine  *server.Engine
	closers []func()
}

// openWorkspace finds the workspace for the given paths: the directory of the
// nearest .gauntlet.yaml above the current directory, else the current
// directory, widened to the common ancestor of paths outside it. Analyzer
// failures are printed to stderr once each.
func openWorkspace(paths []string, stderr io.Writer) (*workspace, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	root := cwd
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		for !within(root, abs) {
			root = filepath.Dir(root)
		}
	}
	ws := &workspace{root: root, cwd: cwd}
	ws.engine = server.New(
		server.WithAnalyzers(syntax.Analyzer),
		server.WithErrorHandler(func(err error) { fmt.Fprintf(stderr, "gauntlet: %v\n", err) }),
	)
	return ws, nil
}

func (ws *workspace) close() {
	for i := len(ws.closers) - 1; i >= 0; i-- {
		ws.closers[i]()
	}
}

// files lists the files to analyse under paths, as snapshot paths.
func (ws *workspace) files(snap *analysis.Snapshot, paths []string) ([]string, error) {
	abs, err := analysis.Walk(ws.root, paths, ws.ignore)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(abs))
	for _, a := range abs {
		rel, err := snap.Rel(a)
		if err != nil {
			return nil, err
		}
		out = append(out, rel)
	}
	return out, nil
}

// display prints a snapshot path relative to the current directory.
func (ws *workspace) display(rel string) string {
	abs := filepath.Join(ws.root, filepath.FromSlash(rel))
	if r, err := filepath.Rel(ws.cwd, abs); err == nil {
		return filepath.ToSlash(r)
	}
	return abs
}

func within(dir, p string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, "../")
}

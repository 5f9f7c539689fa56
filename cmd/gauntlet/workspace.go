package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/rules"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
	"github.com/gauntlet-dev/gauntlet/server"
)

// workspace is what a command line run works on: the root directory, its
// configuration, the analyzers configured for it, and the engine that runs
// them.
type workspace struct {
	root    string // absolute
	cwd     string // absolute
	cfg     *config.Config
	ignore  []string
	stderr  io.Writer
	engine  *server.Engine
	closers []func()
}

// openWorkspace finds the workspace for the given paths: the directory of the
// nearest .gauntlet.yaml above the current directory, else the current
// directory, widened to the common ancestor of paths outside it. A
// configuration that does not load is an error (FILE:LINE: key: message).
// The engine starts with the syntax analyzer; loadAnalyzers adds the rules.
// Analyzer failures are printed to stderr once each.
func openWorkspace(paths []string, stderr io.Writer) (*workspace, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	return (&call{cwd: cwd, local: true, stderr: stderr}).openWorkspace(paths)
}

// loadAnalyzers compiles the built-in rules the configuration turns on and
// its own rules, and gives the engine every analyzer with the configured
// severities. only, if not empty, keeps just the analyzers with those ids
// (the syntax analyzer too, unless listed). A rule that does not compile is
// an error listing every broken rule as FILE:LINE: rule ID: reason.
func (ws *workspace) loadAnalyzers(only []string) error {
	cfg := ws.cfg
	if len(only) > 0 {
		// --only runs the named rules even if they are off by default.
		c := *cfg
		c.Enable = append(slices.Clone(cfg.Enable), only...)
		cfg = &c
	}
	set, err := rules.ForConfig(cfg)
	if err != nil {
		return err
	}
	as := append(cfg.Apply([]*analysis.Analyzer{syntax.Analyzer}, true), set.Analyzers()...)
	if len(cfg.Plugins) > 0 {
		// Plugins become ordinary analyzers; one that cannot start is a
		// stand-in that fails on every file, so check exits 2 naming it.
		pas, stop, err := loadPlugins(context.Background(), cfg, ws.stderr)
		if err != nil {
			return err
		}
		ws.closers = append(ws.closers, stop)
		as = append(as, cfg.Apply(pas, false)...)
	}
	if err := uniqueNames(as); err != nil {
		return err
	}
	if len(only) > 0 {
		var kept []*analysis.Analyzer
		for _, a := range as {
			if slices.Contains(only, a.Name) {
				kept = append(kept, a)
			}
		}
		for _, id := range only {
			if !slices.ContainsFunc(kept, func(a *analysis.Analyzer) bool { return a.Name == id }) {
				return fmt.Errorf("--only: no analyzer or rule %q is configured (gauntlet rules list shows them)", id)
			}
		}
		as = kept
	}
	ws.engine.SetAnalyzers(as)
	return nil
}

// uniqueNames refuses two analyzers with one id (a plugin's analyzer named
// like a built-in or a rule): their findings could not be told apart.
func uniqueNames(as []*analysis.Analyzer) error {
	seen := map[string]*analysis.Analyzer{}
	for _, a := range as {
		if prev := seen[a.Name]; prev != nil {
			return fmt.Errorf("analyzer %q is defined twice (by %s and by %s); rename one", a.Name, sourceOf(prev), sourceOf(a))
		}
		seen[a.Name] = a
	}
	return nil
}

func sourceOf(a *analysis.Analyzer) string {
	if a.Source != "" && a.Source != "gauntlet" {
		return "plugin " + a.Source
	}
	return "gauntlet"
}

// repoPath returns a snapshot path relative to the root of the git
// repository the workspace is in, for SARIF and GitHub annotations; without
// a repository, relative to the current directory.
func (ws *workspace) repoPath() func(string) string {
	for d := ws.root; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return func(rel string) string {
				r, err := filepath.Rel(d, filepath.Join(ws.root, filepath.FromSlash(rel)))
				if err != nil {
					return ws.display(rel)
				}
				return filepath.ToSlash(r)
			}
		}
		if filepath.Dir(d) == d {
			return ws.display
		}
	}
}

// repoRoot is the directory of the enclosing git repository, the root the
// paths of repoPath are relative to; "" when there is none.
func (ws *workspace) repoRoot() string {
	for d := ws.root; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
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

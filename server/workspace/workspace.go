package workspace

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

// workspace is what a call works on: the root directory, its
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
	plugins PluginLoader
}

// Exit statuses of the work, the command line's.
const (
	exitOK       = 0 // success, nothing at or above the threshold
	exitFindings = 1 // findings, a rejected edit, failing tests
	exitError    = 2 // bad flags, unreadable input, a component that did not run
)

// PluginLoader starts the plugins a configuration names: their analyzers,
// to hand to the engine beside the built-in ones, and a function that
// stops them; their own stderr goes to log. cmd/gauntlet provides it (the
// dependency policy keeps server/* from importing plugins).
type PluginLoader func(ctx context.Context, cfg *config.Config, log io.Writer) ([]*analysis.Analyzer, func(), error)

// Options is what the program that embeds the workspace layer gives it.
type Options struct {
	Plugins PluginLoader // nil: a configuration's plugins are not started
	Version string       // the tool's version, in reports (SARIF)
}

// loadAnalyzers compiles the rules and starts the plugins the
// configuration asks for, for this call alone, and gives the engine every
// analyzer (see assemble); the plugins stop with the workspace.
func (ws *workspace) loadAnalyzers(only []string) error {
	as, err := assemble(ws.cfg, only, false, func(cfg *config.Config) ([]*analysis.Analyzer, error) {
		pas, stop, err := startPlugins(context.Background(), cfg, ws.plugins, ws.stderr)
		if err == nil {
			ws.closers = append(ws.closers, stop)
		}
		return pas, err
	})
	if err != nil {
		return err
	}
	ws.engine.SetAnalyzers(as)
	return nil
}

// assemble is the one way the command line, gauntlet serve, mcp and lsp
// put together the analyzers a configuration asks for: the built-in rules
// cfg turns on and its own rules beside the syntax analyzer, and the
// analyzers of its plugins (plugins gives them, started), with the
// configured severities; two analyzers with one id are refused. only, if
// not empty, keeps just the analyzers with those ids (the syntax analyzer
// too, unless listed), even ones off by default. A rule that does not
// compile is an error listing every broken rule as FILE:LINE: rule ID:
// reason; with partial, the analyzers come back beside that error (the
// editor shows the broken rules on their lines and goes on with the rest),
// unless no rule could be read. Plugins that cannot start are stand-ins
// that fail on every file, so check exits 2 naming them.
func assemble(cfg *config.Config, only []string, partial bool, plugins func(*config.Config) ([]*analysis.Analyzer, error)) ([]*analysis.Analyzer, error) {
	if len(only) > 0 {
		c := *cfg
		c.Enable = append(slices.Clone(cfg.Enable), only...)
		cfg = &c
	}
	set, rulesErr := rules.ForConfig(cfg)
	if rulesErr != nil && (!partial || set == nil) {
		return nil, rulesErr
	}
	as := append(cfg.Apply([]*analysis.Analyzer{syntax.Analyzer}, true), set.Analyzers()...)
	pas, err := plugins(cfg)
	if err != nil {
		return nil, err
	}
	as = append(as, cfg.Apply(pas, false)...)
	if err := uniqueNames(as); err != nil {
		return nil, err
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
				return nil, fmt.Errorf("--only: no analyzer or rule %q is configured (gauntlet rules list shows them)", id)
			}
		}
		as = kept
	}
	return as, rulesErr
}

// startPlugins starts cfg's plugins with load; their stderr goes to log,
// and stop stops them.
func startPlugins(ctx context.Context, cfg *config.Config, load PluginLoader, log io.Writer) (_ []*analysis.Analyzer, stop func(), _ error) {
	if load != nil {
		return load(ctx, cfg, log)
	}
	if len(cfg.Plugins) > 0 {
		return nil, nil, fmt.Errorf("%s: plugins are not available here", cfg.Path)
	}
	return nil, func() {}, nil
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

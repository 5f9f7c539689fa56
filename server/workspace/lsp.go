package workspace

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/model"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// Editor is the workspace layer of an editor session (gauntlet lsp): it
// loads the configuration of the editor's workspace, takes its analyzers
// from the workspace cache (the one gauntlet serve uses: compiled rules,
// and plugins kept across reloads while their configuration stays the
// same), and gives the engine the closed loop's settings.
type Editor struct {
	engine  *server.Engine
	sandbox string // the operator's --sandbox; "" for loop.sandbox
	cache   *analyzerCache
	show    func(error)

	mu      sync.Mutex
	release func() // lets go of the analyzers in use
}

// NewEditor is the workspace layer of a session whose engine is engine;
// sandbox is the operator's --sandbox ("": loop.sandbox); opts.Plugins
// starts the plugins (their stderr goes to log); show shows the user what
// goes wrong beside the configuration (a model that cannot be opened).
// Close stops the plugins.
func NewEditor(engine *server.Engine, sandbox string, opts Options, log io.Writer, show func(error)) *Editor {
	return &Editor{engine: engine, sandbox: sandbox, cache: newAnalyzerCache(log, opts.Plugins), show: show}
}

// Load loads the .gauntlet.yaml of the editor's workspace at root (or the
// defaults) and its analyzers, as gauntlet check does, and gives the
// engine the closed loop's settings (the model, the gates); the server
// calls it at initialize and when the file or a rule file is saved (it is
// an lsp.ReloadFunc). A model that cannot be opened is shown, and fixes
// then come from the analyzers alone. It returns the analyzers and the
// files to watch. Configuration and rule errors are config.Errors and
// rules.Errors, for the editor to show on their lines; rules that compile
// are used even when others do not.
func (ed *Editor) Load(ctx context.Context, root string) ([]*analysis.Analyzer, []string, error) {
	cfg, err := config.Find(root)
	if err != nil {
		return nil, nil, err
	}
	as, release, rulesErr := ed.cache.get(ctx, root, cfg, nil, true)
	if as == nil {
		return nil, nil, rulesErr
	}
	ed.hold(release)
	ed.engine.SetLoop(ed.loop(cfg))
	files := append([]string{filepath.Join(root, config.FileName)}, cfg.RuleFiles...)
	if cfg.Path != "" {
		files = append(files, cfg.Path)
	}
	return as, files, rulesErr
}

// loop is the closed loop's settings of cfg for gauntlet.fix: the model's
// edits need bubblewrap unless the operator's sandbox (--sandbox, else
// loop.sandbox) says none; a model that cannot be opened, or whose edits
// the sandbox cannot hold, is shown, and fixes then come from the
// analyzers alone.
func (ed *Editor) loop(cfg *config.Config) server.Loop {
	m, _, err := model.Open(cfg.Model)
	mode, _ := verify.ParseSandbox(sandboxSetting(ed.sandbox, cfg))
	if err == nil && m != nil {
		var strict string
		if strict, err = verify.ForModelEdits(mode); err == nil {
			mode = strict
		}
	}
	if err != nil {
		ed.show(fmt.Errorf("no model for gauntlet.fix (the analyzers' own fixes still are): %w", err))
		m = nil
	}
	return loopSettings(cfg, loopAsk{model: m, sandbox: mode})
}

// hold keeps the analyzers release lets go of, letting go of the ones
// held before.
func (ed *Editor) hold(release func()) {
	ed.mu.Lock()
	prev := ed.release
	ed.release = release
	ed.mu.Unlock()
	if prev != nil {
		prev()
	}
}

// Close stops the session's plugins.
func (ed *Editor) Close() {
	ed.hold(nil)
	ed.cache.closeAll()
}

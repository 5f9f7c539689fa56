package workspace

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/model"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// LoadLSPConfig loads the .gauntlet.yaml of the editor's workspace (or the
// defaults) and compiles its rules, as gauntlet check does, and gives the
// engine the closed loop's settings (the model, the gates); the server calls
// it at initialize and when the file or a rule file is saved. A model that
// cannot be opened is shown, and fixes then come from the analyzers alone.
// sandbox is the operator's --sandbox ("": loop.sandbox); load starts the
// plugins (it keeps them between reloads); it returns the analyzers and the
// files to watch. Configuration and rule errors are config.Errors and
// rules.Errors, for the editor to show on their lines.
func LoadLSPConfig(ctx context.Context, root string, engine *server.Engine, sandbox string, load PluginLoader, log io.Writer, show func(error)) ([]*analysis.Analyzer, []string, error) {
	cfg, err := config.Find(root)
	if err != nil {
		return nil, nil, err
	}
	// Rules that compile are used even when others do not: one broken rule
	// must not silence the rest; the broken ones are shown on their lines.
	as, rulesErr := ruleAnalyzers(cfg, true)
	if as == nil {
		return nil, nil, rulesErr
	}
	m, _, err := model.Open(cfg.Model)
	if err != nil {
		show(fmt.Errorf("no model for gauntlet.fix (the analyzers' own fixes still are): %w", err))
		m = nil
	}
	// The operator's sandbox (--sandbox, else loop.sandbox); the model's
	// edits need bubblewrap unless it says none: without it, fixes come
	// from the analyzers alone.
	mode, _ := verify.ParseSandbox(sandboxSetting(sandbox, cfg))
	if m != nil {
		if strict, err := verify.ForModelEdits(mode); err != nil {
			show(fmt.Errorf("no model for gauntlet.fix (the analyzers' own fixes still are): %w", err))
			m = nil
		} else {
			mode = strict
		}
	}
	engine.SetLoop(loopSettings(cfg, loopAsk{model: m, sandbox: mode}))
	as, _, err = withPlugins(ctx, cfg, as, load, log) // load keeps the plugins
	if err != nil {
		return nil, nil, err
	}
	files := append([]string{filepath.Join(root, config.FileName)}, cfg.RuleFiles...)
	if cfg.Path != "" {
		files = append(files, cfg.Path)
	}
	return as, files, rulesErr
}

package plugins

import (
	"context"
	"fmt"
	"io"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
)

// The plugins a configuration (.gauntlet.yaml) names, as the engine's
// analyzers.

// SpecsOf converts a configuration's plugins for the host.
func SpecsOf(cfg *config.Config) []Spec {
	var specs []Spec
	for _, p := range cfg.Plugins {
		specs = append(specs, Spec{Name: p.Name, Path: p.Path, Args: p.Args, Env: p.Env, SHA256: p.SHA256, Timeout: p.Timeout})
	}
	return specs
}

// Load starts the plugins cfg configures, for `check` and the other
// commands that analyse (server/workspace's PluginLoader): it returns their
// analyzers, to hand to the engine beside the built-in ones, and a function that stops them. A plugin that
// cannot start is represented by a stand-in analyzer that fails on every
// file it would have analysed, so its failure reaches the engine's error
// handler (printed once per analyzer) and `check` exits 2; the host reports
// nothing itself, to avoid saying it twice. The plugins' own stderr goes to
// log (nil: discarded).
func Load(ctx context.Context, cfg *config.Config, log io.Writer) ([]*analysis.Analyzer, func(), error) {
	return load(ctx, cfg, log)
}

// LoadShowing is Load for an editor session: each plugin failure (at
// start-up, a crash mid-call, a death while idle) is also told to show,
// once per failure (OnFailure), for the editor to show it.
func LoadShowing(show func(error)) func(context.Context, *config.Config, io.Writer) ([]*analysis.Analyzer, func(), error) {
	return func(ctx context.Context, cfg *config.Config, log io.Writer) ([]*analysis.Analyzer, func(), error) {
		return load(ctx, cfg, log, OnFailure(show))
	}
}

func load(ctx context.Context, cfg *config.Config, log io.Writer, opts ...Option) ([]*analysis.Analyzer, func(), error) {
	if len(cfg.Plugins) == 0 {
		return nil, func() {}, nil
	}
	if log != nil {
		opts = append(opts, WithLog(log))
	}
	h, err := NewHost(SpecsOf(cfg), opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", cfg.Path, err)
	}
	_ = h.Start(ctx) // failures surface through the stand-ins' Run (and OnFailure)
	return h.Analyzers(), func() { h.Close() }, nil
}

package plugins

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"sync"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
)

// Keeper keeps the plugin processes of an editor session. A reload that
// leaves the plugins' configuration as it was keeps the running host, with
// its restart budget: a plugin that crashed three times in a minute stays off
// until its configuration changes. A changed configuration closes the old
// host and starts a new one.
type Keeper struct {
	log  io.Writer
	show func(error) // window/showMessage, once per message

	mu    sync.Mutex
	host  *Host
	specs []Spec
}

// NewKeeper keeps plugins whose stderr goes to log and whose failures go to
// show.
func NewKeeper(log io.Writer, show func(error)) *Keeper {
	return &Keeper{log: log, show: show}
}

// Load is Analyzers as server/workspace's PluginLoader: the plugins stay
// running (Close stops them); log is the keeper's own.
func (p *Keeper) Load(ctx context.Context, cfg *config.Config, _ io.Writer) ([]*analysis.Analyzer, func(), error) {
	as, err := p.Analyzers(ctx, cfg)
	return as, func() {}, err
}

// Analyzers returns the plugins' analyzers for cfg, starting or restarting
// the host when the configured plugins changed. Failures are shown by the
// host's failure handler (start-up, a crash mid-call, a death while idle).
func (p *Keeper) Analyzers(ctx context.Context, cfg *config.Config) ([]*analysis.Analyzer, error) {
	specs := SpecsOf(cfg)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.host != nil && reflect.DeepEqual(specs, p.specs) {
		return p.host.Analyzers(), nil
	}
	if p.host != nil {
		p.host.Close()
		p.host, p.specs = nil, nil
	}
	if len(specs) == 0 {
		return nil, nil
	}
	h, err := NewHost(specs, WithLog(p.log), OnFailure(p.show))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Path, err)
	}
	_ = h.Start(ctx) // each failure went to the failure handler
	p.host, p.specs = h, specs
	return h.Analyzers(), nil
}

// Close stops every plugin process.
func (p *Keeper) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.host != nil {
		p.host.Close()
		p.host = nil
	}
}

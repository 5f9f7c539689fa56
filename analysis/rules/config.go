package rules

import (
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/rules/builtin"
)

// ForConfig compiles the built-in rules cfg turns on and cfg's own rules
// (less those it disables) into one Set, so that each file is traversed once
// for all of them. The Set's analyzers carry cfg's severity overrides. Rules
// that do not compile are returned as Errors beside a Set of the others.
func ForConfig(cfg *config.Config) (*Set, error) {
	rs := builtin.Select(cfg)
	n := len(rs) // the built-in rules, which their tests compile
	for _, r := range cfg.Rules {
		if !cfg.Disabled(r.ID, false) {
			rs = append(rs, r)
		}
	}
	s, err := CompileLazily(rs, n)
	s.analyzers = cfg.Apply(s.analyzers, false)
	return s, err
}

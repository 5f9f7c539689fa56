package workspace

import (
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/model"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// The one mapping of a workspace's configuration to the closed loop's and
// the test runs' settings, for the command line, gauntlet serve, mcp and
// lsp: loopSettings, testSettings and sandboxSetting.

// loopAsk is what a call decides beside the configuration.
type loopAsk struct {
	model       model.Model // nil: fixes come from the analyzers alone
	sandbox     string      // the sandbox mode of the edits (sandboxMode)
	maxAttempts int         // > 0: instead of loop.max_attempts (--max-attempts)
	noTestEdits bool        // refuse edits to tests (--no-test-edits)
	pathPrefix  string      // the workspace's directory in its repository
}

// loopSettings is the closed loop's settings: the gates' options of the
// loop: and tests: keys (verify.FromConfig), the attempts per problem and
// what the call asks.
func loopSettings(cfg *config.Config, ask loopAsk) server.Loop {
	vopts := verify.FromConfig(cfg)
	vopts.Sandbox = ask.sandbox
	if ask.noTestEdits {
		vopts.TestEdits = verify.TestEditsRefuse
	}
	attempts := cfg.Loop.MaxAttempts
	if ask.maxAttempts > 0 {
		attempts = ask.maxAttempts
	}
	return server.Loop{Model: ask.model, Verify: vopts, MaxAttempts: attempts, PathPrefix: ask.pathPrefix}
}

// testSettings is the tests: key's runner settings, the ones the tests
// gate uses too.
func testSettings(cfg *config.Config) testrun.Settings {
	return verify.FromConfig(cfg).Tests
}

// sandboxSetting is the sandbox setting in force: the operator's
// (--sandbox), else the configuration's loop.sandbox.
func sandboxSetting(operator string, cfg *config.Config) string {
	if operator != "" {
		return operator
	}
	return cfg.Loop.Sandbox
}

// TestSettings reads the tests: key of the .gauntlet.yaml found from root
// up.
func TestSettings(root string) (testrun.Settings, error) {
	c, err := config.Find(root)
	if err != nil {
		return testrun.Settings{}, err
	}
	return testSettings(c), nil
}

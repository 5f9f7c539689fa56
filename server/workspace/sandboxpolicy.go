package workspace

import (
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// sandboxMode is the sandbox of a call's builds and tests. On the command
// line it is the person's --sandbox (requested), else loop.sandbox of the
// configuration; a served call's requested mode is already the policy's
// (Backend.sandboxFor). Edits from a model (model) or from a served
// request run in bubblewrap unless the setting says none
// (verify.ForModelEdits).
func sandboxMode(c *Call, cfg *config.Config, requested string, model bool) (string, error) {
	setting := requested
	if !c.untrusted {
		setting = sandboxSetting(requested, cfg)
	}
	mode, err := verify.ParseSandbox(setting)
	if err != nil {
		return "", err
	}
	if model || c.untrusted {
		return verify.ForModelEdits(mode)
	}
	return mode, nil
}

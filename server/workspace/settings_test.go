package workspace

import (
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// The configuration's loop: and tests: keys and a call's own choices
// become the loop's and the test runs' settings in one place.
func TestLoopSettings(t *testing.T) {
	allow := true
	cfg := &config.Config{
		Loop:  config.Loop{Gates: []string{"build", "tests"}, MaxAttempts: 5, TestTimeout: time.Minute, AllowTestEdits: &allow, Sandbox: "none"},
		Tests: config.Tests{Timeout: 2 * time.Minute, MaxOutput: 100},
	}
	for _, tc := range []struct {
		name          string
		ask           loopAsk
		wantAttempts  int
		wantTestEdits string
		wantSandbox   string
		wantPrefix    string
	}{
		{"configuration", loopAsk{}, 5, verify.TestEditsAllow, "", ""},
		{"--max-attempts", loopAsk{maxAttempts: 2, sandbox: "bwrap"}, 2, verify.TestEditsAllow, "bwrap", ""},
		{"--no-test-edits", loopAsk{noTestEdits: true, pathPrefix: "sub"}, 5, verify.TestEditsRefuse, "", "sub"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := loopSettings(cfg, tc.ask)
			if l.MaxAttempts != tc.wantAttempts || l.Verify.TestEdits != tc.wantTestEdits || l.Verify.Sandbox != tc.wantSandbox || l.PathPrefix != tc.wantPrefix {
				t.Errorf("got attempts %d, test edits %q, sandbox %q, prefix %q", l.MaxAttempts, l.Verify.TestEdits, l.Verify.Sandbox, l.PathPrefix)
			}
			if l.Verify.TestTimeout != time.Minute || len(l.Verify.Gates) != 2 || l.Verify.Tests.Timeout != 2*time.Minute {
				t.Errorf("gates' options not the configuration's: %+v", l.Verify)
			}
		})
	}
	if s := testSettings(cfg); s.Timeout != 2*time.Minute || s.MaxOutput != 100 {
		t.Errorf("test settings: %+v", s)
	}
	for _, tc := range []struct{ operator, config, want string }{
		{"", "none", "none"},
		{"bwrap", "none", "bwrap"},
		{"", "", ""},
	} {
		if got := sandboxSetting(tc.operator, &config.Config{Loop: config.Loop{Sandbox: tc.config}}); got != tc.want {
			t.Errorf("sandboxSetting(%q, %q) = %q, want %q", tc.operator, tc.config, got, tc.want)
		}
	}
}

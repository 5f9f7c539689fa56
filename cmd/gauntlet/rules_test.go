package main

import (
	"strings"
	"testing"
)

func TestRulesTestPasses(t *testing.T) {
	code, out, stderr := gauntlet(t, "testdata/rules/team", "rules", "test")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	// The built-in packs' cases and the team's, found beside its rule file.
	if !strings.HasPrefix(stderr, "ok: ") {
		t.Errorf("stderr: %s", stderr)
	}
	code, _, stderr = gauntlet(t, "testdata/rules/team", "rules", "test", "rules")
	if code != exitOK || stderr != "ok: 2 rule test cases\n" {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestRulesTestFails(t *testing.T) {
	code, out, stderr := gauntlet(t, "testdata/rules/team", "rules", "test", "../failing")
	if code != exitFindings {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	want := []string{
		"../failing/wrong_test.yaml:6: rule js-debugger: valid code reported on line 2: debugger statement left in code (javascript)",
		"../failing/wrong_test.yaml:9: rule js-debugger: reported on lines [1] of the snippet, want [2] (javascript)",
		"../failing/wrong_test.yaml:11: rule no-such-rule: no such rule",
	}
	for _, w := range want {
		if !strings.Contains(out, w+"\n") {
			t.Errorf("missing %q in\n%s", w, out)
		}
	}
	if stderr != "FAIL: 7 failures in 6 rule test cases\n" {
		t.Errorf("stderr: %s", stderr)
	}
}

func TestRulesBrokenRule(t *testing.T) {
	code, _, stderr := gauntlet(t, "testdata/rules/broken", "rules", "test")
	if code != exitError {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, ".gauntlet.yaml:7: rule go-broken: bad query at offset 30: invalid node type 'no_such_node'") {
		t.Errorf("stderr: %s", stderr)
	}
}

func TestRulesList(t *testing.T) {
	code, out, stderr := gauntlet(t, "testdata/rules/team", "rules", "list")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, w := range []string{"go-no-panic ", "error ", "rules/team.yaml:2", "go-println ", "off (opt-in", "js-eqeqeq ", "off (disabled)"} {
		if !strings.Contains(out, w) {
			t.Errorf("missing %q in\n%s", w, out)
		}
	}
}

package config

import (
	"strings"
	"testing"
)

// loop.allow_test_edits is unset (nil), true or false; anything else names
// the line and the key.
func TestAllowTestEdits(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want string
	}{
		{"loop:\n  max_attempts: 2\n", "unset"},
		{"loop:\n  allow_test_edits: true\n", "true"},
		{"loop:\n  allow_test_edits: false\n", "false"},
	} {
		c, err := Load(write(t, t.TempDir(), FileName, tc.yaml))
		if err != nil {
			t.Fatal(err)
		}
		got := "unset"
		if c.Loop.AllowTestEdits != nil {
			got = map[bool]string{true: "true", false: "false"}[*c.Loop.AllowTestEdits]
		}
		if got != tc.want {
			t.Errorf("%q: allow_test_edits %s, want %s", tc.yaml, got, tc.want)
		}
	}
	p := write(t, t.TempDir(), FileName, "loop:\n  allow_test_edits: sometimes\n")
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p+":2: loop.allow_test_edits:") {
		t.Errorf("got %v", err)
	}
}

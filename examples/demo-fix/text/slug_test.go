package text

import "testing"

func TestSlug(t *testing.T) {
	if got := Slug("  Hello Big World "); got != "hello-big-world" {
		t.Errorf("Slug = %q, want %q", got, "hello-big-world")
	}
}

func TestTruncate(t *testing.T) {
	if got := Truncate("gauntlet runs every edit", 11); got != "gauntlet..." {
		t.Errorf("Truncate = %q, want %q", got, "gauntlet...")
	}
	if got := Truncate("short", 11); got != "short" {
		t.Errorf("Truncate = %q, want %q", got, "short")
	}
}

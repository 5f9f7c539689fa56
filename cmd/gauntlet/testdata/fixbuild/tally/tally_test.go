package tally

import "testing"

func TestCount(t *testing.T) {
	got := Count("a B b")
	if got["a"] != 1 || got["b"] != 2 || len(got) != 2 {
		t.Errorf("Count = %v", got)
	}
}

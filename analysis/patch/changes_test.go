package patch

import (
	"reflect"
	"testing"
)

func TestChangesRoundTrip(t *testing.T) {
	cases := []struct{ old, new string }{
		{"a\nb\nc\n", "a\nB\nc\n"},
		{"a\nb\nc\n", "a\nc\n"},
		{"a\nb\nc\n", "x\na\nb\nc\ny\n"},
		{"", "new\nfile\n"},
		{"a\nb", "a\nb\n"},
		{"a\nb\n", "a\nb"},
		{"1\n2\n3\n4\n5\n6\n", "1\n3\n2\n4\n6\n7\n"},
		{"same\n", "same\n"},
	}
	for _, c := range cases {
		oldPath := "f.txt"
		if c.old == "" {
			oldPath = ""
		}
		f := Changes(oldPath, "f.txt", []byte(c.old), []byte(c.new))
		var old []byte
		if c.old != "" {
			old = []byte(c.old)
		}
		got, err := f.Apply(old)
		if err != nil {
			t.Errorf("%q -> %q: apply: %v (hunks %+v)", c.old, c.new, err, f.Hunks)
			continue
		}
		if string(got) != c.new {
			t.Errorf("%q -> %q: round trip gave %q (hunks %+v)", c.old, c.new, got, f.Hunks)
		}
	}
}

func TestChangesRanges(t *testing.T) {
	f := Changes("f", "f", []byte("1\n2\n3\n4\n"), []byte("1\nTWO\n3\n4\nfive\n"))
	want := []Range{{Start: 2, End: 3}, {Start: 5, End: 6}}
	if got := f.NewRanges(); !reflect.DeepEqual(got, want) {
		t.Errorf("NewRanges = %v, want %v", got, want)
	}
	if got := f.OldRanges(); !reflect.DeepEqual(got, []Range{{Start: 2, End: 3}, {Start: 5, End: 5}}) {
		t.Errorf("OldRanges = %v", got)
	}
}

package testrun

import (
	"bytes"
	"strings"
	"testing"
)

func TestCappedKeepsHeadAndTail(t *testing.T) {
	s := Settings{MaxOutput: 100}
	c := newCapped(s, newBudget(s))
	var all bytes.Buffer
	for i := 0; i < 1000; i++ {
		line := strings.Repeat(string(rune('a'+i%26)), i%7) + "\n"
		all.WriteString(line)
		c.Write([]byte(line))
	}
	in := all.String()
	got := string(c.Bytes())
	head, tail, ok := strings.Cut(got, "\n... ")
	if !ok {
		t.Fatalf("no cut marker in %q", got)
	}
	if !strings.HasPrefix(in, head) || len(head) != 50 {
		t.Errorf("head %q is not the first 50 bytes", head)
	}
	_, tail, _ = strings.Cut(tail, " bytes cut ...\n")
	if !strings.HasSuffix(in, tail) || len(tail) != 50 {
		t.Errorf("tail %q is not the last 50 bytes", tail)
	}
	if want := "... " + itoa(len(in)-100) + " bytes cut"; !strings.Contains(got, want) {
		t.Errorf("%q does not say %q", got, want)
	}
}

func TestCappedRunBudget(t *testing.T) {
	s := Settings{MaxOutput: 1 << 10}
	b := newBudget(s) // 8 KiB for the run
	var cs []*capped
	for i := 0; i < 50; i++ {
		c := newCapped(s, b)
		c.Write(bytes.Repeat([]byte("x"), 100<<10))
		cs = append(cs, c)
	}
	total := 0
	for _, c := range cs {
		total += len(c.head)
		if c.tail != nil && cap(c.tail) > minTail && b.left <= 0 && c == cs[len(cs)-1] {
			t.Errorf("the last test got a %d-byte tail after the budget ran out", cap(c.tail))
		}
	}
	if total > 8<<10 {
		t.Errorf("heads keep %d bytes, over the run's 8 KiB", total)
	}
}

func itoa(n int) string { return fmtInt(n) }

func fmtInt(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

package testrun

import (
	"fmt"
	"sync"

	"github.com/gauntlet-dev/gauntlet/analysis/redact"
)

// DefaultMaxOutput caps the output kept of one test (tests.max_output);
// a whole run keeps at most eight times as much.
const DefaultMaxOutput = 1 << 20

// minTail is the tail a test keeps once the run's budget is spent.
const minTail = 4 << 10

// budget is what a whole run may keep of its tests' output. Hand-written:
// a head-and-tail cap with a shared budget is a few lines, and the ring
// buffers of libraries keep only a tail.
type budget struct {
	mu   sync.Mutex
	left int64
}

func newBudget(s Settings) *budget {
	return &budget{left: 8 * s.maxOutput()}
}

func (s Settings) maxOutput() int64 {
	if s.MaxOutput > 0 {
		return s.MaxOutput
	}
	return DefaultMaxOutput
}

// take grants up to n bytes.
func (b *budget) take(n int) int {
	if b == nil {
		return n
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	g := int64(n)
	if g > b.left {
		g = max(b.left, 0)
	}
	b.left -= g
	return int(g)
}

// capped keeps the head and the tail of what is written to it, at most
// limit bytes in all (and less when the run's budget runs out), and counts
// the bytes it cut from the middle.
type capped struct {
	limit int
	run   *budget
	head  []byte
	full  bool // the head takes no more
	tail  []byte
	pos   int // next write in tail, once it is full
	wrap  bool
	cut   int64
}

func newCapped(s Settings, run *budget) *capped {
	return &capped{limit: int(s.maxOutput()), run: run}
}

func (c *capped) Write(p []byte) (int, error) {
	n := len(p)
	if !c.full {
		room := c.limit/2 - len(c.head)
		if room > len(p) {
			room = len(p)
		}
		g := c.run.take(room)
		c.head = append(c.head, p[:g]...)
		p = p[g:]
		if len(p) > 0 {
			c.full = true
			size := c.run.take(c.limit - c.limit/2)
			c.tail = make([]byte, 0, max(size, min(c.limit-c.limit/2, minTail)))
		}
	}
	if len(p) == 0 {
		return n, nil
	}
	// The tail: a ring of cap(c.tail) bytes.
	size := cap(c.tail)
	if len(p) >= size {
		c.cut += int64(c.kept()) + int64(len(p)-size)
		c.tail = append(c.tail[:0], p[len(p)-size:]...)
		c.pos, c.wrap = 0, false
		return n, nil
	}
	for len(p) > 0 {
		if len(c.tail) < size {
			k := min(size-len(c.tail), len(p))
			c.tail = append(c.tail, p[:k]...)
			p = p[k:]
			continue
		}
		k := min(size-c.pos, len(p))
		c.cut += int64(k)
		copy(c.tail[c.pos:], p[:k])
		c.pos = (c.pos + k) % size
		c.wrap = true
		p = p[k:]
	}
	return n, nil
}

// kept is the number of bytes in the tail.
func (c *capped) kept() int { return len(c.tail) }

// Bytes returns the head, a line saying how much was cut, and the tail.
func (c *capped) Bytes() []byte {
	out := append([]byte(nil), c.head...)
	if c.cut > 0 {
		out = append(out, fmt.Sprintf("\n... %d bytes cut ...\n", c.cut)...)
	}
	if c.wrap {
		out = append(out, c.tail[c.pos:]...)
		out = append(out, c.tail[:c.pos]...)
	} else {
		out = append(out, c.tail...)
	}
	return out
}

// String is the kept output with secret values redacted.
func (c *capped) String() string { return redact.String(string(c.Bytes())) }

func (c *capped) Len() int { return len(c.head) + len(c.tail) }

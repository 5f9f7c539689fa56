package rules

import (
	"runtime"
	"sync"
	"weak"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// fileCache holds one entry per file, keyed weakly: an entry goes when its
// file is collected. The zero value is ready to use; entries carry their
// own locks.
type fileCache[E any] struct {
	mu sync.Mutex
	m  map[weak.Pointer[analysis.File]]*E
}

// entry returns f's entry, adding an empty one on first use.
func (c *fileCache[E]) entry(f *analysis.File) *E {
	key := weak.Make(f)
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[key]
	if e == nil {
		if c.m == nil {
			c.m = map[weak.Pointer[analysis.File]]*E{}
		}
		e = new(E)
		c.m[key] = e
		runtime.AddCleanup(f, func(k weak.Pointer[analysis.File]) {
			c.mu.Lock()
			delete(c.m, k)
			c.mu.Unlock()
		}, key)
	}
	return e
}

// lookup returns f's entry, or nil when it has none.
func (c *fileCache[E]) lookup(f *analysis.File) *E {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[weak.Make(f)]
}

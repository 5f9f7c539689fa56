package rules

import (
	"runtime"
	"sync"
	"weak"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// fileCache holds a value computed once per file, keyed weakly: it goes
// when its file is collected. The zero value is ready to use.
type fileCache[V any] struct {
	mu sync.Mutex
	m  map[weak.Pointer[analysis.File]]*cacheEntry[V]
}

// cacheEntry is one file's value, computed at most once successfully.
type cacheEntry[V any] struct {
	mu   sync.Mutex
	done bool
	v    V
}

// get returns f's value, computing it on first use. An error is not
// cached: a cancelled run is retried.
func (c *fileCache[V]) get(f *analysis.File, compute func() (V, error)) (V, error) {
	e := c.entry(f)
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.done {
		v, err := compute()
		if err != nil {
			var zero V
			return zero, err
		}
		e.v, e.done = v, true
	}
	return e.v, nil
}

// entry returns f's entry, adding an empty one on first use.
func (c *fileCache[V]) entry(f *analysis.File) *cacheEntry[V] {
	key := weak.Make(f)
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[key]
	if e == nil {
		if c.m == nil {
			c.m = map[weak.Pointer[analysis.File]]*cacheEntry[V]{}
		}
		e = new(cacheEntry[V])
		c.m[key] = e
		runtime.AddCleanup(f, func(k weak.Pointer[analysis.File]) {
			c.mu.Lock()
			delete(c.m, k)
			c.mu.Unlock()
		}, key)
	}
	return e
}

// lookup returns f's value; present says whether f has an entry (a
// computation started), done whether its value was computed.
func (c *fileCache[V]) lookup(f *analysis.File) (v V, present, done bool) {
	c.mu.Lock()
	e := c.m[weak.Make(f)]
	c.mu.Unlock()
	if e == nil {
		return v, false, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.v, true, e.done
}

package testenv

import (
	"slices"
	"sync"
)

// Recorder keeps the values a callback under test reports, from any
// goroutine, for the test to read; its zero value is ready to use.
type Recorder[T any] struct {
	mu  sync.Mutex
	got []T
}

// Add records v; its method value is the callback.
func (r *Recorder[T]) Add(v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, v)
}

// All returns a copy of what has been recorded so far, in order.
func (r *Recorder[T]) All() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

package plugins

import "time"

// SetRestartDelays replaces the restart delays for a test.
func SetRestartDelays(d ...time.Duration) (restore func()) {
	old := restartDelay
	restartDelay = d
	return func() { restartDelay = old }
}

// Sent counts the files the running instance of plugin i was sent whole
// and as edits.
func (h *Host) Sent(i int) (whole, edits int64) {
	p := h.plugins[i]
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inst == nil {
		return 0, 0
	}
	return p.inst.svc.Sent()
}

package plugins

import (
	"slices"
	"time"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

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

// SettleExits waits until the exit of every plugin process that has
// terminated (it is a zombie or reaped) has been handled, its failure
// reported: a report that has not come by then will not come from them.
func (h *Host) SettleExits() {
	h.mu.Lock()
	procs := slices.Clone(h.procs)
	h.mu.Unlock()
	for _, p := range procs {
		if p.exited() || !testenv.Running(p.pid) {
			<-p.handled
		}
	}
}

// ProcStat reads /proc/PID/stat.
var ProcStat = procStat

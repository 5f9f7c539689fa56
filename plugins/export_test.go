package plugins

import "time"

// SetRestartDelays replaces the restart delays for a test.
func SetRestartDelays(d ...time.Duration) (restore func()) {
	old := restartDelay
	restartDelay = d
	return func() { restartDelay = old }
}

package testenv

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// WaitExit waits until process pid (any process, not only a child) has
// terminated: it is gone or a zombie. It reports false if the process is
// still running at the test's deadline. This is the signal that proves a
// process did not outlive what should have killed it; a fixed sleep before
// looking proves nothing on a loaded machine.
func WaitExit(t testing.TB, pid int) bool {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return true
	}
	if err != nil {
		// No pidfd (a kernel before 5.3): look at /proc until the deadline.
		for end := Deadline(t); Running(pid); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(end) {
				return false
			}
		}
		return true
	}
	defer unix.Close(fd)
	// The pidfd becomes readable once the process has terminated.
	for {
		left := Timeout(t)
		if left <= 0 {
			return !Running(pid)
		}
		ms := int(left / time.Millisecond)
		if ms < 1 {
			ms = 1
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			t.Fatalf("poll pidfd of %d: %v", pid, err)
		}
		if n > 0 {
			return true
		}
	}
}

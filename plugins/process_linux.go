package plugins

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// sysProcAttr puts a plugin in its own process group (so that stopping it
// kills whatever it started) and has the kernel kill it when gauntlet dies,
// even by SIGKILL.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup kills the process group led by pid.
func killGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// waitExited waits until pid has exited, without reaping it: while it is a
// zombie its id, which is also its group's, cannot be given to another
// process, so killing the group afterwards cannot hit a stranger.
func waitExited(pid int) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return
		}
	}
}

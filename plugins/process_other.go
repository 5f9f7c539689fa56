//go:build unix && !linux

package plugins

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts a plugin in its own process group. Outside Linux there is
// no Pdeathsig: a plugin outlives a gauntlet killed by SIGKILL until it
// notices its closed connection.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

func killGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

func waitExited(int) {}

// keeperCommand runs path itself: outside Linux there is no subreaper.
func keeperCommand(path string, args []string, env []string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Env = env
	return cmd
}

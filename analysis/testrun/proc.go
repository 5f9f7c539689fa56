package testrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// cmd is a process started in its own process group, so that it and
// everything it starts (go test's test binaries, pytest's workers, node's
// per-file processes) can be killed together.
type cmd struct {
	*exec.Cmd
}

func command(ctx context.Context, dir string, env []string, name string, args ...string) *cmd {
	c := &cmd{Cmd: exec.CommandContext(ctx, name, args...)}
	c.Dir = dir
	c.Env = append(os.Environ(), env...)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error {
		killGroup(c.Process)
		return nil
	}
	// After a kill, give the pipes a moment to drain, then stop waiting for
	// grandchildren that kept them open.
	c.WaitDelay = 2 * time.Second
	return c
}

// run starts the command, waits for it, and then kills what is left of its
// process group (a test's background child must not outlive the run). It
// returns the combined output when no writer was set.
func (c *cmd) run() ([]byte, error) {
	var buf bytes.Buffer
	if c.Stdout == nil {
		c.Stdout = &buf
	}
	if c.Stderr == nil {
		c.Stderr = &buf
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	err := c.Wait()
	killGroup(c.Process)
	return buf.Bytes(), err
}

// killGroup kills p's process group.
func killGroup(p *os.Process) {
	if p == nil {
		return
	}
	syscall.Kill(-p.Pid, syscall.SIGKILL)
}

// exitCode is the exit status of a finished command, or -1.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err == nil {
		return 0
	}
	return -1
}

// timeoutError explains a run that the context ended.
func timeoutError(ctx context.Context, what string, d time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s timed out after %v and was killed", what, d.Round(time.Second))
	}
	return fmt.Errorf("%s cancelled", what)
}

// trimOutput keeps a failing test's output readable: at most the last
// maxLines lines and maxBytes bytes.
func trimOutput(s string) string {
	const maxLines, maxBytes = 60, 8 << 10
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	cut := false
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
		cut = true
	}
	s = strings.Join(lines, "\n")
	if len(s) > maxBytes {
		s = s[len(s)-maxBytes:]
		cut = true
	}
	if cut {
		s = "…\n" + s
	}
	return s
}

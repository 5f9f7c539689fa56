package testrun

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis/redact"
)

// cmd is a process started in its own process group, so that it and
// everything it starts (go test's test binaries, pytest's workers, node's
// per-file processes) can be killed together.

// Its environment is gauntlet's by allowlist (redact.Environ) plus env; it
// carries a token of its own (GAUNTLET_RUN) that every process it starts
// inherits, so that those that leave the group (setsid) are found and
// killed too when it ends; and it dies with gauntlet (Pdeathsig).
type cmd struct {
	*exec.Cmd
	extra    []string
	token    string
	settings Settings // for the output cap
}

func command(ctx context.Context, dir string, env []string, name string, args ...string) *cmd {
	c := &cmd{Cmd: exec.CommandContext(ctx, name, args...), extra: env, token: newToken()}
	c.Dir = dir
	c.Env = c.environ(nil, nil)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	c.Cancel = func() error {
		c.reap()
		return nil
	}
	// After a kill, give the pipes a moment to drain, then stop waiting for
	// grandchildren that kept them open.
	c.WaitDelay = 2 * time.Second
	return c
}

func (c *cmd) environ(names []string, over []string) []string {
	env := redact.Environ(os.Environ(), names)
	env = append(env, c.extra...)
	env = append(env, over...)
	return append(env, runTokenVar+"="+c.token)
}

// in applies a suite's settings: the variables tests.env adds to the
// allowlist, and its launcher (the sandbox), with the directories given
// writable inside.
func (c *cmd) in(e *Env, writable ...string) *cmd {
	var over []string
	if e.Launch != nil {
		argv := append([]string{c.Path}, c.Args[1:]...)
		if c.Err != nil && !filepath.IsAbs(c.Args[0]) {
			argv[0] = c.Args[0] // let the sandbox's PATH find it
		}
		wrapped, env := e.Launch.Wrap(argv, writable...)
		c.Path, c.Args, c.Err = wrapped[0], wrapped, nil
		over = env
	}
	c.Env = c.environ(e.Settings.Env, over)
	c.settings = e.Settings
	return c
}

// reap kills what is left of the command's processes: its group, and any
// process that carries its token.
func (c *cmd) reap() {
	killGroup(c.Process)
	sweep(c.token)
}

// run starts the command, waits for it, and then kills what is left of its
// process group (a test's background child must not outlive the run). It
// returns the combined output when no writer was set, capped (head and
// tail, as a run keeps of its tests) and with secret values redacted.
func (c *cmd) run() ([]byte, error) {
	buf := newCapped(c.settings, newBudget(c.settings))
	if c.Stdout == nil {
		c.Stdout = buf
	}
	if c.Stderr == nil {
		c.Stderr = buf
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	err := c.Wait()
	c.reap()
	return redact.Default().Bytes(buf.Bytes()), err
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

// TrimOutput keeps a failing test's or build's output readable: at most
// the last 60 lines and 8 KiB, marked "…" when cut.
func TrimOutput(s string) string { return trimOutput(s) }

// trimOutput is TrimOutput.
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

// runTokenVar marks the processes of one command.
const runTokenVar = "GAUNTLET_RUN"

func newToken() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// sweep kills every process whose environment carries token, a few rounds
// over, as a process may fork while it is being killed. Without /proc
// (not Linux) it does nothing: the group kill is all there is.
func sweep(token string) {
	mark := []byte(runTokenVar + "=" + token + "\x00")
	self := os.Getpid()
	for round := 0; round < 4; round++ {
		ents, err := os.ReadDir("/proc")
		if err != nil {
			return
		}
		found := false
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil || pid == self {
				continue
			}
			env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
			if err != nil || !bytes.Contains(env, mark) {
				continue
			}
			syscall.Kill(pid, syscall.SIGKILL)
			found = true
		}
		if !found {
			return
		}
	}
}

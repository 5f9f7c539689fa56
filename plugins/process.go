package plugins

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-plugin/runner"
)

// process is one plugin process, and go-plugin's runner for it. We run the
// process ourselves rather than through go-plugin's Cmd because go-plugin
// hands the child our standard input, which in `gauntlet lsp` is the LSP
// stream; and because the process must live in its own process group
// (stopping it kills the group) and die with us (Pdeathsig), which needs
// SysProcAttr and a thread that outlives it.
type process struct {
	name string   // the plugin's configured name
	path string   // absolute executable
	args []string // after the path
	env  []string // the whole environment
	tail *tail    // the last lines of its stderr, for error messages

	cmd            *exec.Cmd
	stdout, stderr *os.File // our ends of its pipes
	pid            int
	done           chan struct{} // closed once it has exited and been reaped
	drained        chan struct{} // closed once go-plugin has read all its stdout and stderr
	drainOnce      sync.Once
	waitErr        error       // its exit status, once done
	stopping       atomic.Bool // we killed it: its exit is no crash
	onExit         func(*process)
	exits          *sync.WaitGroup // done once onExit has returned
	handled        chan struct{}   // closed once onExit has returned
	onStart        func(*process)  // told once the process runs
}

var _ runner.Runner = (*process)(nil)

func (p *process) Start(context.Context) error {
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return err
	}
	cmd := keeperCommand(p.path, p.args, p.env)
	cmd.Stdin = nil // the null device: never our stdin
	cmd.Stdout = outW
	cmd.Stderr = errW
	cmd.SysProcAttr = sysProcAttr()
	err = spawn(cmd)
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return err
	}
	p.cmd, p.stdout, p.stderr, p.pid = cmd, outR, errR, cmd.Process.Pid
	p.done = make(chan struct{})
	p.drained = make(chan struct{})
	p.handled = make(chan struct{})
	if p.exits != nil {
		p.exits.Add(1)
	}
	if p.onStart != nil {
		p.onStart(p)
	}
	go p.wait()
	return nil
}

// wait waits for the process to exit, kills what it left in its process
// group while the group's id cannot yet be reused, reaps it, and, once its
// last words are read, tells onExit.
func (p *process) wait() {
	defer close(p.handled)
	if p.exits != nil {
		defer p.exits.Done()
	}
	waitExited(p.pid)
	killGroup(p.pid)
	p.waitErr = p.cmd.Wait()
	close(p.done)
	if p.onExit != nil {
		p.settled(time.Second)
		p.onExit(p)
	}
}

// settled waits up to d for the process to have exited and its output to
// have been read (a grandchild holding the pipes open could delay that
// forever), and reports whether it has exited.
func (p *process) settled(d time.Duration) bool {
	if p.done == nil {
		return false
	}
	timeout := time.After(d)
	select {
	case <-p.done:
	case <-timeout:
		return false
	}
	select {
	case <-p.drained:
	case <-timeout:
	}
	return true
}

// handledExit reports whether the process has exited and onExit returned.
func (p *process) handledExit() bool { return isClosed(p.handled) }

// exited reports whether the process has exited.
func (p *process) exited() bool { return isClosed(p.done) }

// isClosed reports whether ch is closed; a nil ch (a process not started)
// is not.
func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// status is how the process ended: "exit status 2", "signal: killed".
func (p *process) status() string {
	if p.waitErr == nil {
		return "exit status 0"
	}
	return p.waitErr.Error()
}

// signaled reports whether the process was ended by a signal rather than
// exiting by itself.
func (p *process) signaled() bool {
	var ee *exec.ExitError
	if errors.As(p.waitErr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
			return ws.Signaled()
		}
	}
	return false
}

// exitError describes how the process ended, with the line of its stderr
// that most likely says why ("panic: ...").
func (p *process) exitError() error {
	msg := "exited (" + p.status() + ")"
	if line := p.tail.reason(); line != "" {
		msg += ": " + line
	}
	return errors.New(msg)
}

// Wait is called by go-plugin once it has read the process's stdout and
// stderr to their end.
func (p *process) Wait(ctx context.Context) error {
	p.drainOnce.Do(func() { close(p.drained) })
	select {
	case <-p.done:
		return p.waitErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Kill kills the process's group.
func (p *process) Kill(context.Context) error {
	p.stopping.Store(true)
	if p.pid != 0 && !p.exited() {
		killGroup(p.pid)
	}
	return nil
}

func (p *process) Stdout() io.ReadCloser { return p.stdout }

func (p *process) Stderr() io.ReadCloser { return p.stderr }

func (p *process) ID() string {
	if p.pid == 0 {
		return ""
	}
	return strconv.Itoa(p.pid)
}

func (p *process) Name() string { return p.name }

func (p *process) Diagnose(context.Context) string {
	return "a plugin's first line of standard output must be go-plugin's handshake, 1|1|unix|SOCKET|grpc|CERT (see docs/plugins.md)"
}

func (p *process) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (p *process) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}

// spawn starts commands from one goroutine locked to its OS thread for the
// life of the program. Pdeathsig fires when the thread that started the
// child exits, not the process; Go may end other threads at any time.
func spawn(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as we do
			for r := range spawnCh {
				r.done <- r.cmd.Start()
			}
		}()
	})
	r := spawnReq{cmd: cmd, done: make(chan error, 1)}
	spawnCh <- r
	return <-r.done
}

var (
	spawnOnce sync.Once
	spawnCh   = make(chan spawnReq)
)

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

// tail keeps the last lines a process wrote to its stderr.
type tail struct {
	mu    sync.Mutex
	lines []string
}

const tailLines = 20

func (t *tail) add(line string) {
	line = strings.TrimRight(line, "\r")
	if len(line) > 500 {
		line = line[:500] + "…"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > tailLines {
		t.lines = t.lines[len(t.lines)-tailLines:]
	}
}

// contains reports whether a kept line contains s.
func (t *tail) contains(s string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range t.lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// reason is the last line that starts a Go panic or fatal error, a Python
// traceback's last line, or else the last non-empty line.
func (t *tail) reason() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.lines) - 1; i >= 0; i-- {
		if l := t.lines[i]; strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			return l
		}
	}
	for i := len(t.lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(t.lines[i]); l != "" && !strings.HasPrefix(l, "goroutine ") {
			return l
		}
	}
	return ""
}

// procStat reads /proc/PID/stat (Linux): head is "PID (NAME)", state the
// process's state (R, S, Z for a zombie...), ppid its parent's pid.
func procStat(pid string) (head, state string, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return "", "", 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", "", 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return "", "", 0, false
	}
	ppid, err = strconv.Atoi(f[1])
	return s[:i+1], f[0], ppid, err == nil
}

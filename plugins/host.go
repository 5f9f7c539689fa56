// Package plugins runs a team's analyzers as separate plugin processes
// (hashicorp/go-plugin over gRPC) and presents them as ordinary
// *analysis.Analyzer values, which the engine cannot tell from built-ins.
//
// A Host starts each configured plugin, verifies its sha256 if one is
// pinned, negotiates the handshake and asks it to Describe its analyzers.
// Each analyzer's Run sends the file to the plugin and reports what comes
// back. The host supervises the processes: a plugin that crashes, exits or
// does not answer within its timeout loses its findings (Run returns an
// *Error naming it), is reported once through the failure handler, and is
// restarted on next use; after three failures within a minute it stays off
// until a new Host is made for a changed configuration. A plugin never sees
// gauntlet's standard input, lives in its own process group, and dies with
// gauntlet even when gauntlet is killed with SIGKILL (Linux).
//
// Only cmd/gauntlet makes a Host and hands its analyzers to the engine.
// Plugin authors use package sdk; the protocol is
// proto/gauntlet/plugin/v1/analyzer.proto.
package plugins

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// DefaultTimeout bounds a plugin's start-up and each call to it when its
// Spec names no timeout.
const DefaultTimeout = 10 * time.Second

// The restart policy: after a failure a plugin restarts on next use, waiting
// first restartDelay[n-1] after its n-th failure within crashWindow; at
// maxFailures it stays off.
var (
	crashWindow  = 60 * time.Second
	maxFailures  = 3
	restartDelay = []time.Duration{0, time.Second}
)

// Spec configures one plugin (the plugins: list of .gauntlet.yaml).
type Spec struct {
	Name    string            // [a-z0-9-]+, unique; the Source of its findings
	Path    string            // the executable, absolute
	Args    []string          // its arguments
	Env     map[string]string // added to gauntlet's own environment
	SHA256  string            // hex digest the executable must have; "" for no check
	Timeout time.Duration     // bounds start-up and each call; 0 means DefaultTimeout
}

// Error is a plugin's failure: it could not start, crashed, exited, did not
// answer in time, answered nonsense, or is off. Run returns one for every
// file the plugin could not analyse, and the failure handler receives one
// per failure.
type Error struct {
	Plugin string
	Err    error
}

func (e *Error) Error() string { return "plugin " + e.Plugin + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Option configures a Host.
type Option func(*Host)

// WithLog sends what plugins write to their stderr (and, for Go plugins, to
// os.Stdout and os.Stderr once serving) to w, a line at a time, each line
// prefixed with "NAME: ". By default it is discarded.
func WithLog(w io.Writer) Option {
	return func(h *Host) { h.log = &logSink{w: w} }
}

// OnFailure sets the function told of each plugin failure, once per failure
// and not once per file: an *Error naming the plugin and what went wrong,
// saying whether it will restart. It is called from any goroutine, never
// with a lock held. The CLI prints it; the LSP shows it.
func OnFailure(f func(error)) Option {
	return func(h *Host) { h.onFailure = f }
}

// Host runs a set of plugins. Its methods are safe for concurrent use.
type Host struct {
	plugins   []*plugin
	log       *logSink
	onFailure func(error)
	tmp       string // go-plugin's socket directories live here

	mu      sync.Mutex
	started bool
	closed  bool
	cleanup sync.WaitGroup // stopping processes
	exits   sync.WaitGroup // processes whose exit is not handled yet
	procs   []*process     // started processes, until their exit is handled
}

// track notes a process that started, forgetting those whose exit has been
// handled (for tests: SettleExits).
func (h *Host) track(p *process) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.procs = slices.DeleteFunc(h.procs, (*process).handledExit)
	h.procs = append(h.procs, p)
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// NewHost checks specs and returns a host for them; nothing starts until
// Start.
func NewHost(specs []Spec, opts ...Option) (*Host, error) {
	h := &Host{}
	for _, o := range opts {
		o(h)
	}
	var errs []error
	seen := map[string]bool{}
	for i, s := range specs {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("plugin %d (%s): %s", i+1, s.Name, fmt.Sprintf(format, args...)))
		}
		switch {
		case !nameRE.MatchString(s.Name):
			bad("name %q: want [a-z0-9-]+", s.Name)
		case seen[s.Name]:
			bad("the name is used twice")
		}
		seen[s.Name] = true
		if !filepath.IsAbs(s.Path) {
			bad("path %q is not absolute", s.Path)
		}
		s.SHA256 = strings.ToLower(s.SHA256)
		if s.SHA256 != "" && (len(s.SHA256) != 64 || strings.Trim(s.SHA256, "0123456789abcdef") != "") {
			bad("sha256 %q: want 64 hexadecimal digits", s.SHA256)
		}
		if s.Timeout < 0 {
			bad("negative timeout %v", s.Timeout)
		}
		if s.Timeout == 0 {
			s.Timeout = DefaultTimeout
		}
		h.plugins = append(h.plugins, &plugin{spec: s, host: h})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return h, nil
}

// Start starts every plugin at once and waits until each has described its
// analyzers or failed. A failure is reported to the failure handler and
// returned (joined, each an *Error); the plugin's analyzers are then
// represented by one stand-in analyzer, named after the plugin, that tries
// again on use and fails (so that `check` exits 2) while it cannot run.
// An analyzer name that two plugins share fails the later plugin.
func (h *Host) Start(ctx context.Context) error {
	h.mu.Lock()
	if h.started || h.closed {
		h.mu.Unlock()
		return errors.New("plugins: host already started")
	}
	h.started = true
	if len(h.plugins) > 0 {
		sweepTemp()
		tmp, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", tempPrefix, os.Getpid()))
		if err != nil {
			h.mu.Unlock()
			return err
		}
		h.tmp = tmp
	}
	h.mu.Unlock()

	errs := make([]error, len(h.plugins))
	var wg sync.WaitGroup
	for i, p := range h.plugins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = p.get(ctx)
		}()
	}
	wg.Wait()

	owner := map[string]string{}
	for i, p := range h.plugins {
		if errs[i] != nil {
			continue
		}
		for _, a := range p.described() {
			if other, ok := owner[a.Name]; ok {
				errs[i] = p.disable(fmt.Errorf("analyzer %s is also provided by plugin %s; rename one", a.Name, other))
				break
			}
		}
		if errs[i] == nil {
			for _, a := range p.described() {
				owner[a.Name] = p.spec.Name
			}
		}
	}
	return errors.Join(errs...)
}

// Analyzers returns the plugins' analyzers, in the order of the specs: for
// each plugin that described itself, its analyzers; for one that did not, a
// stand-in (see Start). Call it after Start.
func (h *Host) Analyzers() []*analysis.Analyzer {
	var out []*analysis.Analyzer
	for _, p := range h.plugins {
		out = append(out, p.analyzers()...)
	}
	return out
}

// State is where a plugin stands.
type State string

const (
	StateStopped State = "stopped" // not started yet, or stopped with the host
	StateRunning State = "running"
	StateFailed  State = "failed" // failed; restarts on next use
	StateOff     State = "off"    // failed too often, or misconfigured; stays off
)

// Status describes one plugin for `gauntlet plugins list`.
type Status struct {
	Name      string
	Path      string
	SHA256    string // the pinned digest, or ""
	Version   string // as the plugin describes itself; "" until it has
	Analyzers []*analysis.Analyzer
	State     State
	PID       int   // the running process, or 0
	Err       error // the last failure, if any
}

// Status returns every plugin's status, in the order of the specs.
func (h *Host) Status() []Status {
	var out []Status
	for _, p := range h.plugins {
		out = append(out, p.status())
	}
	return out
}

// Close stops every plugin (killing its process group) and waits for them
// to exit and for their exits to be handled: no failure is reported once it
// returns. Analyzers' Run fails after Close. It is safe to call twice.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	h.mu.Unlock()
	for _, p := range h.plugins {
		p.stop()
	}
	h.cleanup.Wait()
	h.exits.Wait()
	if h.tmp != "" {
		return os.RemoveAll(h.tmp)
	}
	return nil
}

const tempPrefix = "gauntlet-plugins-"

// sweepTemp removes the socket directories of hosts whose process is gone
// (a gauntlet killed by SIGKILL cannot clean up after itself).
func sweepTemp() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*-*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(filepath.Base(d), tempPrefix), "-", 2)[0])
		if err == nil && pid > 0 && pid != os.Getpid() && syscall.Kill(pid, 0) == syscall.ESRCH {
			_ = os.RemoveAll(d)
		}
	}
}

func (h *Host) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// report hands failures to the failure handler, unless the host is closing.
func (h *Host) report(errs []error) {
	if h.onFailure == nil || len(errs) == 0 || h.isClosed() {
		return
	}
	for _, err := range errs {
		h.onFailure(err)
	}
}

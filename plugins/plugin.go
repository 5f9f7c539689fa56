package plugins

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/plugins/internal/wire"
)

// plugin supervises one configured plugin: at most one running instance,
// the failures of the last crashWindow, and the analyzers it described the
// first time it started.
type plugin struct {
	spec Spec
	host *Host

	mu       sync.Mutex
	inst     *instance // the running process, or nil
	desc     *wire.Description
	as       []*analysis.Analyzer // built from desc, once
	standIn  *analysis.Analyzer   // while desc is nil
	failures []time.Time          // within crashWindow
	retryAt  time.Time
	lastErr  error
	off      error // non-nil: stays off, for this reason
	reported bool  // the current failure has been reported
}

// instance is one running process of a plugin and its connection.
type instance struct {
	client *goplugin.Client
	svc    *wire.Client
	proc   *process
}

// get returns the running instance, starting one if there is none and the
// restart policy allows it.
func (p *plugin) get(ctx context.Context) (*instance, error) {
	p.mu.Lock()
	if p.host.isClosed() {
		p.mu.Unlock()
		return nil, &Error{p.spec.Name, errors.New("stopped")}
	}
	var reports []error
	if p.inst != nil {
		if !p.inst.proc.exited() {
			inst := p.inst
			p.mu.Unlock()
			return inst, nil
		}
		// It died while idle and its exit has not been handled yet.
		p.inst.proc.settled(time.Second)
		reports = p.failLocked(p.inst, p.inst.proc.exitError())
	}
	if p.off != nil {
		err := &Error{p.spec.Name, p.off}
		p.mu.Unlock()
		p.host.report(reports)
		return nil, err
	}
	if wait := time.Until(p.retryAt); wait > 0 {
		err := &Error{p.spec.Name, fmt.Errorf("restarts in %v; last failure: %w", wait.Round(100*time.Millisecond), p.lastErr)}
		p.mu.Unlock()
		p.host.report(reports)
		return nil, err
	}
	inst, err := p.startLocked(ctx)
	if err != nil && ctx.Err() != nil {
		// The caller gave up during the start: not the plugin's failure.
		p.mu.Unlock()
		p.host.report(reports)
		return nil, ctx.Err()
	}
	if err != nil {
		reports = append(reports, p.failLocked(nil, err)...)
		p.mu.Unlock()
		p.host.report(reports)
		return nil, &Error{p.spec.Name, err}
	}
	p.inst = inst
	p.mu.Unlock()
	p.host.report(reports)
	return inst, nil
}

// startLocked starts a process, verifies its digest, negotiates the
// handshake and asks it to describe itself.
func (p *plugin) startLocked(ctx context.Context) (*instance, error) {
	s := p.spec
	if s.SHA256 != "" {
		if err := checkDigest(s.Path, s.SHA256); err != nil {
			return nil, err
		}
	}
	proc := &process{name: s.Name, path: s.Path, args: s.Args, tail: &tail{}}
	proc.onExit = p.exited
	proc.exits, proc.onStart = &p.host.exits, p.host.track
	out := &lineWriter{sink: p.host.log, prefix: s.Name + ": ", tail: proc.tail}
	errOut := &lineWriter{sink: p.host.log, prefix: s.Name + ": ", tail: proc.tail}
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.Plugins(nil),
		RunnerFunc: func(_ hclog.Logger, cmd *exec.Cmd, _ string) (runner.Runner, error) {
			// cmd carries go-plugin's variables (magic cookie, protocol
			// versions, mTLS certificate, socket directory); ours go first
			// so that a spec cannot override them.
			proc.env = append(append(os.Environ(), envList(s.Env)...), cmd.Env...)
			return proc, nil
		},
		SkipHostEnv:      true,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     max(s.Timeout, minStartTimeout),
		Stderr:           errOut,
		SyncStdout:       out,
		SyncStderr:       errOut,
		Logger:           hclog.NewNullLogger(),
		UnixSocketConfig: &goplugin.UnixSocketConfig{TempDir: p.host.tmp},
		GRPCDialOptions:  wire.DialOptions,
	})
	inst := &instance{client: client, proc: proc}
	fail := func(err error) (*instance, error) {
		p.stopInstance(inst)
		return nil, err
	}
	rpc, err := client.Client()
	if err != nil {
		// Let the process finish so that its stderr and exit status
		// explain the failure.
		proc.settled(500 * time.Millisecond)
		return fail(startError(err, proc))
	}
	raw, err := rpc.Dispense(wire.PluginName)
	if err != nil {
		return fail(fmt.Errorf("start: %v", err))
	}
	inst.svc = raw.(*wire.Client)
	cctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	desc, err := inst.svc.Describe(cctx)
	if err != nil {
		if cctx.Err() != nil && ctx.Err() == nil {
			err = fmt.Errorf("did not answer within %v", s.Timeout)
		}
		return fail(fmt.Errorf("describe: %w", err))
	}
	if err := desc.Check(); err != nil {
		return fail(fmt.Errorf("describe: %w", err))
	}
	if p.desc == nil {
		p.desc = desc
		for _, info := range desc.Analyzers {
			p.as = append(p.as, wire.NewAnalyzer(s.Name, info, func(pass *analysis.Pass) error {
				return p.run(pass, info)
			}))
		}
	}
	return inst, nil
}

// startError turns go-plugin's start-up errors into one line that says what
// the plugin did.
func startError(err error, proc *process) error {
	if !proc.exited() || proc.signaled() {
		// go-plugin gave up on it (and killed it): its reason is the one.
		return fmt.Errorf("start: %s", strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " "))
	}
	why := proc.tail.reason()
	if proc.tail.contains("This binary is a plugin") {
		why = fmt.Sprintf("its magic cookie is not gauntlet's %s=%s: is it a plugin for another program?", wire.MagicCookieKey, wire.MagicCookieValue)
	}
	msg := fmt.Sprintf("start: exited (%s) before its handshake", proc.status())
	if why != "" {
		msg += ": " + why
	}
	return errors.New(msg)
}

// checkDigest refuses an executable whose sha256 is not want. It uses
// go-plugin's SecureConfig check (which ClientConfig cannot do for us: we
// start the process ourselves, see process).
func checkDigest(path, want string) error {
	sum, err := hex.DecodeString(want)
	if err != nil {
		return fmt.Errorf("sha256: %v", err)
	}
	ok, err := (&goplugin.SecureConfig{Checksum: sum, Hash: sha256.New()}).Check(path)
	if err != nil {
		return fmt.Errorf("sha256: %v", err)
	}
	if !ok {
		got, _ := Digest(path)
		return fmt.Errorf("sha256 of %s is %s, not the %s its configuration pins; refusing to run it", path, got, want)
	}
	return nil
}

// Digest is the hex sha256 of the file at path, as a Spec pins it.
func Digest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// run is the Run of one of the plugin's analyzers.
func (p *plugin) run(pass *analysis.Pass, info wire.AnalyzerInfo) error {
	inst, err := p.get(pass.Context)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(pass.Context, p.spec.Timeout)
	defer cancel()
	res, err := inst.svc.Analyze(ctx, &wire.Request{Files: []*analysis.File{pass.File}, Analyzers: []string{info.Name}})
	if err != nil {
		return p.callFailed(pass.Context, ctx, inst, err)
	}
	p.answered(inst)
	// The analyzer's own failures on the plugin's side (it panicked,
	// returned an error) are that analyzer's, as for a built-in.
	return wire.Report(pass, info, res)
}

// runAll is the stand-in's Run: if the plugin starts after all, every one of
// its analyzers runs, in one call.
func (p *plugin) runAll(pass *analysis.Pass) error {
	inst, err := p.get(pass.Context)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(pass.Context, p.spec.Timeout)
	defer cancel()
	res, err := inst.svc.Analyze(ctx, &wire.Request{Files: []*analysis.File{pass.File}})
	if err != nil {
		return p.callFailed(pass.Context, ctx, inst, err)
	}
	p.answered(inst)
	var errs []error
	for _, f := range res.Findings {
		d := f.Diagnostic
		d.Source = ""
		wire.EscapeDiagnostic(&d)
		if d.Path == "" || d.Path == pass.File.Path {
			pass.Report(d)
		}
	}
	for _, e := range res.Errors {
		if e.Err != nil {
			e.Err = errors.New(wire.EscapeControl(e.Err.Error()))
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// callFailed decides whose fault a failed call was. The caller giving up is
// nobody's; a plugin that answered with an error keeps running; a plugin
// that did not answer in time, or whose connection broke, is killed and
// counts a failure.
func (p *plugin) callFailed(caller, ctx context.Context, inst *instance, err error) error {
	if caller.Err() != nil {
		return caller.Err()
	}
	var cause error
	switch code := status.Code(err); {
	case ctx.Err() != nil || code == codes.DeadlineExceeded:
		cause = fmt.Errorf("did not answer within %v; killed", p.spec.Timeout)
	case code == codes.Unavailable || inst.proc.exited():
		// Its exit status and last words say more than the broken pipe.
		if inst.proc.settled(time.Second) {
			cause = inst.proc.exitError()
		} else {
			cause = fmt.Errorf("connection lost: %v", err)
		}
	default:
		return &Error{p.spec.Name, err}
	}
	reports := func() []error {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.failLocked(inst, cause)
	}()
	p.host.report(reports)
	return &Error{p.spec.Name, cause}
}

// exited is the process's onExit: a plugin that dies on its own, even while
// idle, is reported at once.
func (p *plugin) exited(proc *process) {
	if proc.stopping.Load() {
		return
	}
	reports := func() []error {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.inst == nil || p.inst.proc != proc {
			return nil
		}
		return p.failLocked(p.inst, proc.exitError())
	}()
	p.host.report(reports)
}

// answered notes a successful call: the next failure is news again.
func (p *plugin) answered(inst *instance) {
	p.mu.Lock()
	if p.inst == inst {
		p.reported = false
	}
	p.mu.Unlock()
}

// failLocked records a failure of inst (nil: of a start) and returns what
// to report: the first failure after a success, and going off.
func (p *plugin) failLocked(inst *instance, cause error) []error {
	if inst != nil {
		if inst != p.inst {
			return nil // already handled
		}
		p.inst = nil
		p.stopInstance(inst)
	}
	now := time.Now()
	kept := p.failures[:0]
	for _, t := range p.failures {
		if now.Sub(t) < crashWindow {
			kept = append(kept, t)
		}
	}
	p.failures = append(kept, now)
	p.lastErr = cause
	n := len(p.failures)
	var out []error
	if n >= maxFailures {
		p.off = fmt.Errorf("off after %d failures within %v, until its configuration changes; last: %w", n, crashWindow, cause)
		out = append(out, &Error{p.spec.Name, p.off})
	} else {
		p.retryAt = now.Add(restartDelay[min(n, len(restartDelay))-1])
		if !p.reported {
			out = append(out, &Error{p.spec.Name, fmt.Errorf("%w; it restarts on next use", cause)})
		}
	}
	p.reported = true
	return out
}

// disable turns the plugin off for a reason of configuration.
func (p *plugin) disable(cause error) error {
	p.mu.Lock()
	if p.inst != nil {
		p.stopInstance(p.inst)
		p.inst = nil
	}
	p.off = cause
	p.desc, p.as = nil, nil
	p.reported = true
	p.mu.Unlock()
	err := &Error{p.spec.Name, cause}
	p.host.report([]error{err})
	return err
}

// stopInstance kills inst's process group now and lets go-plugin clean up
// (connections, goroutines, socket directory) in the background; Close
// waits for that.
func (p *plugin) stopInstance(inst *instance) {
	if inst.proc != nil {
		_ = inst.proc.Kill(context.Background())
	}
	p.host.cleanup.Add(1)
	go func() {
		defer p.host.cleanup.Done()
		inst.client.Kill()
	}()
}

// stop stops the running instance, if any (the host is closing).
func (p *plugin) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inst != nil {
		p.stopInstance(p.inst)
		p.inst = nil
	}
}

// described returns the analyzers of the plugin's description, if any.
func (p *plugin) described() []*analysis.Analyzer {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.as
}

// analyzers returns the described analyzers, or the stand-in.
func (p *plugin) analyzers() []*analysis.Analyzer {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.as != nil {
		return p.as
	}
	if p.standIn == nil {
		p.standIn = &analysis.Analyzer{
			Name:   p.spec.Name,
			Doc:    fmt.Sprintf("the analyzers of plugin %s, which has not started", p.spec.Name),
			Source: p.spec.Name,
			Run:    p.runAll,
			NoTree: true,
		}
	}
	return []*analysis.Analyzer{p.standIn}
}

func (p *plugin) status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := Status{Name: p.spec.Name, Path: p.spec.Path, SHA256: p.spec.SHA256, Analyzers: p.as, Err: p.lastErr, State: StateStopped}
	if p.desc != nil {
		st.Version = p.desc.Version
	}
	switch {
	case p.off != nil:
		st.State, st.Err = StateOff, p.off
	case p.inst != nil && !p.inst.proc.exited():
		st.State, st.PID = StateRunning, p.inst.proc.pid
	case p.lastErr != nil:
		st.State = StateFailed
	}
	return st
}

// envList turns a spec's environment into NAME=value strings, sorted.
func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// minStartTimeout bounds a plugin's start-up from below: it includes
// starting gauntlet's keeper process (process_linux.go), however short
// the calls' timeout is.
const minStartTimeout = 5 * time.Second

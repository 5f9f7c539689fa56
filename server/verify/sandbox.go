package verify

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultMaxProcs bounds the processes and threads of one sandbox.
const DefaultMaxProcs = 2048

// sandbox runs the processes that execute or compile unverified code.
// With bubblewrap, each runs in new user, pid, network, IPC and UTS
// namespaces: the whole file system read-only, a private /tmp, and writable
// only the shadow copy, the host's temporary directory (where the test
// runners keep their files) and the Go build cache; the workspace itself
// stays read-only even when it lies under a writable directory. A process
// limit (RLIMIT_NPROC, inside the user namespace) stops fork bombs, and
// --die-with-parent with the pid namespace means that killing the outer
// process kills everything inside. Without bubblewrap, processes run in
// their own process group, killed as a group when they end or time out.
type sandbox struct {
	bwrap    string // "" runs without a sandbox
	prlimit  string // "" when prlimit is missing (no process limit)
	root     string // the workspace, bound read-only
	writable []string
	maxProcs int
	env      []string // NAME=value set inside
}

var (
	bwrapOnce sync.Once
	bwrapPath string
	bwrapErr  error
)

// findBwrap locates bubblewrap and checks, once, that it can make the
// namespaces it needs here.
func findBwrap() (string, error) {
	bwrapOnce.Do(func() {
		p, err := exec.LookPath("bwrap")
		if err != nil {
			bwrapErr = fmt.Errorf("bubblewrap (bwrap) is not installed")
			return
		}
		out, err := exec.Command(p, "--unshare-user", "--unshare-pid", "--unshare-net", "--die-with-parent",
			"--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--", "true").CombinedOutput()
		if err != nil {
			bwrapErr = fmt.Errorf("bubblewrap does not work here: %v: %s", err, strings.TrimSpace(string(out)))
			return
		}
		bwrapPath = p
	})
	return bwrapPath, bwrapErr
}

var (
	goEnvOnce sync.Once
	goCache   string
)

// goBuildCache is the Go build cache, which sandboxed builds may write.
func goBuildCache() string {
	goEnvOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOCACHE").Output()
		if err == nil {
			goCache = strings.TrimSpace(string(out))
		}
	})
	return goCache
}

func newSandbox(opts Options, root, tmp string) (*sandbox, error) {
	s := &sandbox{root: root, maxProcs: opts.MaxProcs}
	if s.maxProcs <= 0 {
		s.maxProcs = DefaultMaxProcs
	}
	switch opts.Sandbox {
	case SandboxNone:
		return s, nil
	case SandboxAuto, SandboxBwrap:
		p, err := findBwrap()
		if err != nil {
			if opts.Sandbox == SandboxBwrap {
				return nil, fmt.Errorf("verify: sandbox: %w", err)
			}
			return s, nil
		}
		s.bwrap = p
	default:
		return nil, fmt.Errorf("verify: unknown sandbox %q (want %q, %q or %q)", opts.Sandbox, SandboxAuto, SandboxBwrap, SandboxNone)
	}
	s.prlimit, _ = exec.LookPath("prlimit")
	s.writable = []string{tmp, os.TempDir()}
	if c := goBuildCache(); c != "" && c != "off" {
		if os.MkdirAll(c, 0o755) == nil {
			s.writable = append(s.writable, c)
			s.env = append(s.env, "GOCACHE="+c)
		}
	}
	// The module cache stays read-only and nothing is downloaded: a module
	// the edit needs that is not in the cache fails the build.
	s.env = append(s.env, "GOPROXY=off", "GOSUMDB=off", "GOTOOLCHAIN=local", "GOFLAGS="+withoutFlag(os.Getenv("GOFLAGS"), "-modcacherw"))
	return s, nil
}

func withoutFlag(flags, drop string) string {
	var out []string
	for _, f := range strings.Fields(flags) {
		if f != drop && !strings.HasPrefix(f, drop+"=") {
			out = append(out, f)
		}
	}
	return strings.Join(out, " ")
}

// mode is what the verdict reports: "bwrap" or "none".
func (s *sandbox) mode() string {
	if s.bwrap != "" {
		return SandboxBwrap
	}
	return SandboxNone
}

// wrap returns argv to run inside the sandbox (argv itself without one).
func (s *sandbox) wrap(argv []string) []string {
	if s.bwrap == "" {
		return argv
	}
	out := []string{s.bwrap,
		"--die-with-parent", "--new-session",
		"--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
	}
	if os.Geteuid() == 0 {
		// Root ignores RLIMIT_NPROC; an unprivileged id inside the user
		// namespace (mapped to root outside, so files stay writable) does not.
		out = append(out, "--uid", "65534", "--gid", "65534")
	}
	out = append(out, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp")
	type bind struct {
		path string
		rw   bool
	}
	var binds []bind
	seen := map[string]bool{}
	for _, w := range s.writable {
		if w != "" && !seen[w] {
			if _, err := os.Stat(w); err == nil {
				seen[w] = true
				binds = append(binds, bind{w, true})
			}
		}
	}
	binds = append(binds, bind{s.root, false})
	// Parents before children, so that the workspace is read-only even
	// under a writable temporary directory, and the shadow is writable.
	sort.SliceStable(binds, func(i, j int) bool { return depth(binds[i].path) < depth(binds[j].path) })
	for _, b := range binds {
		if b.rw {
			out = append(out, "--bind", b.path, b.path)
		} else {
			out = append(out, "--ro-bind", b.path, b.path)
		}
	}
	for _, e := range s.env {
		k, v, _ := strings.Cut(e, "=")
		out = append(out, "--setenv", k, v)
	}
	out = append(out, "--")
	if s.prlimit != "" {
		n := fmt.Sprint(s.maxProcs)
		out = append(out, s.prlimit, "--nproc="+n+":"+n, "--")
	}
	return append(out, argv...)
}

func depth(p string) int { return strings.Count(filepath.Clean(p), string(filepath.Separator)) }

// execScript writes a script that runs its arguments in the sandbox, for
// go test -exec (which runs each test binary through it) and as the
// prefix of other runners' commands. Without a sandbox it returns "".
func (s *sandbox) execScript(dir, shadowDir string) (string, error) {
	if s.bwrap == "" {
		return "", nil
	}
	var b strings.Builder
	b.WriteString("#!/bin/sh\nexec")
	for _, a := range s.with(shadowDir).wrap(nil) {
		b.WriteString(" " + shellQuote(a))
	}
	b.WriteString(" \"$@\"\n")
	f, err := os.CreateTemp(dir, "sandbox-exec-")
	if err != nil {
		return "", err
	}
	p := f.Name()
	f.Close()
	if err := os.WriteFile(p, []byte(b.String()), 0o700); err != nil {
		return "", err
	}
	if err := os.Chmod(p, 0o700); err != nil {
		return "", err
	}
	return p, nil
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=/.,:+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// with returns a copy of s in which dir is writable too.
func (s *sandbox) with(dir string) *sandbox {
	c := *s
	c.writable = append(slices.Clone(s.writable), dir)
	return &c
}

// run runs argv in dir, sandboxed, in its own process group, and returns
// its combined output. When it ends, or ctx does, whatever is left of the
// group is killed.
func (s *sandbox) run(ctx context.Context, dir string, env []string, argv ...string) ([]byte, error) {
	full := s.wrap(argv)
	c := exec.CommandContext(ctx, full[0], full[1:]...)
	c.Dir = dir
	c.Env = append(os.Environ(), env...)
	if s.bwrap == "" {
		c.Env = append(c.Env, s.env...)
	}
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { killGroup(c.Process); return nil }
	c.WaitDelay = 2 * time.Second
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		return nil, err
	}
	err := c.Wait()
	killGroup(c.Process)
	return out.Bytes(), err
}

func killGroup(p *os.Process) {
	if p != nil {
		syscall.Kill(-p.Pid, syscall.SIGKILL)
	}
}

// wrapCommand prefixes a runner's command line with the sandbox script.
func wrapCommand(script string, cmd []string) []string {
	if script == "" {
		return cmd
	}
	return append([]string{script}, slices.Clone(cmd)...)
}

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

	"github.com/gauntlet-dev/gauntlet/analysis/confine"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	"github.com/gauntlet-dev/gauntlet/analysis/goenv"
	"github.com/gauntlet-dev/gauntlet/analysis/redact"
)

// DefaultMaxProcs bounds the processes and threads of one sandbox.
const DefaultMaxProcs = 2048

// sandbox runs the processes that execute or compile unverified code.
// With bubblewrap, each runs — the whole of it: go test with the compiler
// and every test binary, pytest, node, go list for the build gate — in
// new user, pid, network, IPC and UTS namespaces where the file system is
// read-only but for the shadow copy, the run's scratch directories and a
// private /tmp, HOME is an empty private directory, and the user's home,
// /root, /home and /run are hidden. The Go build cache is gauntlet's own
// (never the user's, which nothing outside a sandbox ever trusts), and
// later verifications trust what it holds: only the go command may write
// it, never code of the workspace. It is writable for go list (the
// compiler runs, no code of the workspace does) and for go test, whose
// test binaries then run confined by Landlock (confine: they write
// nowhere but where tests may, and cannot reach the go command); for
// everything else, and for go test where Landlock is missing, it is
// read-only. No launcher script exists: the sandbox is the outermost
// process, with the command line passed as arguments (the test binaries'
// launcher is this binary, bound read-only). A process limit (RLIMIT_NPROC, inside
// the user namespace) stops fork bombs, and --die-with-parent with the pid
// namespace means that killing the outer process kills everything
// inside. Without bubblewrap, processes run in their own process group,
// killed as a group (and by their run's token) when they end or time out.
type sandbox struct {
	bwrap    string // "" runs without a sandbox
	prlimit  string // "" when prlimit is missing (no process limit)
	root     string // the workspace, bound read-only
	writable []string
	readable []string // bound read-only over the hidden directories (toolchains, module cache)
	hidden   []string // replaced by empty directories
	maxProcs int
	env      []string // NAME=value set inside
	envNames []string // tests.env: more variables that pass
	view     *shadow  // the edited view bound over the workspace (view.go), if any
	// telemetryOff is a file reading "off", bound read-only over the go
	// telemetry mode file of the sandbox's HOME.
	telemetryOff string
	cache        string // the Go build cache (SandboxGoCache)
	cacheAt      string // where the sandbox shows it
	// confineExe is this binary, which confines go test's test binaries
	// (confine.ExecName); "" when they cannot be confined here.
	confineExe string
}

// cacheAccess says whether a sandboxed command may write the Go build
// cache.
type cacheAccess int

const (
	cacheReadOnly cacheAccess = iota // code of the workspace may run
	cacheCompile                     // only the go command and its compiler run
	// cacheTests: a test runner's command; a go test writes the cache when
	// its test binaries can run confined, else it is read-only.
	cacheTests
)

// Inside the sandbox, under /var/tmp (hidden: an empty tmpfs that no
// writable directory of a test lies under), the build cache, the confining
// launcher and the go command's work directory, which holds the packages
// it compiled before they enter the build cache: out of the test
// binaries' reach.
const (
	sandboxConfineDir = "/var/tmp"
	sandboxGoCache    = sandboxConfineDir + "/gauntlet-gocache"
	sandboxLauncher   = sandboxConfineDir + "/" + confine.ExecName
	sandboxGoWork     = sandboxConfineDir + "/gauntlet-go-work"
)

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

// goEnvVar is a variable of the go command's environment (GOROOT,
// GOMODCACHE, GOPATH), read once outside the sandbox; "" if go cannot run.
func goEnvVar(name string) string {
	v, _ := goenv.Var(name)
	return v
}

// SandboxGoCache is the Go build cache of sandboxed builds: gauntlet's own
// ($GAUNTLET_SANDBOX_GOCACHE, else gauntlet/sandbox-gocache in the user's
// cache directory, shared by every workspace and $GAUNTLET_CACHE so that
// it stays warm). Code in a sandbox can write it; it serves only later
// sandboxed builds, never the user's go commands.
func SandboxGoCache() string {
	if d := os.Getenv("GAUNTLET_SANDBOX_GOCACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "gauntlet", "sandbox-gocache")
	}
	return filepath.Join(coverage.DefaultCacheDir(), "sandbox-gocache")
}

// sandboxHome is HOME inside the sandbox: empty, in the private /tmp.
const sandboxHome = "/tmp/home"

func newSandbox(opts Options, root, tmp string) (*sandbox, error) {
	s := &sandbox{root: root, maxProcs: opts.MaxProcs, envNames: opts.Tests.Env}
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
	s.writable = []string{tmp}
	// In an empty HOME the go command's telemetry is on ("local"): every go
	// command started a sidecar process and each tool wrote counter files,
	// about 7% of a one-package go test here, for data thrown away with the
	// sandbox's /tmp.
	off := filepath.Join(tmp, "go-telemetry-mode")
	if err := os.WriteFile(off, []byte("off\n"), 0o444); err == nil {
		s.telemetryOff = off
	}
	cache := SandboxGoCache()
	if err := os.MkdirAll(cache, 0o700); err != nil {
		return nil, fmt.Errorf("verify: sandbox build cache: %w", err)
	}
	s.cache, s.cacheAt = filepath.Clean(cache), filepath.Clean(cache)
	s.hidden = hiddenDirs()
	if slices.Contains(s.hidden, sandboxConfineDir) {
		// Shown at a path of its own, out of every directory a test may
		// write, wherever it is on the host.
		s.cacheAt = sandboxGoCache
		if exe, err := os.Executable(); err == nil && confine.Available() {
			if exe, err = filepath.EvalSymlinks(exe); err == nil {
				s.confineExe = exe
			}
		}
	}
	modcache := goEnvVar("GOMODCACHE")
	for _, d := range []string{goEnvVar("GOROOT"), modcache} {
		if d != "" {
			s.readable = append(s.readable, d)
		}
	}
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if filepath.IsAbs(d) {
			s.readable = append(s.readable, d)
		}
	}
	// The module cache stays read-only and nothing is downloaded: a module
	// the edit needs that is not in the cache fails the build.
	s.env = []string{"GOCACHE=" + s.cacheAt, "GOPROXY=off", "GOSUMDB=off", "GOTOOLCHAIN=local",
		"GOFLAGS=" + withoutFlag(os.Getenv("GOFLAGS"), "-modcacherw"),
		"HOME=" + sandboxHome, "TMPDIR=/tmp", "XDG_CACHE_HOME=" + sandboxHome + "/.cache", "XDG_CONFIG_HOME=" + sandboxHome + "/.config",
		"GOENV=off", "GOTMPDIR="}
	if modcache != "" {
		s.env = append(s.env, "GOMODCACHE="+modcache)
	}
	if p := goEnvVar("GOPATH"); p != "" {
		s.env = append(s.env, "GOPATH="+p)
	}
	return s, nil
}

// hiddenDirs are the directories that hold the user's files — their home
// (keys, tokens, shell history), /root, /home — and the sockets of /run:
// each is replaced by an empty directory inside.
func hiddenDirs() []string {
	var out []string
	seen := map[string]bool{}
	add := func(d string) {
		if d == "" || !filepath.IsAbs(d) {
			return
		}
		if r, err := filepath.EvalSymlinks(d); err == nil {
			d = r
		}
		d = filepath.Clean(d)
		if d == "/" || seen[d] {
			return
		}
		if info, err := os.Stat(d); err != nil || !info.IsDir() {
			return
		}
		seen[d] = true
		out = append(out, d)
	}
	home, _ := os.UserHomeDir()
	add(home)
	for _, d := range []string{"/root", "/home", "/run", "/var/run", "/var/tmp", "/mnt", "/media"} {
		add(d)
	}
	return out
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

// wrap returns argv to run inside the sandbox, with the directories
// writable writable too and the Go build cache as cache says (argv itself
// without a sandbox). A go test that may write the cache runs its test
// binaries confined (confinedWritable).
func (s *sandbox) wrap(argv []string, cache cacheAccess, writable ...string) []string {
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
	for _, h := range s.hidden {
		out = append(out, "--tmpfs", h)
	}
	cacheRW := cache == cacheCompile
	var confined []string // what go test's test binaries may write
	if cache == cacheTests && isGoTest(argv) {
		// Without confinement the cache stays read-only: go test then
		// compiles what it lacks in its work directory, and keeps nothing.
		if confined = s.confinedWritable(writable); confined != nil {
			cacheRW = true
			out = append(out, "--ro-bind", s.confineExe, sandboxLauncher, "--dir", sandboxGoWork)
		}
	}
	if s.cacheAt != s.cache {
		out = append(out, bindFlag(cacheRW), s.cache, s.cacheAt)
	}
	out = append(out, "--dir", sandboxHome)
	if s.telemetryOff != "" {
		out = append(out, "--ro-bind", s.telemetryOff, sandboxHome+"/.config/go/telemetry/mode")
	}
	type bind struct {
		path string
		rw   bool
	}
	var binds []bind
	seen := map[string]bool{}
	add := func(p string, rw bool) {
		if p == "" || !filepath.IsAbs(p) {
			return
		}
		p = filepath.Clean(p)
		if seen[p] {
			return
		}
		if _, err := os.Stat(p); err != nil {
			return
		}
		seen[p] = true
		binds = append(binds, bind{p, rw})
	}
	for _, w := range append(slices.Clone(s.writable), writable...) {
		add(w, true)
	}
	if s.cacheAt == s.cache {
		add(s.cache, cacheRW)
	}
	add(s.root, false)
	for _, r := range s.readable {
		if s.underHidden(r) {
			add(r, false)
		}
	}
	if len(argv) > 0 {
		// A runner that lives in a hidden directory (pyenv, nvm) is seen
		// with its installation: the directory above its bin.
		if p, err := exec.LookPath(argv[0]); err == nil && filepath.IsAbs(p) {
			for _, q := range []string{p, resolve(p)} {
				if s.underHidden(q) {
					add(filepath.Dir(filepath.Dir(q)), false)
				}
			}
		}
	}
	// Parents before children: the workspace is read-only even under a
	// writable directory, the shadow writable under the read-only
	// workspace's cache, and everything bound over the hidden directories.
	sort.SliceStable(binds, func(i, j int) bool { return depth(binds[i].path) < depth(binds[j].path) })
	for _, b := range binds {
		out = append(out, bindFlag(b.rw), b.path, b.path)
	}
	if s.view != nil {
		out = append(out, s.view.bwrapArgs()...)
	}
	env := s.env
	if confined != nil {
		env = append(slices.Clone(env), "GOTMPDIR="+sandboxGoWork)
		// The test binaries' own go commands (a test of a code generator)
		// work in /tmp, as before: GOTMPDIR is the go test's alone.
		launch := append([]string{sandboxLauncher}, confine.Args(confined, []string{"GOTMPDIR"})...)
		argv = append([]string{argv[0], argv[1], "-exec=" + shellJoin(launch)}, argv[2:]...)
	}
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		if v == "" {
			out = append(out, "--unsetenv", k)
			continue
		}
		out = append(out, "--setenv", k, v)
	}
	out = append(out, "--")
	if s.prlimit != "" {
		n := fmt.Sprint(s.maxProcs)
		out = append(out, s.prlimit, "--nproc="+n+":"+n, "--core=0", "--")
	}
	return append(out, argv...)
}

// goTestKeepsCompile reports whether a go test run through the launcher
// keeps what it compiles in the build cache: without a sandbox (the go
// command's own cache), or with its test binaries confined.
func (s *sandbox) goTestKeepsCompile() bool {
	return s.bwrap == "" || s.confineExe != "" && s.cacheAt != s.cache
}

// bindFlag is bubblewrap's flag for a writable or read-only bind.
func bindFlag(rw bool) string {
	if rw {
		return "--bind"
	}
	return "--ro-bind"
}

// isGoTest reports whether argv is a go test that runs test binaries, with
// no -exec of its own (the one the sandbox adds would replace it).
func isGoTest(argv []string) bool {
	if len(argv) < 2 || filepath.Base(argv[0]) != "go" || argv[1] != "test" {
		return false
	}
	for _, a := range argv[2:] {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "exec" || name == "c") {
			return false
		}
	}
	return true
}

// confinedWritable lists where go test's test binaries may write, confined:
// the private /tmp, /dev and every writable directory of the sandbox but
// the build cache (writable) — or nil when they cannot be confined here:
// no Landlock, or a writable directory that would hold the go command's
// work directory, or a path the -exec flag cannot carry.
func (s *sandbox) confinedWritable(writable []string) []string {
	if s.confineExe == "" || s.cacheAt == s.cache {
		return nil
	}
	// The private /tmp and /dev hold nothing of the host's; the other
	// directories are the host's, bound at their own paths.
	var host []string
	host = append(host, s.writable...)
	host = append(host, writable...)
	if s.view != nil {
		host = append(host, s.view.writableMounts()...)
	}
	out := []string{"/tmp", "/dev"}
	for _, w := range host {
		if w == "" {
			continue
		}
		w = filepath.Clean(w)
		if within(w, sandboxConfineDir) || within(w, s.cache) || strings.ContainsAny(w, "'\"\\\n") {
			return nil // the cache or the go command's work directory would be in reach
		}
		out = append(out, w)
	}
	return out
}

// shellJoin joins words for the go command's -exec flag, which splits its
// value at spaces and honours single quotes (confinedWritable refuses
// paths with quotes).
func shellJoin(words []string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		if strings.ContainsAny(w, " \t") {
			w = "'" + w + "'"
		}
		b.WriteString(w)
	}
	return b.String()
}

func resolve(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// underHidden reports whether p lies in a hidden directory.
func (s *sandbox) underHidden(p string) bool {
	for _, h := range s.hidden {
		if p == h || strings.HasPrefix(p, h+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

func depth(p string) int { return strings.Count(filepath.Clean(p), string(filepath.Separator)) }

// launcher runs the test runners' processes in the sandbox, with the
// shadow copy writable (testrun.Launcher).
type launcher struct {
	s      *sandbox
	shadow string
}

func (l launcher) Wrap(argv []string, writable ...string) ([]string, []string) {
	return l.s.wrap(argv, cacheTests, append([]string{l.shadow}, writable...)...), nil
}

// run runs argv in dir, sandboxed, in its own process group, and returns
// its combined output. When it ends, or ctx does, whatever is left of the
// group is killed.
func (s *sandbox) run(ctx context.Context, dir string, env []string, argv ...string) ([]byte, error) {
	return s.runWith(ctx, cacheReadOnly, dir, env, argv...)
}

// compile is run for a go command that compiles and runs nothing of the
// workspace (go list -export): its compile goes into the build cache.
func (s *sandbox) compile(ctx context.Context, dir string, env []string, argv ...string) ([]byte, error) {
	return s.runWith(ctx, cacheCompile, dir, env, argv...)
}

func (s *sandbox) runWith(ctx context.Context, cache cacheAccess, dir string, env []string, argv ...string) ([]byte, error) {
	defer trace(time.Now(), "command: %s", traceArgv(argv))
	full := s.wrap(argv, cache)
	c := exec.CommandContext(ctx, full[0], full[1:]...)
	c.Dir = dir
	c.Env = append(redact.Environ(os.Environ(), s.envNames), env...)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	c.Cancel = func() error { killGroup(c.Process); return nil }
	c.WaitDelay = 2 * time.Second
	out := &limitedBuffer{max: maxCommandOutput}
	c.Stdout, c.Stderr = out, out
	if err := c.Start(); err != nil {
		return nil, err
	}
	err := c.Wait()
	killGroup(c.Process)
	return redact.Default().Bytes(out.Bytes()), err
}

// maxCommandOutput bounds what a build command's output may hold (go
// list's JSON of every package of a module): beyond it the rest is cut.
const maxCommandOutput = 64 << 20

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room < len(p) {
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

func killGroup(p *os.Process) {
	if p != nil {
		syscall.Kill(-p.Pid, syscall.SIGKILL)
	}
}

// with returns a copy of s in which dir is writable too.
func (s *sandbox) with(dir string) *sandbox {
	c := *s
	c.writable = append(slices.Clone(s.writable), dir)
	return &c
}

// withView returns a copy of s that shows the edited view v over the
// workspace. The go command inside stamps no version control information
// (the workspace's .git is hidden, as from a copy).
func (s *sandbox) withView(v *shadow) *sandbox {
	c := *s
	c.view = v
	c.env = slices.Clone(s.env)
	for i, e := range c.env {
		if flags, ok := strings.CutPrefix(e, "GOFLAGS="); ok {
			c.env[i] = "GOFLAGS=" + strings.TrimSpace(withoutFlag(flags, "-buildvcs")+" -buildvcs=false")
		}
	}
	return &c
}

// withoutView returns s without the edited view: the workspace as it is.
func (s *sandbox) withoutView() *sandbox {
	if s.view == nil {
		return s
	}
	c := *s
	c.view = nil
	return &c
}

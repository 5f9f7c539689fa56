// Package testenv is what gauntlet's tests share about the machine they run
// on: the tools they drive (a missing tool skips the test outside CI and
// fails it under CI=true, where .ci/run installs everything) and waits
// bounded by the test's own deadline rather than by fixed timeouts, so the
// suite passes on a loaded machine. In the manner of Go's internal/testenv;
// only tests import it (deps_test.go).
package testenv

import (
	"context"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// InCI reports whether the tests run under CI (CI=true, as .ci/run sets),
// where every tool they need must be installed.
func InCI() bool { return os.Getenv("CI") == "true" }

// tool says where a tool the tests drive comes from: the environment
// variable that overrides the lookup, and how .ci/run installs it.
type tool struct {
	env     string // a path to the binary, tried before PATH
	js      bool   // in $GAUNTLET_JS_TOOLS/node_modules/.bin
	goBin   bool   // also looked up in $(go env GOPATH)/bin
	install string
}

var tools = map[string]tool{
	"go":         {install: "the Go toolchain (.ci/run puts /usr/local/go/bin on PATH)"},
	"git":        {install: "apt-get install git"},
	"node":       {install: "apt-get install nodejs"},
	"npm":        {install: "apt-get install npm"},
	"make":       {install: "apt-get install make"},
	"nvim":       {install: "apt-get install neovim"},
	"bwrap":      {install: "apt-get install bubblewrap"},
	"zsh":        {install: "apt-get install zsh"},
	"fish":       {install: "apt-get install fish"},
	"python3":    {install: "apt-get install python3"},
	"shellcheck": {install: "apt-get install shellcheck"},
	"ast-grep":   {env: "AST_GREP", install: "npm install @ast-grep/cli@0.51.1 into $HOME/.cache/gauntlet-ast-grep; set AST_GREP or put ast-grep on PATH"},
	"grpcurl":    {goBin: true, install: "go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4"},
	"reviewdog":  {goBin: true, install: "go install github.com/reviewdog/reviewdog/cmd/reviewdog@v0.21.0"},
	"actionlint": {goBin: true, install: "go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"},
	"jest":       {js: true, install: "npm install jest@29.7.0 into $GAUNTLET_JS_TOOLS (default ~/.cache/gauntlet-ci/js)"},
	"vitest":     {js: true, install: "npm install vitest@3.2.4 vite@7.1.12 @vitest/coverage-v8@3.2.4 into $GAUNTLET_JS_TOOLS (default ~/.cache/gauntlet-ci/js)"},
	"mocha":      {js: true, install: "npm install mocha@10.8.2 into $GAUNTLET_JS_TOOLS (default ~/.cache/gauntlet-ci/js)"},
}

// JSToolsDir is the directory whose node_modules holds the pinned jest,
// vitest and mocha: $GAUNTLET_JS_TOOLS, by default ~/.cache/gauntlet-ci/js.
func JSToolsDir() string {
	if dir := os.Getenv("GAUNTLET_JS_TOOLS"); dir != "" {
		return dir
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "gauntlet-ci", "js")
}

// LookTool returns the path of the named tool: its environment override
// (AST_GREP for ast-grep), $GAUNTLET_JS_TOOLS/node_modules/.bin for jest,
// vitest and mocha, else PATH (and $(go env GOPATH)/bin for the tools .ci/run
// installs with go install).
func LookTool(name string) (string, error) {
	tl := tools[name]
	if tl.env != "" {
		if p := os.Getenv(tl.env); p != "" {
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("$%s: %w", tl.env, err)
			}
			return p, nil
		}
	}
	if tl.js {
		p := filepath.Join(JSToolsDir(), "node_modules", ".bin", name)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s is not in %s", name, filepath.Dir(p))
		}
		return p, nil
	}
	p, err := exec.LookPath(name)
	if err == nil || !tl.goBin {
		return p, err
	}
	gopath, gerr := exec.Command("go", "env", "GOPATH").Output()
	if gerr != nil {
		return "", err
	}
	for _, dir := range filepath.SplitList(strings.TrimSpace(string(gopath))) {
		if p := filepath.Join(dir, "bin", name); isExecutable(p) {
			return p, nil
		}
	}
	return "", err
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// NeedTool returns the path of the named tool (see LookTool). Missing, it
// skips the test, or fails it under CI=true, saying how .ci/run installs it.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	p, err := LookTool(name)
	how := tools[name].install
	if how == "" {
		how = "install " + name
	}
	Need(t, err, name, how)
	return p
}

// Need skips the test when missing is not nil, or fails it under CI=true:
// what is the thing missing, install how .ci/run installs it.
func Need(t testing.TB, missing error, what, install string) {
	t.Helper()
	if missing == nil {
		return
	}
	if InCI() {
		t.Fatalf("%s is required under CI=true (%v); .ci/run installs it: %s", what, missing, install)
	}
	t.Skipf("%s is missing (%v): %s, or run bash .ci/run", what, missing, install)
}

// pythonPackages names the Debian package of each Python module the tests
// import with Debian's /usr/bin/python3.
var pythonPackages = map[string]string{
	"pytest":          "python3-pytest",
	"coverage":        "python3-coverage",
	"grpc":            "python3-grpcio",
	"google.protobuf": "python3-protobuf",
	"cryptography":    "python3-cryptography",
}

// NeedPython returns Debian's /usr/bin/python3 once it imports every one of
// modules; otherwise it skips, or fails under CI=true, naming the Debian
// packages .ci/run installs. (A pyenv python3 earlier on PATH does not see
// them, hence the fixed path.)
func NeedPython(t testing.TB, modules ...string) string {
	t.Helper()
	const python = "/usr/bin/python3"
	var pkgs []string
	for _, m := range modules {
		if p := pythonPackages[m]; p != "" {
			pkgs = append(pkgs, p)
		}
	}
	out, err := exec.Command(python, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput()
	if err != nil {
		err = fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	Need(t, err, python+" importing "+strings.Join(modules, ", "), "apt-get install python3 "+strings.Join(pkgs, " "))
	return python
}

// CIOnly skips the test outside CI: for tests that need what only CI
// provides (the npm registry, say); why says what.
func CIOnly(t testing.TB, why string) {
	t.Helper()
	if !InCI() {
		t.Skipf("%s: runs in CI (CI=true)", why)
	}
}

// margin is how long before the test's deadline Context ends, for the test
// to report what it was waiting for before the test binary panics.
const margin = 5 * time.Second

// Deadline is when the test's own waits should give up: shortly before the
// test binary's -timeout (t.Deadline), or ten minutes from now without one.
func Deadline(t testing.TB) time.Time {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if end, ok := d.Deadline(); ok {
			// Leave a margin proportional to short timeouts too.
			m := margin
			if left := time.Until(end); left < 4*m {
				m = left / 4
			}
			return end.Add(-m)
		}
	}
	return time.Now().Add(10 * time.Minute)
}

// Context returns a context that ends at Deadline(t) and when the test ends.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithDeadline(context.Background(), Deadline(t))
	t.Cleanup(cancel)
	return ctx
}

// Timeout is how long is left until Deadline(t): for APIs that take a
// duration. Use it in place of a fixed wait such as 5*time.Second.
func Timeout(t testing.TB) time.Duration {
	return time.Until(Deadline(t))
}

// Wait returns the next value ch delivers; if the test's deadline passes
// first, it fails the test naming what it waited for. Call it from the
// test's goroutine (it may call t.Fatal).
func Wait[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	timer := time.NewTimer(Timeout(t))
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case <-timer.C:
		t.Fatalf("no %s before the test's deadline", what)
		var zero T
		return zero
	}
}

// Running reports whether pid is a process that has not terminated: it
// exists and is not a zombie (from /proc/PID/stat: Linux only).
func Running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || len(s) < i+3 || s[i+2] != 'Z' && s[i+2] != 'X'
}

// DirFiles yields the name and content of each entry of dir, in order of
// name; a directory it cannot read, or a file, fails the test.
func DirFiles(t testing.TB, dir string) iter.Seq2[string, []byte] {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return func(yield func(string, []byte) bool) {
		for _, e := range entries {
			content, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if !yield(e.Name(), content) {
				return
			}
		}
	}
}

// CopyTemp copies the tree src (as CopyDir does) into a fresh temporary
// directory, which it returns, so that a test can change the copy.
func CopyTemp(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	CopyDir(t, src, dst)
	return dst
}

// CopyDir copies the tree src into dst (directories 0755, files 0644),
// leaving out the caches a Python run leaves in a source tree (__pycache__,
// .pytest_cache); an error fails the test. Not os.CopyFS: it cannot leave a
// directory out.
func CopyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if d.Name() == "__pycache__" || d.Name() == ".pytest_cache" {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

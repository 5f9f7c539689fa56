package confine

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// needLandlock skips without Landlock, but never under CI=true: there the
// sandbox's confinement is what is being tested.
func needLandlock(t *testing.T) {
	t.Helper()
	if abi() < 1 {
		if testenv.InCI() {
			t.Fatal("the kernel offers no Landlock, which CI needs")
		}
		t.Skip("the kernel offers no Landlock")
	}
}

// launcher is this test binary under ExecName: the package's init makes it
// the confining launcher.
func launcher(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	l := filepath.Join(t.TempDir(), ExecName)
	if err := os.Symlink(exe, l); err != nil {
		t.Fatal(err)
	}
	return l
}

// TestConfinedWritesOnlyWhereAllowed: the confined program and its children
// write in the directories given and beside the program, and nowhere
// else; they still read everything.
func TestConfinedWritesOnlyWhereAllowed(t *testing.T) {
	needLandlock(t)
	allowed, denied, bin := t.TempDir(), t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(denied, "keep"), []byte("before"), 0o644); err != nil {
		t.Fatal(err)
	}
	sh := filepath.Join(bin, "sh")
	if err := os.Symlink("/bin/sh", sh); err != nil {
		t.Fatal(err)
	}
	script := `echo a > "$1/f" && echo b > "$2/f" && cat "$3/keep" &&
		sh -c 'echo c > "$1/f"' - "$3"; echo d > "$3/keep"; rm -f "$3/keep"; mkdir "$3/d"; echo rc=$?`
	args := append(Args([]string{allowed}, nil), sh, "-c", script, "-", allowed, bin, denied)
	out, err := exec.Command(launcher(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, d := range []string{allowed, bin} {
		if _, err := os.Stat(filepath.Join(d, "f")); err != nil {
			t.Errorf("the confined program could not write %s: %s", d, out)
		}
	}
	if !strings.Contains(string(out), "before") {
		t.Errorf("the confined program could not read outside: %s", out)
	}
	if b, _ := os.ReadFile(filepath.Join(denied, "keep")); string(b) != "before" {
		t.Errorf("the confined program changed %s: %q", denied, b)
	}
	ents, _ := os.ReadDir(denied)
	if len(ents) != 1 {
		t.Errorf("the confined program created files in %s: %v", denied, ents)
	}
	if !strings.Contains(string(out), "rc=1") || !strings.Contains(strings.ToLower(string(out)), "permission denied") {
		t.Errorf("want the denied writes to fail with permission denied:\n%s", out)
	}
}

// TestLauncherRefusesBadArguments: a launcher given no program fails with
// its usage, and runs nothing unconfined.
func TestLauncherRefusesBadArguments(t *testing.T) {
	needLandlock(t)
	for _, args := range [][]string{{"--rw"}, {"--", "sh", "-c", "true"}, {"--bogus", "x", "--", "/bin/true"}} {
		out, err := exec.Command(launcher(t), args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "gauntlet: confine:") {
			t.Errorf("%q: err %v, output %s; want a failure naming confine", args, err, out)
		}
	}
}

// TestLauncherUnsetsVariables: the names given to --unset do not reach the
// program; the rest of the environment does.
func TestLauncherUnsetsVariables(t *testing.T) {
	needLandlock(t)
	bin := t.TempDir()
	sh := filepath.Join(bin, "sh")
	if err := os.Symlink("/bin/sh", sh); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(launcher(t), append(Args(nil, []string{"GOTMPDIR"}), sh, "-c", `echo "[$GOTMPDIR][$KEEP]"`)...)
	cmd.Env = append(os.Environ(), "GOTMPDIR=/var/tmp/work", "KEEP=kept")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "[][kept]" {
		t.Errorf("got %q (%v), want [][kept]", out, err)
	}
}

// TestAvailableLeavesTheProcessFree: Available confines a thread of its own
// to find out whether confinement works; the process still writes anywhere
// afterwards, from any thread.
func TestAvailableLeavesTheProcessFree(t *testing.T) {
	needLandlock(t)
	if !Available() {
		t.Fatal("Landlock is offered, but a thread could not confine itself")
	}
	dir := t.TempDir()
	errs := make(chan error, 64)
	for i := range 64 {
		go func() {
			errs <- os.WriteFile(filepath.Join(dir, strconv.Itoa(i)), []byte("x"), 0o644)
		}()
	}
	for range 64 {
		if err := <-errs; err != nil {
			t.Fatalf("after Available, the process cannot write: %v", err)
		}
	}
}

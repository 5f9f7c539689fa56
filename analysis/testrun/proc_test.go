package testrun

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// alive reports whether a process exists (and is not a zombie).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(stat))
	return len(f) > 2 && f[2] != "Z"
}

// loopingModule is a module whose test starts a child that would outlive
// it and then never returns; the child's pid goes to pidfile. The child
// sleeps for a day, longer than any test deadline, so that waiting for its
// exit (testenv.WaitExit) cannot be satisfied by its natural end.
func loopingModule(t *testing.T) (dir, pidfile string) {
	dir = t.TempDir()
	pidfile = filepath.Join(dir, "child.pid")
	testenv.WriteFiles(t, dir, map[string]string{
		"go.mod":  "module example.com/loop\n\ngo 1.22\n",
		"loop.go": "package loop\n\nfunc Spin() {\n\tfor {\n\t}\n}\n",
		"loop_test.go": `package loop

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
)

func TestQuick(t *testing.T) {}

func TestLoops(t *testing.T) {
	c := exec.Command("sleep", "86400")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(` + strconv.Quote(pidfile) + `, []byte(strconv.Itoa(c.Process.Pid)), 0o644)
	Spin()
}
`,
	})
	return dir, pidfile
}

func TestTimeoutKillsTheProcessGroup(t *testing.T) {
	needGo(t)
	dir, pidfile := loopingModule(t)
	s := New(analysis.NewSnapshot(dir), Settings{Timeout: 20 * time.Second}, WithCacheDir(""))
	tests, err := s.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Warm the build cache so the timeout below is spent in the test. The
	// run still links and starts the test binary: on a loaded machine that
	// takes longer, so the timeout is at least three times this run's time
	// (4s on a quiet machine), and so is the slack after it.
	warm := time.Now()
	if _, err := s.RunIDs(context.Background(), []string{"example.com/loop.TestQuick"}, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	timeout := max(4*time.Second, 3*time.Since(warm))
	s = New(analysis.NewSnapshot(dir), Settings{Timeout: timeout}, WithCacheDir(""))
	start := time.Now()
	out, err := s.Run(context.Background(), tests, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > timeout+max(11*time.Second, timeout) {
		t.Errorf("run took %v with a %v timeout", d, timeout)
	}
	got := results(out)
	if got["example.com/loop.TestLoops"] != Error || got["example.com/loop.TestQuick"] != Pass {
		t.Errorf("results %v, want TestLoops error and TestQuick pass", got)
	}
	for _, r := range out.Results {
		if r.ID == "example.com/loop.TestLoops" && !strings.Contains(r.Output, "timed out") {
			t.Errorf("output %q does not say it timed out", r.Output)
		}
	}
	data, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatalf("the test's child never started: %v", err)
	}
	pid, _ := strconv.Atoi(string(data))
	if !testenv.WaitExit(t, pid) || alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("the test's child %d outlived the run", pid)
	}
}

func TestCancelKillsTheMapBuild(t *testing.T) {
	needGo(t)
	dir, pidfile := loopingModule(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := New(analysis.NewSnapshot(dir), Settings{}, WithCacheDir(t.TempDir()), WithProgress(func(p analysis.Progress) {}))
	done := make(chan error, 1)
	go func() {
		_, err := s.Map(ctx)
		done <- err
	}()
	// Cancel once the looping test has started its child.
	deadline := testenv.Deadline(t)
	for {
		if _, err := os.Stat(pidfile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the looping test never started")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "cancelled") {
			t.Errorf("Map after cancel: err = %v, want cancelled", err)
		}
	case <-testenv.Context(t).Done():
		t.Fatal("Map did not return after cancel")
	}
	data, _ := os.ReadFile(pidfile)
	pid, _ := strconv.Atoi(string(data))
	if !testenv.WaitExit(t, pid) || alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("the test's child %d outlived the cancelled map build", pid)
	}
}

package testrun

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// hangModule is package a with a quick test, a test of A and a slow test,
// before an edit; after it, A sleeps an hour.
func hangModule(t *testing.T) (base, after *analysis.Snapshot) {
	t.Helper()
	dir := goModuleAB(t, map[string]string{
		"a/a_test.go": `package a

import (
	"testing"
	"time"
)

func TestQuick(t *testing.T) {}

func TestA(t *testing.T) {
	if A() != 1 {
		t.Fatal("A() != 1")
	}
}

func TestSlow(t *testing.T) {
	t.Log("slow anyway")
	time.Sleep(1500 * time.Millisecond)
}
`,
	})
	base = analysis.NewSnapshot(dir)
	after = base.With(&analysis.File{Path: "a/a.go", Content: []byte("package a\n\nimport \"time\"\n\nfunc A() int { time.Sleep(time.Hour); return 1 }\n")})
	return base, after
}

// beforeRecorder runs tests on base for RunOptions.Before and records
// which it was asked for.
type beforeRecorder struct {
	base  *analysis.Snapshot
	mu    sync.Mutex
	asked []string
}

func (b *beforeRecorder) before(ctx context.Context, t Test) (time.Duration, error) {
	b.mu.Lock()
	b.asked = append(b.asked, t.ID)
	b.mu.Unlock()
	out, err := New(b.base, Settings{}).Run(ctx, []Test{t}, RunOptions{})
	if err != nil {
		return 0, err
	}
	if d, ok := out.PassTime(t.ID); ok {
		return d, nil
	}
	return 0, fmt.Errorf("%s did not pass", t.ID)
}

// An edit that makes a test hang: the run stops once the test has run far
// longer than it does before the edit, and the test fails as hanging; the
// tests that finished keep their verdicts. A test that is slow before the
// edit too is compared and left to finish.
func TestRunStopsATestTheEditMakesHang(t *testing.T) {
	needGo(t)
	base, after := hangModule(t)
	rec := &beforeRecorder{base: base}
	// The run's own limit is far away: only the hang check can end it.
	s := Settings{Timeout: 10 * time.Minute, HangAfter: time.Second}
	tests, err := New(base, s).Discover(context.Background())
	if err != nil || len(tests) != 3 {
		t.Fatalf("discover: %v %v", ids(tests), err)
	}
	out, err := New(after, s).Run(context.Background(), tests, RunOptions{Before: rec.before})
	if err != nil {
		t.Fatal(err)
	}
	st := results(out)
	if out.Hung == nil || out.Hung.ID != "example.com/m/a.TestA" || st["example.com/m/a.TestA"] != Fail || st["example.com/m/a.TestQuick"] != Pass {
		t.Fatalf("hung %+v, results %v", out.Hung, st)
	}
	for _, r := range out.Results {
		if r.ID == "example.com/m/a.TestA" && !strings.Contains(r.Output, "the edit makes it hang") {
			t.Errorf("the hanging test's output does not say so:\n%s", r.Output)
		}
		if r.ID == "example.com/m/a.TestSlow" && (r.Status != Error || !strings.Contains(r.Output, "TestA hangs")) {
			t.Errorf("a test the stop cut short: %s %q", r.Status, r.Output)
		}
	}

	// Slow before the edit as well: compared, not stopped.
	rec.asked = nil
	out, err = New(base, s).Run(context.Background(), tests, RunOptions{Before: rec.before})
	if err != nil {
		t.Fatal(err)
	}
	if st := results(out); out.Hung != nil || st["example.com/m/a.TestSlow"] != Pass {
		t.Fatalf("the slow test: hung %+v, results %v", out.Hung, st)
	}
	if strings.Join(rec.asked, ",") != "example.com/m/a.TestSlow" {
		t.Errorf("compared %q, want the slow test only", rec.asked)
	}

	// Without a figure from before the edit (a new test, or one that
	// failed there), nothing is stopped early: the run's own limit ends it.
	s.Timeout = 5 * time.Second
	out, err = New(after, s).Run(context.Background(), tests, RunOptions{Before: func(context.Context, Test) (time.Duration, error) {
		return 0, fmt.Errorf("not before the edit")
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Results {
		if r.ID == "example.com/m/a.TestA" && (out.Hung != nil || r.Status != Error || !strings.Contains(r.Output, "timed out")) {
			t.Fatalf("without a figure from before the edit: hung %+v, %s %q", out.Hung, r.Status, r.Output)
		}
	}
}

// The running time excludes a parallel test's pauses, and the check on
// the code before the edit starts once per test, when it has run
// HangAfter.
func TestHangWatchCountsRunningTime(t *testing.T) {
	asked := make(chan string, 4)
	stopped := false
	w := &hangWatch{after: 2 * time.Second, stop: func() { stopped = true }, tests: map[string]*watched{}}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	w.before = func(_ context.Context, t Test) (time.Duration, error) {
		asked <- t.ID
		return 100 * time.Millisecond, nil
	}
	w.tests["p.TestP"] = &watched{t: Test{ID: "p.TestP"}}
	t0 := time.Unix(1000, 0)
	w.event("p.TestP", "run", t0)
	w.event("p.TestP", "pause", t0.Add(time.Second))
	w.event("p.TestP", "cont", t0.Add(100*time.Second))
	if w.check(t0.Add(100*time.Second+500*time.Millisecond)) || len(asked) != 0 {
		t.Fatal("the pause counted as running time")
	}
	if w.check(t0.Add(101*time.Second)) || <-asked != "p.TestP" {
		t.Fatal("no check after 2 s of running time")
	}
	w.checks.Wait()
	// 2 s + 10 × 0.1 s = 3 s of running time: stopped at 3 s, not before.
	if w.check(t0.Add(101*time.Second+900*time.Millisecond)) || stopped {
		t.Fatal("stopped before 3 s of running time")
	}
	if !w.check(t0.Add(102*time.Second)) || !stopped || len(asked) != 0 {
		t.Fatalf("not stopped at 3 s of running time (stopped %v, checks %d)", stopped, len(asked))
	}
	if h := w.close(); h == nil || h.ID != "p.TestP" || h.Ran != 3*time.Second || h.Before != 100*time.Millisecond {
		t.Fatalf("hang %+v", h)
	}
}

// pytest: the same stop, read from the plugin's records as pytest writes
// them.
func TestPytestRunStopsATestTheEditMakesHang(t *testing.T) {
	needPytest(t)
	dir := testenv.CopyTemp(t, "../../examples/pycalc")
	base := analysis.NewSnapshot(dir)
	f, err := base.File("calc/__init__.py")
	if err != nil {
		t.Fatal(err)
	}
	hanging := strings.Replace(string(f.Content), "def add(a, b):\n", "def add(a, b):\n    import time\n    time.sleep(3600)\n", 1)
	after := base.With(&analysis.File{Path: "calc/__init__.py", Content: []byte(hanging)})
	s := Settings{Timeout: 10 * time.Minute, HangAfter: time.Second}
	tests, err := New(base, s).Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rec := &beforeRecorder{base: base}
	out, err := New(after, s).Run(context.Background(), tests, RunOptions{Before: rec.before})
	if err != nil {
		t.Fatal(err)
	}
	st := results(out)
	const id = "tests/test_calc.py::test_add"
	// pytest runs the ids in the order given: TestDiv's first.
	if out.Hung == nil || out.Hung.ID != id || st[id] != Fail || st["tests/test_calc.py::TestDiv::test_div"] != Pass || st["tests/test_calc.py::test_sub"] != Error {
		t.Fatalf("hung %+v, results %v", out.Hung, st)
	}
	for _, r := range out.Results {
		if r.ID == id && !strings.Contains(r.Output, "the edit makes it hang") {
			t.Errorf("the hanging test's output does not say so:\n%s", r.Output)
		}
	}
}

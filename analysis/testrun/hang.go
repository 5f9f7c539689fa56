package testrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// A test that an edit makes hang would hold a run until its time limit
// (tests.timeout, ten minutes by default): the closed loop and `test
// --affected-by` would wait that long for a verdict that the test's
// duration before the edit gives in seconds. The Go, pytest and mocha runners
// therefore watch each selected test's running time (go test -json's run,
// pause and cont events, so that a parallel test's wait does not count;
// the pytest plugin's start and teardown records, and mocha's reporter's
// start and outcome records, read as written). A test that has run Settings.HangAfter is run again alongside, on the code
// before the edit (RunOptions.Before). When it passes there in b, the edited run is
// stopped as soon as the test has run HangAfter + HangFactor·b: the test
// fails as hanging (Report.Hung). Both durations are measured now, on the
// same machine under the same load, so a loaded machine does not make a
// slow test look hung; a test that fails or does not finish before the
// edit either, or that the edit adds, is left to the run's time limit.

// HangFactor is how many times its duration before the edit a test may
// run after it, beyond Settings.HangAfter, before it counts as hanging.
const HangFactor = 10

// Hang is a test that a run stopped because it ran far longer than before
// the edit.
type Hang struct {
	ID     string
	Ran    time.Duration // how long it had run when the run was stopped
	Before time.Duration // how long it ran before the edit, alongside
}

func (h *Hang) String() string {
	before := "under 10ms"
	if h.Before >= 10*time.Millisecond {
		before = h.Before.Round(10 * time.Millisecond).String()
	}
	return fmt.Sprintf("%s was still running after %s; before the edit it passes in %s (run alongside, on the unedited code): the edit makes it hang",
		h.ID, h.Ran.Round(100*time.Millisecond), before)
}

// hungResult is t's result in a run stopped because of h, given what the
// run reported of it (nil: nothing) and its output so far: the hanging
// test fails, as a runner's own time limit fails it; a test that had not
// finished reached no verdict; the others keep theirs.
func hungResult(h *Hang, t Test, res *Result, output string) *Result {
	switch {
	case t.ID == h.ID:
		out := h.String()
		if strings.TrimSpace(output) != "" {
			out = trimOutput(strings.TrimRight(output, "\n") + "\n" + out)
		}
		return &Result{Status: Fail, Duration: h.Ran.Milliseconds(), Output: out}
	case res != nil:
		return res
	}
	return &Result{Status: Error, Output: "not run to a verdict: the run was stopped because " + h.ID + " hangs"}
}

// tailRecords follows the records file of a run for w (nil: does
// nothing) while the run goes on: the runner's plugin or reporter appends
// one JSON line per event, which parse turns into a test's id and what it
// did (hangWatch.event's words). It returns the function that stops
// following, once the run has ended.
func tailRecords(w *hangWatch, records string, parse func(line []byte) (id, action string, ok bool)) (stop func()) {
	if w == nil {
		return func() {}
	}
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		var off int64
		var rest []byte
		tick := time.NewTicker(w.tick())
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				f, err := os.Open(records)
				if err != nil {
					continue // not written yet
				}
				buf, _ := io.ReadAll(io.NewSectionReader(f, off, 1<<40))
				f.Close()
				off += int64(len(buf))
				rest = append(rest, buf...)
				for {
					i := bytes.IndexByte(rest, '\n')
					if i < 0 {
						break
					}
					if id, action, ok := parse(rest[:i]); ok {
						w.event(id, action, now)
					}
					rest = rest[i+1:]
				}
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}

// pytestEvent reads a record of gauntlet's pytest plugin: a start record
// as a test begins, a report for each of its phases.
func pytestEvent(line []byte) (id, action string, ok bool) {
	var rec pyRecord
	if json.Unmarshal(line, &rec) != nil {
		return "", "", false
	}
	switch {
	case rec.Event == "start":
		return rec.NodeID, "run", true
	case rec.Event == "report" && rec.When == "teardown":
		return rec.NodeID, "pass", true
	}
	return "", "", false
}

// PassTime is how long the test id took in o when it passed.
func (o *Report) PassTime(id string) (time.Duration, bool) {
	for _, r := range o.Results {
		if r.ID == id && r.Status == Pass {
			return time.Duration(r.Duration) * time.Millisecond, true
		}
	}
	return 0, false
}

// runHang is what a run needs to stop a test an edit makes hang: the
// tests it runs and its options (RunOptions.Before).
type runHang struct {
	tests []Test
	opt   RunOptions
}

// hangWatch watches one run's tests.
type hangWatch struct {
	after  time.Duration
	before func(context.Context, Test) (time.Duration, error)
	stop   func() // stops the run
	ctx    context.Context
	cancel context.CancelFunc
	checks sync.WaitGroup
	ticker sync.WaitGroup

	mu    sync.Mutex
	tests map[string]*watched
	hung  *Hang
}

// watched is one test's running time.
type watched struct {
	t     Test
	ran   time.Duration // before the current stretch
	since time.Time     // when the current stretch began; zero while paused or done
	// checking: the run before the edit has started; known: it passed, in
	// base.
	checking, known bool
	base            time.Duration
}

// watchHangs starts watching a run of tests, which stop ends; nil when
// settings or opt do not ask for it.
func watchHangs(ctx context.Context, s Settings, opt RunOptions, tests []Test, stop func()) *hangWatch {
	if s.HangAfter <= 0 || opt.Before == nil {
		return nil
	}
	w := &hangWatch{after: s.HangAfter, before: opt.Before, stop: stop, tests: map[string]*watched{}}
	for _, t := range tests {
		w.tests[t.ID] = &watched{t: t}
	}
	w.ctx, w.cancel = context.WithCancel(ctx)
	w.ticker.Add(1)
	go func() {
		defer w.ticker.Done()
		t := time.NewTicker(w.tick())
		defer t.Stop()
		for {
			select {
			case <-w.ctx.Done():
				return
			case now := <-t.C:
				if w.check(now) {
					return
				}
			}
		}
	}()
	return w
}

// tick is how often the watch looks at the running tests and its records
// files: it only bounds how late a hang is seen (a fraction of HangAfter);
// no verdict depends on it.
func (w *hangWatch) tick() time.Duration { return min(w.after/4, 250*time.Millisecond) }

// event records what a test did at now: "run" or "cont" (it runs),
// "pause" (a parallel test waits), "pass", "fail" or "skip" (it is done),
// as go test -json names them; tailPytest speaks the same words.
func (w *hangWatch) event(id, action string, now time.Time) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.tests[id]
	if t == nil {
		return
	}
	switch action {
	case "run", "cont":
		if t.since.IsZero() {
			t.since = now
		}
	case "pause", "pass", "fail", "skip":
		if !t.since.IsZero() {
			t.ran += now.Sub(t.since)
			t.since = time.Time{}
		}
		if action != "pause" {
			delete(w.tests, id)
		}
	}
}

// check looks at the running tests: it starts the runs before the edit
// that are due, and stops the run when a test hangs (it then reports true).
func (w *hangWatch) check(now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, t := range w.tests {
		if t.since.IsZero() {
			continue
		}
		ran := t.ran + now.Sub(t.since)
		if ran >= w.after && !t.checking {
			t.checking = true
			w.checks.Add(1)
			go w.runBefore(t)
		}
		if t.known && ran >= w.after+HangFactor*t.base {
			w.hung = &Hang{ID: id, Ran: ran, Before: t.base}
			w.stop()
			return true
		}
	}
	return false
}

// runBefore runs t on the code before the edit and records how long it
// took there when it passed.
func (w *hangWatch) runBefore(t *watched) {
	defer w.checks.Done()
	d, err := w.before(w.ctx, t.t)
	if err != nil {
		return // no figure to compare with: the run's time limit decides
	}
	w.mu.Lock()
	t.known, t.base = true, d
	w.mu.Unlock()
}

// close ends the watch once the run is over, waiting for the runs before
// the edit to stop, and returns the hanging test, if any.
func (w *hangWatch) close() *Hang {
	if w == nil {
		return nil
	}
	w.cancel()
	w.ticker.Wait()
	w.checks.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hung
}

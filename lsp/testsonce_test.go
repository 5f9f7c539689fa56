package lsp

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// brokenTests is a workspace whose tests cannot run: no runner recognised.
type brokenTests struct{ runs *atomic.Int32 }

var errNoRunner = errors.New("package.json runs karma; gauntlet runs jest, vitest, mocha and node --test; set tests.runner")

func (b brokenTests) TestsInFile(ctx context.Context, f *analysis.File) ([]testrun.Test, error) {
	return nil, errNoRunner
}

func (b brokenTests) Run(ctx context.Context, ids []string, progress func(string, int)) (string, bool, error) {
	b.runs.Add(1)
	if len(ids) == 1 && ids[0] == "other" {
		return "", false, errors.New("mocha: cannot start: node_modules/.bin/mocha not found")
	}
	return "", false, errNoRunner
}

// TestTestsProblemShownOnce: a problem that stops tests from running is
// one window/showMessage (Error) per session, however many code lens
// requests and runs meet it; a different problem is shown too; each run's
// progress still ends with the problem, and repeats are logged.
func TestTestsProblemShownOnce(t *testing.T) {
	var runs atomic.Int32
	c := newClient(t, nil, WithTests(func(string) TestRunner { return brokenTests{&runs} }))
	c.initialize(map[string]any{"window": map[string]any{"workDoneProgress": true}})
	uri := "file:///work/calc.test.js"
	c.open(uri, "javascript", 1, "test('adds', () => {});\n")
	for i := 0; i < 3; i++ {
		c.call("textDocument/codeLens", map[string]any{"textDocument": map[string]any{"uri": uri}})
	}
	run := func(id string) {
		res := c.call("workspace/executeCommand", map[string]any{"command": "gauntlet.runTests", "arguments": []any{map[string]any{"ids": []string{id}}}})
		if res.Error != nil {
			t.Fatalf("runTests: %s", res)
		}
	}
	// nthEnd matches the n-th end of progress (await offers each message once).
	nthEnd := func(n int) func(*message) bool {
		seen := 0
		return func(m *message) bool {
			if m.Method == "$/progress" && strings.Contains(string(m.Params), `"kind":"end"`) {
				seen++
			}
			return seen >= n
		}
	}
	for i := 1; i <= 3; i++ {
		run("a")
		c.await("the end of a run", nthEnd(i))
	}
	run("other")
	c.await("the end of the last run", nthEnd(4))
	// The problem is shown after the run's progress ends: wait for it.
	c.await("the mocha problem shown", func(m *message) bool {
		return m.Method == "window/showMessage" && strings.Contains(string(m.Params), "mocha: cannot start")
	})
	c.alive()

	shown := map[string]int{}
	logged := 0
	for _, m := range c.messages() {
		p := string(m.Params)
		switch {
		case m.Method == "window/showMessage":
			if !strings.Contains(p, `"type":1`) {
				t.Errorf("showMessage %s is not an error", p)
			}
			switch {
			case strings.Contains(p, "karma"):
				shown["karma"]++
			case strings.Contains(p, "mocha: cannot start"):
				shown["mocha"]++
			default:
				t.Errorf("unexpected showMessage %s", p)
			}
		case m.Method == "window/logMessage" && strings.Contains(p, "karma"):
			logged++
		}
	}
	if shown["karma"] != 1 || shown["mocha"] != 1 {
		t.Errorf("showMessage counts %v, want each problem once:\n%s", shown, c.dump())
	}
	if logged == 0 {
		t.Errorf("the repeated problem was not logged")
	}
	if n := runs.Load(); n != 4 {
		t.Errorf("%d runs, want 4", n)
	}
	// Every run's progress still ends with its problem.
	karmaEnds := 0
	for _, m := range c.messages() {
		if m.Method == "$/progress" && strings.Contains(string(m.Params), `"kind":"end"`) && strings.Contains(string(m.Params), "karma") {
			karmaEnds++
		}
	}
	if karmaEnds != 3 {
		t.Errorf("%d progress ends name the problem, want 3", karmaEnds)
	}
}

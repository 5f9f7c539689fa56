package verify

import (
	"os/exec"
	"strings"
	"testing"
)

// valuesModule: package-level constants and variables, some used by code
// its test runs (Tries), some only by code no test runs (Serve).
var valuesModule = map[string]string{
	"go.mod": "module example.com/v\n\ngo 1.21\n",
	"p/p.go": `package p

const retries = 3

var (
	limit = port * 2
	dead  = 7
)

const port = 8080

const (
	modeA = iota + 1
	modeB
)

const timeout = 5

const size = 10

const level = 9

// Tries is tested.
func Tries() int {
	timeout := 1
	switch timeout {
	case level:
		return 0
	}
	return retries + modeB + timeout
}

// Serve is not.
func Serve() int { return limit + timeout }

// MaxItems is used by q's tested code, Budget by its untested code.
const (
	MaxItems = 5
	Budget   = 7
)
`,
	"q/q.go": `package q

import p "example.com/v/p"

// Count is tested.
func Count() int { return p.MaxItems }

// Spend is not.
func Spend() int { return p.Budget }
`,
	"q/q_test.go": `package q

import "testing"

func TestCount(t *testing.T) {
	if Count() <= 0 {
		t.Fatal(Count())
	}
}
`,
	"p/p_test.go": `package p

import "testing"

func TestTries(t *testing.T) {
	if Tries() <= 0 || size < 0 {
		t.Fatal(Tries())
	}
}
`,
}

// TestCoverageOfChangedValues: Go's coverage counts no package-level
// constant or variable, so the coverage gate judges a changed one by its
// uses: rejected when no selected test runs a line that uses it (even
// through another variable, or, exported, in an importing package),
// accepted when one does (a use in a test file
// counts, a local of the same name does not, a use coverage cannot see
// raises no doubt), and not code at all when nothing uses it. Real go test, no sandbox.
func TestCoverageOfChangedValues(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	snap := workspace(t, valuesModule)
	src := valuesModule["p/p.go"]
	opts := Options{Sandbox: SandboxNone, CacheDir: t.TempDir()}
	for _, c := range []struct {
		name, old, new string
		gate           string // the gate that rejects, "" for accepted
		detail         string // in the coverage gate's detail
	}{
		{name: "used by tested code", old: "retries = 3", new: "retries = 4", detail: "1 changed line of code, all run by the selected tests"},
		{name: "used only through a variable no test reads", old: "port = 8080", new: "port = 8081", gate: GateCoverage,
			detail: "p/p.go:10 (p/p.go:10 sets port, and no selected test runs a line that uses it)"},
		{name: "a variable no test reads", old: "limit = port * 2", new: "limit = port * 3", gate: GateCoverage, detail: "p/p.go:6"},
		{name: "unused", old: "dead  = 7", new: "dead  = 8", detail: "no changed line of code to cover"},
		{name: "iota: the next constant repeats it", old: "iota + 1", new: "iota + 2", detail: "1 changed line of code, all run"},
		{name: "a local of the same name is no use", old: "timeout = 5", new: "timeout = 6", gate: GateCoverage, detail: "sets timeout"},
		{name: "used by a selected test", old: "size = 10", new: "size = 11", detail: "1 changed line of code, all run"},
		{name: "exported, used by a tested importer", old: "MaxItems = 5", new: "MaxItems = 6", detail: "1 changed line of code, all run"},
		{name: "exported, used only by an importer's untested code", old: "Budget   = 7", new: "Budget   = 8", gate: GateCoverage, detail: "sets Budget"},
		// Go's coverage has no block for a case's expression: no doubt raised.
		{name: "used in a case of a switch that runs", old: "level = 9", new: "level = 8", detail: "1 changed line of code, all run"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(src, c.old) {
				t.Fatalf("%q is not in p.go", c.old)
			}
			edit := Edit{Files: []FileChange{{Path: "p/p.go", Content: []byte(strings.Replace(src, c.old, c.new, 1))}}}
			v, err := Verify(testContext(t), snap, edit, opts)
			if err != nil {
				t.Fatal(err)
			}
			wantRejectedBy(t, v, c.gate)
			if g := v.Gate(GateCoverage); !strings.Contains(g.Detail, c.detail) {
				t.Errorf("coverage gate: %q, want %q in it", g.Detail, c.detail)
			}
		})
	}
}

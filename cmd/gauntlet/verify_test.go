package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// verdictJSON is what gauntlet verify --format json prints.
type verdictJSON struct {
	Accepted bool     `json:"accepted"`
	Duration int64    `json:"duration_ms"`
	Files    []string `json:"files"`
	Sandbox  string   `json:"sandbox"`
	Gates    []struct {
		Name     string `json:"name"`
		OK       bool   `json:"ok"`
		Skipped  bool   `json:"skipped"`
		Detail   string `json:"detail"`
		Error    string `json:"error"`
		Refused  []struct{ Path, Reason string }
		Findings []struct {
			Path    string
			Line    int
			Message string
		}
		Selected []string `json:"selected"`
		Failed   []struct {
			ID     string `json:"id"`
			Output string `json:"output"`
		} `json:"failed"`
		Uncovered []struct {
			Path       string
			Start, End int
		} `json:"uncovered"`
	} `json:"gates"`
}

// failedGate is the first gate that did not pass, or "".
func (v verdictJSON) failedGate() string {
	for _, g := range v.Gates {
		if !g.OK && !g.Skipped {
			return g.Name
		}
	}
	return ""
}

// hasBwrap reports whether the sandbox can be tested; under CI it must.
func hasBwrap(t *testing.T) bool {
	t.Helper()
	_, err := testenv.LookTool("bwrap")
	if err != nil && testenv.InCI() {
		testenv.NeedTool(t, "bwrap")
	}
	return err == nil
}

// gocalcCopy copies examples/gocalc into a new directory and returns the
// module's directory.
func gocalcCopy(t *testing.T, config string) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("go is not on PATH")
	}
	src := filepath.Join(pkgDir, "..", "..", "examples", "gocalc")
	dst := filepath.Join(t.TempDir(), "gocalc")
	testenv.CopyDir(t, src, dst)
	if config != "" {
		if err := os.WriteFile(filepath.Join(dst, ".gauntlet.yaml"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// treeHash hashes every file (path, mode and content) under dir.
func treeHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s %v\n", rel, info.Mode())
		if d.Type().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// verifyPatch runs gauntlet verify --format json on a patch in dir and
// checks that the module is byte-identical afterwards.
func verifyPatch(t *testing.T, dir, patchText string, extra ...string) (int, verdictJSON, string) {
	t.Helper()
	before := treeHash(t, dir)
	t.Chdir(dir)
	verifyStdin = strings.NewReader(patchText)
	defer func() { verifyStdin = os.Stdin }()
	var out, errb bytes.Buffer
	code := run(append([]string{"verify", "--patch", "-", "--format", "json"}, extra...), &out, &errb)
	var v verdictJSON
	if code != exitError || out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &v); err != nil {
			t.Fatalf("exit %d, bad JSON: %v\n%s\nstderr: %s", code, err, out.String(), errb.String())
		}
	}
	if after := treeHash(t, dir); after != before {
		t.Errorf("the workspace changed during verify")
	}
	return code, v, out.String() + errb.String()
}

const mutant = `--- a/calc/calc.go
+++ b/calc/calc.go
@@ -13,3 +13,3 @@
 func Add(a, b int) int {
-	return clamp(a + b)
+	return clamp(a - b)
 }
`

const neutralEdit = `--- a/calc/calc.go
+++ b/calc/calc.go
@@ -12,2 +12,3 @@
 // Add returns a + b.
+// It clamps the result to Limit.
 func Add(a, b int) int {
`

// declEdit adds a declaration outside any function: every test of the
// package and of those that import it is selected.
const declEdit = `--- a/calc/calc.go
+++ b/calc/calc.go
@@ -10,2 +10,3 @@
 const Limit = 1000000
+var _ = Limit
 
`

func TestVerifyGocalc(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	dir := gocalcCopy(t, "loop:\n  test_timeout: 5s\n")
	sandboxed := hasBwrap(t)

	t.Run("mutant rejected by tests", func(t *testing.T) {
		code, v, out := verifyPatch(t, dir, mutant)
		if code != exitFindings || v.Accepted || v.failedGate() != "tests" {
			t.Fatalf("exit %d, failed gate %q, want 1 and tests:\n%s", code, v.failedGate(), out)
		}
		tests := v.Gates[4]
		found := false
		for _, f := range tests.Failed {
			if f.ID == "example.com/gocalc/calc.TestAdd" && strings.Contains(f.Output, "Add(2, 3) = -1, want 5") {
				found = true
			}
		}
		if !found {
			t.Errorf("TestAdd and its output are not in the evidence:\n%s", out)
		}
		if len(v.Files) != 1 || v.Files[0] != "calc/calc.go" {
			t.Errorf("files = %v", v.Files)
		}
		if sandboxed && v.Sandbox != "bwrap" {
			t.Errorf("sandbox = %q, want bwrap", v.Sandbox)
		}
	})

	t.Run("neutral edit accepted", func(t *testing.T) {
		code, v, out := verifyPatch(t, dir, neutralEdit)
		if code != exitOK || !v.Accepted {
			t.Fatalf("exit %d, want 0:\n%s", code, out)
		}
		for _, g := range v.Gates {
			if !g.OK || g.Skipped != (g.Name == "build" || g.Name == "tests" || g.Name == "coverage") {
				t.Errorf("gate %s: ok %v skipped %v: %s", g.Name, g.OK, g.Skipped, g.Detail)
			}
		}
		// A change of code that does not change behaviour runs every gate.
		code, v, out = verifyPatch(t, dir, declEdit)
		if code != exitOK || !v.Accepted {
			t.Fatalf("exit %d, want 0:\n%s", code, out)
		}
		for _, g := range v.Gates {
			if !g.OK || g.Skipped {
				t.Errorf("gate %s: ok %v skipped %v: %s", g.Name, g.OK, g.Skipped, g.Detail)
			}
		}
	})

	t.Run("search/replace block", func(t *testing.T) {
		code, v, out := verifyPatch(t, dir, "calc/calc.go\n```go\n<<<<<<< SEARCH\n\treturn clamp(a * b)\n=======\n\treturn clamp(a * a)\n>>>>>>> REPLACE\n```\n")
		if code != exitFindings || v.failedGate() != "tests" {
			t.Fatalf("exit %d, failed gate %q, want tests:\n%s", code, v.failedGate(), out)
		}
	})

	t.Run("untested code rejected by coverage", func(t *testing.T) {
		code, v, out := verifyPatch(t, dir, `--- a/calc/calc.go
+++ b/calc/calc.go
@@ -41,2 +41,7 @@
 }
 
+// Double returns 2a.
+func Double(a int) int {
+	return clamp(2 * a)
+}
+
`)
		if code != exitFindings || v.failedGate() != "coverage" {
			t.Fatalf("exit %d, failed gate %q, want coverage:\n%s", code, v.failedGate(), out)
		}
		unc := v.Gates[5].Uncovered
		if len(unc) != 1 || unc[0].Path != "calc/calc.go" || unc[0].Start != 45 || unc[0].End != 45 {
			t.Errorf("uncovered = %+v, want calc/calc.go:45", unc)
		}
	})

	t.Run("type error rejected by build", func(t *testing.T) {
		code, v, out := verifyPatch(t, dir, `--- a/calc/calc.go
+++ b/calc/calc.go
@@ -13,3 +13,3 @@
 func Add(a, b int) int {
-	return clamp(a + b)
+	return clamp(a + c)
 }
`)
		if code != exitFindings || v.failedGate() != "build" {
			t.Fatalf("exit %d, failed gate %q, want build:\n%s", code, v.failedGate(), out)
		}
		if !strings.Contains(out, `"path": "calc/calc.go"`) || !strings.Contains(out, "undefined: c") {
			t.Errorf("the build error is not in the evidence:\n%s", out)
		}
	})

	t.Run("syntax error rejected by parse", func(t *testing.T) {
		code, v, out := verifyPatch(t, dir, `--- a/calc/calc.go
+++ b/calc/calc.go
@@ -13,3 +13,3 @@
 func Add(a, b int) int {
-	return clamp(a + b)
+	return clamp(a + b
 }
`)
		if code != exitFindings || v.failedGate() != "parse" {
			t.Fatalf("exit %d, failed gate %q, want parse:\n%s", code, v.failedGate(), out)
		}
		if f := v.Gates[1].Findings; len(f) == 0 || f[0].Path != "calc/calc.go" || f[0].Line != 14 {
			t.Errorf("findings = %+v, want calc/calc.go:14", f)
		}
	})

	t.Run("outside the workspace refused by apply", func(t *testing.T) {
		parent := filepath.Dir(dir)
		victim := filepath.Join(parent, "victim.txt")
		os.WriteFile(victim, []byte("safe\n"), 0o644)
		outside := t.TempDir()
		if err := os.Symlink(outside, filepath.Join(dir, "escape")); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(filepath.Join(dir, "escape"))
		for _, p := range []string{
			"--- a/../victim.txt\n+++ b/../victim.txt\n@@ -1 +1 @@\n-safe\n+owned\n",
			"--- /dev/null\n+++ b/escape/planted.go\n@@ -0,0 +1 @@\n+package planted\n",
			"--- a/" + victim + "\n+++ b/" + victim + "\n@@ -1 +1 @@\n-safe\n+owned\n",
		} {
			code, v, out := verifyPatch(t, dir, p)
			if code != exitFindings || v.failedGate() != "apply" || len(v.Gates[0].Refused) == 0 {
				t.Errorf("exit %d, failed gate %q, want apply refusing a path:\n%s", code, v.failedGate(), out)
			}
		}
		if data, _ := os.ReadFile(victim); string(data) != "safe\n" {
			t.Errorf("victim.txt outside the workspace is now %q", data)
		}
		if entries, _ := os.ReadDir(outside); len(entries) != 0 {
			t.Errorf("files appeared outside the workspace: %v", entries)
		}
	})

	t.Run("endless test killed at its limit", func(t *testing.T) {
		marker := fmt.Sprintf("gauntlet-verify-orphan-%d", time.Now().UnixNano())
		start := time.Now()
		code, v, out := verifyPatch(t, dir, fmt.Sprintf(`--- /dev/null
+++ b/calc/forever_test.go
@@ -0,0 +1,12 @@
+package calc
+
+import (
+	"os/exec"
+	"testing"
+)
+
+func TestForever(t *testing.T) {
+	exec.Command("sh", "-c", "sleep 86400; echo %s").Start()
+	for {
+	}
+}
`, marker))
		elapsed := time.Since(start)
		if code != exitFindings || v.failedGate() != "tests" {
			t.Fatalf("exit %d, failed gate %q, want tests:\n%s", code, v.failedGate(), out)
		}
		if elapsed > 90*time.Second {
			t.Errorf("verify took %v with a 5s test limit", elapsed)
		}
		if !strings.Contains(out, "calc.TestForever") || !strings.Contains(out, "timed out") {
			t.Errorf("the verdict does not name the endless test and its time out:\n%s", out)
		}
		// No process outlives a verify: one still listed was killed as
		// verify ended, which its exit proves (it would sleep for a day).
		var pids []string
		for _, p := range processesWith(marker) {
			if pid, _ := strconv.Atoi(p); !testenv.WaitExit(t, pid) {
				pids = append(pids, p)
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if len(pids) > 0 {
			t.Errorf("processes outlived the verify: %v", pids)
		}
	})

	t.Run("network is off in the sandbox", func(t *testing.T) {
		if !sandboxed {
			t.Skip("bwrap is not installed")
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		accepted := make(chan struct{}, 8)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				accepted <- struct{}{}
				c.Close()
			}
		}()
		code, v, out := verifyPatch(t, dir, fmt.Sprintf(`--- /dev/null
+++ b/calc/net_test.go
@@ -0,0 +1,14 @@
+package calc
+
+import (
+	"net"
+	"testing"
+)
+
+func TestPhoneHome(t *testing.T) {
+	c, err := net.Dial("tcp", %q)
+	if err != nil {
+		t.Fatal(err)
+	}
+	c.Close()
+}
`, ln.Addr().String()))
		if code != exitFindings || v.failedGate() != "tests" {
			t.Fatalf("exit %d, failed gate %q, want tests:\n%s", code, v.failedGate(), out)
		}
		if len(accepted) > 0 {
			t.Errorf("a test reached the host's network from the sandbox")
		}

		// A test of the workspace itself that needs the network passes
		// outside the sandbox and fails in it with or without an edit: the
		// verdict is an error naming it, never an acceptance.
		netTest := filepath.Join(dir, "calc", "net_test.go")
		src := fmt.Sprintf("package calc\n\nimport (\n\t\"net\"\n\t\"testing\"\n)\n\nfunc TestPhoneHome(t *testing.T) {\n\tc, err := net.Dial(\"tcp\", %q)\n\tif err != nil {\n\t\tt.Fatal(err)\n\t}\n\tc.Close()\n}\n", ln.Addr().String())
		if err := os.WriteFile(netTest, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(netTest)
		code, v, out = verifyPatch(t, dir, declEdit)
		if code != exitError || v.Accepted || !strings.Contains(out, "calc.TestPhoneHome") || !strings.Contains(out, "without the edit too") {
			t.Errorf("exit %d, want 2 and an error naming TestPhoneHome:\n%s", code, out)
		}
	})
}

// processesWith lists the pids whose command line contains s.
func processesWith(s string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(s)) {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestVerifyNeverMapped: verify in a workspace never mapped on this
// machine (a fresh clone, a CI runner) maps nothing, which would run every
// test alone: it runs the tests of the edited package and of the packages
// that import it, and rejects the mutant they kill; the map is still to be
// built afterwards.
func TestVerifyNeverMapped(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	dir := gocalcCopy(t, "")
	code, v, out := verifyPatch(t, dir, mutant, "--sandbox", "none")
	if code != exitFindings || v.failedGate() != "tests" || strings.Contains(out, "Building the coverage map") {
		t.Fatalf("exit %d, failed gate %q, want tests and no map built:\n%s", code, v.failedGate(), out)
	}
	for _, g := range v.Gates {
		if g.Name == "tests" && len(g.Selected) != 7 {
			t.Errorf("selected %q, want the 7 tests of calc and rpn (which imports it)", g.Selected)
		}
	}
	var cov bytes.Buffer
	if code := run([]string{"coverage", "--format", "json"}, &cov, io.Discard); code != exitOK || !strings.Contains(cov.String(), `"map": "built"`) {
		t.Errorf("coverage after verify: exit %d, want the map built now:\n%s", code, cov.String())
	}
}

func TestVerifyUsage(t *testing.T) {
	code, _, stderr := gauntlet(t, ".", "verify")
	if code != exitError || !strings.Contains(stderr, "usage: gauntlet verify") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = gauntlet(t, ".", "verify", "--patch", "testdata/does-not-exist.diff")
	if code != exitError || !strings.Contains(stderr, "does-not-exist.diff") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLookToolOverride: AST_GREP names ast-grep wherever it is; a missing
// file named there is an error, not a fallback to PATH.
func TestLookToolOverride(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "sg")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AST_GREP", bin)
	if p, err := LookTool("ast-grep"); err != nil || p != bin {
		t.Errorf("LookTool(ast-grep) with AST_GREP=%s: %q, %v", bin, p, err)
	}
	t.Setenv("AST_GREP", bin+".missing")
	if p, err := LookTool("ast-grep"); err == nil {
		t.Errorf("LookTool(ast-grep) with a missing AST_GREP: %q, no error", p)
	}
}

// TestLookToolJS: jest is looked up in $GAUNTLET_JS_TOOLS, not on PATH.
func TestLookToolJS(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GAUNTLET_JS_TOOLS", dir)
	if _, err := LookTool("jest"); err == nil {
		t.Error("jest found in an empty GAUNTLET_JS_TOOLS")
	}
	bin := filepath.Join(dir, "node_modules", ".bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "jest"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if p, err := LookTool("jest"); err != nil || p != filepath.Join(bin, "jest") {
		t.Errorf("LookTool(jest): %q, %v", p, err)
	}
}

// TestDeadline: the waits end before the test binary's -timeout would
// panic, and Context ends with them.
func TestDeadline(t *testing.T) {
	end := Deadline(t)
	if d, ok := t.Deadline(); ok && !end.Before(d) {
		t.Errorf("Deadline %v is not before the test's deadline %v", end, d)
	}
	if !end.After(time.Now()) {
		t.Errorf("Deadline %v has passed", end)
	}
	if d, ok := Context(t).Deadline(); !ok || !d.Equal(end) {
		t.Errorf("Context's deadline %v, %v; want %v", d, ok, end)
	}
	ch := make(chan int, 1)
	ch <- 7
	if v := Wait(t, ch, "a value"); v != 7 {
		t.Errorf("Wait: %d", v)
	}
}

// TestWaitExit: WaitExit returns once a process that is not our child
// terminates (here, a grandchild killed by its parent shell), and at once
// for a process already gone.
func TestWaitExit(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 86400 & echo $!; sleep 0.2; kill $!; wait")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Fscan(out, &pid); err != nil {
		t.Fatal(err)
	}
	if !WaitExit(t, pid) {
		t.Errorf("sleep %d still running at the deadline", pid)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if !WaitExit(t, pid) {
		t.Errorf("a reaped process %d is not gone", pid)
	}
}

// TestRunningAndDirFiles: Running is true for this process and false for no
// process; DirFiles yields a directory's files in order of name.
func TestRunningAndDirFiles(t *testing.T) {
	if !Running(os.Getpid()) || Running(-1) {
		t.Errorf("Running: this process %v, pid -1 %v", Running(os.Getpid()), Running(-1))
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "b"), []byte("2"), 0o644)
	os.WriteFile(filepath.Join(dir, "a"), []byte("1"), 0o644)
	var got []string
	for name, content := range DirFiles(t, dir) {
		got = append(got, name+"="+string(content))
	}
	if strings.Join(got, ",") != "a=1,b=2" {
		t.Errorf("DirFiles: %v", got)
	}
}

// TestCopyDir: CopyDir copies a tree, leaving out Python's caches.
func TestCopyDir(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(src, "a", "__pycache__"), 0o755)
	os.WriteFile(filepath.Join(src, "a", "x.py"), []byte("x"), 0o755)
	os.WriteFile(filepath.Join(src, "a", "__pycache__", "x.pyc"), []byte("c"), 0o644)
	CopyDir(t, src, dst)
	if b, err := os.ReadFile(filepath.Join(dst, "a", "x.py")); err != nil || string(b) != "x" {
		t.Errorf("a/x.py: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dst, "a", "__pycache__")); err == nil {
		t.Errorf("__pycache__ copied")
	}
}

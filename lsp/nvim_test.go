package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// TestNeovim drives headless Neovim (0.7's vim.lsp.start_client and
// buf_attach_client) against the built gauntlet binary: a broken Go file and
// a broken Python file show their syntax errors, and the errors clear once
// the buffer is fixed. Neovim is Debian's `neovim` package.
func TestNeovim(t *testing.T) {
	nvim := testenv.NeedTool(t, "nvim")
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gauntlet")
	build := exec.Command("go", "build", "-o", bin, "github.com/gauntlet-dev/gauntlet/cmd/gauntlet")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ws := filepath.Join(dir, "ws")
	os.Mkdir(ws, 0o755)
	write(t, filepath.Join(ws, "broken.go"), "package calc\n\nfunc add(a, b int) int {\n\treturn a +\n}\n")
	write(t, filepath.Join(ws, "broken.py"), "def add(a, b:\n    return a + b\n")
	out := filepath.Join(dir, "result.json")
	script, err := filepath.Abs("testdata/nvim/e2e.lua")
	if err != nil {
		t.Fatal(err)
	}

	// Neovim and the server get what is left of the test's deadline; the
	// script's waits (seven at most, one after the other) a share of it
	// each, so that it still writes what it saw when one runs out.
	limit := waitLimit(t)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, nvim, "--headless", "--clean", "-c", "luafile "+script)
	cmd.Dir = ws
	cmd.Env = append(os.Environ(), "GAUNTLET_BIN="+bin, "GAUNTLET_DIR="+ws, "GAUNTLET_OUT="+out, "HOME="+dir, "XDG_STATE_HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CACHE_HOME="+dir,
		fmt.Sprintf("GAUNTLET_WAIT_MS=%d", (limit/8).Milliseconds()))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	defer func() {
		if cmd.Process != nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the server too, if it outlived nvim
		}
	}()
	started := time.Now()
	combined, err := cmd.CombinedOutput()
	if err != nil {
		saw, _ := os.ReadFile(out) // what it saw before it was stopped, if it wrote it
		t.Fatalf("nvim: %v (after %v of %v)\n%s\nresult: %s", err, time.Since(started).Round(time.Second), limit.Round(time.Second), combined, saw)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("nvim wrote no result: %v\n%s", err, combined)
	}
	var res struct {
		Error          string
		Stopped        bool
		ExitCode       *int   `json:"exit_code"`
		OffsetEncoding string `json:"offset_encoding"`
		Files          []struct {
			File           string
			Filetype       string
			SawErrors      bool `json:"saw_errors"`
			Cleared        bool
			SawErrorsAgain bool `json:"saw_errors_again"`
			Before, After  []struct {
				Line, Col, Severity int
				Message, Source     string
			}
		}
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("result %s: %v", raw, err)
	}
	t.Logf("nvim saw: %s", raw)
	if res.Error != "" {
		t.Fatalf("script failed: %s", res.Error)
	}
	if len(res.Files) != 2 {
		t.Fatalf("results for %d files, want 2", len(res.Files))
	}
	// 0-based lines: for Go, go/parser's (gofmt -e's) verdict, the `}` where an
	// operand was expected; for Python, the unclosed `(`'s line.
	wantLine := map[string]int{"broken.go": 4, "broken.py": 0}
	wantMsg := map[string]string{"broken.go": "expected operand, found '}'", "broken.py": "`"}
	for _, f := range res.Files {
		if !f.SawErrors || len(f.Before) == 0 {
			t.Errorf("%s: no diagnostics in Neovim", f.File)
			continue
		}
		d := f.Before[0]
		if d.Severity != 1 || d.Source != "gauntlet" || d.Line != wantLine[f.File] || !strings.Contains(d.Message, wantMsg[f.File]) {
			t.Errorf("%s: first diagnostic %+v, want an error on line %d", f.File, d, wantLine[f.File])
		}
		if !f.Cleared || len(f.After) != 0 {
			t.Errorf("%s: diagnostics did not clear after the fix: %+v", f.File, f.After)
		}
		if !f.SawErrorsAgain {
			t.Errorf("%s: no diagnostics after breaking the file again", f.File)
		}
	}
	if !res.Stopped || res.ExitCode == nil || *res.ExitCode != 0 {
		t.Errorf("server stopped=%v with status %v, want 0 after shutdown and exit", res.Stopped, res.ExitCode)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
	"github.com/gauntlet-dev/gauntlet/plugins"
	"github.com/gauntlet-dev/gauntlet/server"
)

// TestPluginsListAndCheck runs `gauntlet plugins list|check` on a workspace
// configuring a good plugin pinned by sha256, one without a pin, and three
// that fail (wrong digest, wrong magic cookie, missing).
func TestPluginsListAndCheck(t *testing.T) {
	bin := buildPlugins(t)
	sum, err := plugins.Digest(filepath.Join(bin, "todo-owner"))
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	cfg := fmt.Sprintf(`plugins:
  - name: todo-owner
    path: %[1]s/todo-owner
    sha256: %[2]s
  - name: loose
    path: %[1]s/misbehave
    args: [ok]
  - name: tampered
    path: %[1]s/misbehave
    sha256: %[3]s
  - name: stranger
    path: %[1]s/misbehave
    args: [cookie]
  - name: ghost
    path: bin/ghost
`, bin, sum, strings.Repeat("ab", 32))
	if err := os.WriteFile(filepath.Join(ws, ".gauntlet.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(ws)

	code, stdout, stderr := runIn(t, "plugins", "check")
	if code != exitFindings {
		t.Errorf("check: exit %d, want 1", code)
	}
	for _, want := range []string{
		`(?m)^ok   todo-owner \S+: todo-owner \(sha256 verified\)$`,
		`(?m)^ok   loose \S+: ok-check \(not pinned; to pin it: sha256: [0-9a-f]{64}\)$`,
		`(?m)^FAIL tampered: sha256 of .*misbehave is [0-9a-f]{64}, not the (ab){32} its configuration pins`,
		`(?m)^FAIL stranger: start: exited \(exit status 1\) before its handshake: its magic cookie is not gauntlet's`,
		`(?m)^FAIL ghost: start: .*` + regexp.QuoteMeta(filepath.Join(ws, "bin/ghost")) + `: no such file or directory`,
	} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("check: output lacks %s:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "3 of 5 plugins failed") {
		t.Errorf("check: stderr %q", stderr)
	}

	code, stdout, stderr = runIn(t, "plugins", "list")
	if code != exitOK {
		t.Errorf("list: exit %d; %s", code, stderr)
	}
	for _, want := range []string{
		`(?m)^NAME +VERSION +ANALYZERS +LANGUAGES +STATUS$`,
		`(?m)^todo-owner +\S+ +todo-owner +go,javascript,python +ok$`,
		`(?m)^loose +\S+ +ok-check +go,python +ok$`,
		`(?m)^tampered +- +- +- +failed: sha256 of`,
		`(?m)^ghost +- +- +- +failed: start:`,
	} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("list: output lacks %s:\n%s", want, stdout)
		}
	}
}

// buildPlugins builds the example todo-owner and the misbehave test plugin
// into a temporary directory.
func buildPlugins(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("go", "build", "-o", dir+"/", filepath.Join(pkgDir, "../../plugins/examples/todo-owner"), filepath.Join(pkgDir, "../../plugins/internal/testplugins/misbehave")).CombinedOutput()
	if err != nil {
		t.Fatalf("building plugins: %v\n%s", err, out)
	}
	return dir
}

// What `check` gets from plugins.Load: the plugins' findings beside the
// built-in ones, and a failure naming a plugin that could not run (exit 2).
func TestLoadPlugins(t *testing.T) {
	bin := buildPlugins(t)
	ws := t.TempDir()
	os.WriteFile(filepath.Join(ws, "a.go"), []byte("package a\n\n// TODO: no owner\nfunc f( {}\n"), 0o644)
	cfg := config.Default(ws)
	cfg.Plugins = []config.Plugin{
		{Name: "todo-owner", Path: filepath.Join(bin, "todo-owner"), Timeout: 5 * time.Second},
		{Name: "crasher", Path: filepath.Join(bin, "misbehave"), Args: []string{"panic"}, Timeout: 5 * time.Second},
		{Name: "ghost", Path: filepath.Join(ws, "missing"), Timeout: 5 * time.Second},
	}
	var log strings.Builder
	as, stop, err := plugins.Load(context.Background(), cfg, &log)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	var reported []string
	eng := server.New(
		server.WithAnalyzers(append([]*analysis.Analyzer{syntax.Analyzer}, as...)...),
		server.WithErrorHandler(func(err error) { reported = append(reported, err.Error()) }),
	)
	res, err := eng.Check(context.Background(), analysis.NewSnapshot(ws), []string{"a.go"})
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, d := range res.Diagnostics {
		codes = append(codes, d.Code+"/"+d.Source)
	}
	if strings.Join(codes, " ") != "todo-owner/todo-owner syntax/gauntlet" {
		t.Errorf("findings %v", codes)
	}
	text := strings.Join(reported, "\n")
	if len(res.Errors) != 2 || !strings.Contains(text, "plugin crasher: exited (exit status 2): panic: boom") || !strings.Contains(text, "plugin ghost: start:") {
		t.Errorf("errors %v, reported:\n%s", res.Errors, text)
	}
	if !strings.Contains(log.String(), "crasher: panic: boom") {
		t.Errorf("the plugin's stderr is not in the log:\n%s", log.String())
	}
}

func runIn(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb strings.Builder
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestCheckWithPlugins runs `gauntlet check` on a workspace whose
// .gauntlet.yaml names the example plugin and a plugin that panics: the
// example's findings appear in every format beside the built-in ones, the
// crash is named on stderr, and the exit status is 2.
func TestCheckWithPlugins(t *testing.T) {
	bin := buildPlugins(t)
	ws := t.TempDir()
	files := map[string]string{
		"a.go": "package a\n\n// TODO: no owner\nfunc f() {}\n\n// TODO(ana): owned\nfunc g() {}\n",
		"b.py": "# TODO tidy this\nx = 1\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(ws, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good := fmt.Sprintf("plugins:\n  - name: todo-owner\n    path: %s/todo-owner\n", bin)
	os.WriteFile(filepath.Join(ws, ".gauntlet.yaml"), []byte(good), 0o644)
	t.Chdir(ws)
	for _, format := range []string{"text", "json", "sarif", "rdjson", "github"} {
		code, stdout, stderr := runIn(t, "check", "--format", format)
		if code != exitFindings {
			t.Errorf("%s: exit %d, want 1; stderr: %s", format, code, stderr)
		}
		if n := strings.Count(stdout, "todo-owner"); n < 2 {
			t.Errorf("%s: want both TODO findings, got:\n%s", format, stdout)
		}
		if strings.Contains(stdout, "owned") {
			t.Errorf("%s: TODO(ana) reported:\n%s", format, stdout)
		}
	}
	code, stdout, _ := runIn(t, "check", "--format", "text")
	for _, want := range []string{"a.go:3:", "b.py:1:"} {
		if !strings.Contains(stdout, want) || code != exitFindings {
			t.Errorf("text output lacks %s:\n%s", want, stdout)
		}
	}

	bad := good + fmt.Sprintf("  - name: crasher\n    path: %s/misbehave\n    args: [panic]\n", bin)
	os.WriteFile(filepath.Join(ws, ".gauntlet.yaml"), []byte(bad), 0o644)
	code, stdout, stderr := runIn(t, "check")
	if code != exitError {
		t.Errorf("with a crashing plugin: exit %d, want 2", code)
	}
	if !strings.Contains(stdout, "todo-owner") {
		t.Errorf("the other plugin's findings are missing:\n%s", stdout)
	}
	// The plugin's own stderr is logged under its name; the failure itself
	// is reported once.
	if n := strings.Count(stderr, "gauntlet: analyzer panic-check"); n != 1 || !strings.Contains(stderr, "plugin crasher: exited") {
		t.Errorf("stderr should report the crashed plugin once (got %d):\n%s", n, stderr)
	}

	// A plugin analyzer named like a built-in is refused at start.
	clash := fmt.Sprintf("plugins:\n  - name: clash\n    path: %s/misbehave\n    args: [ok]\n    env: {MISBEHAVE_ANALYZER: syntax}\n", bin)
	os.WriteFile(filepath.Join(ws, ".gauntlet.yaml"), []byte(clash), 0o644)
	if code, _, stderr := runIn(t, "check"); code != exitError || !strings.Contains(stderr, `"syntax" is defined twice`) {
		t.Errorf("name clash: exit %d, stderr %s", code, stderr)
	}
}

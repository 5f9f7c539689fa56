package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/plugins"
)

// TestPluginsListAndCheck runs `gauntlet plugins list|check` on a workspace
// configuring a good plugin pinned by sha256, one without a pin, and three
// that fail (wrong digest, wrong magic cookie, missing).
func TestPluginsListAndCheck(t *testing.T) {
	bin := t.TempDir()
	out, err := exec.Command("go", "build", "-o", bin+"/", "../../plugins/examples/todo-owner", "../../plugins/internal/testplugins/misbehave").CombinedOutput()
	if err != nil {
		t.Fatalf("building plugins: %v\n%s", err, out)
	}
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

func runIn(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb strings.Builder
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

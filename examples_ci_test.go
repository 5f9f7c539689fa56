package gauntlet_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestExampleWorkflowLints: the example GitHub workflow passes actionlint
// with shellcheck on its run: scripts (both pinned in .ci/run).
func TestExampleWorkflowLints(t *testing.T) {
	var tools []string
	for _, tool := range []string{"actionlint", "shellcheck"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not installed (.ci/run installs it)", tool)
			}
			t.Skipf("%s not installed: go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12; apt-get install shellcheck", tool)
		}
		tools = append(tools, p)
	}
	files, _ := filepath.Glob(filepath.Join("examples", "ci", "*.yml"))
	if len(files) == 0 {
		t.Fatal("no workflow in examples/ci")
	}
	// -shellcheck names the binary: without one actionlint skips the scripts.
	out, err := exec.Command(tools[0], append([]string{"-shellcheck", tools[1], "-no-color"}, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("actionlint: %v\n%s", err, out)
	}
}

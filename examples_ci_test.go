package gauntlet_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// TestExampleWorkflowLints: the example GitHub workflow passes actionlint
// with shellcheck on its run: scripts (both pinned in .ci/run).
func TestExampleWorkflowLints(t *testing.T) {
	var tools []string
	for _, tool := range []string{"actionlint", "shellcheck"} {
		tools = append(tools, testenv.NeedTool(t, tool))
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

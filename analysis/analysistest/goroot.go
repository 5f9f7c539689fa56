package analysistest

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// GoRoot returns the root of Go's own tree, whose files tests parse as
// real code. Some are large: on a loaded machine their parse may take
// longer than analysis.ParseTimeout, which such tests do not measure, so
// until the test ends the bound on a parse is its deadline.
func GoRoot(t testing.TB) string {
	t.Helper()
	old := analysis.ParseTimeout
	analysis.ParseTimeout = testenv.Timeout(t)
	t.Cleanup(func() { analysis.ParseTimeout = old })
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	return strings.TrimSpace(string(out))
}

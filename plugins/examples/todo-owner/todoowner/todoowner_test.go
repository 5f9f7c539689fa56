package todoowner_test

import (
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis/analysistest"
	"github.com/gauntlet-dev/gauntlet/plugins/examples/todo-owner/todoowner"
	"github.com/gauntlet-dev/gauntlet/plugins/sdk/sdktest"
)

func TestInProcess(t *testing.T) {
	analysistest.Run(t, "testdata", todoowner.Analyzer)
}

// The same expectations hold through the plugin protocol.
func TestAsPlugin(t *testing.T) {
	ds := analysistest.Run(t, "testdata", sdktest.Analyzers(t, todoowner.Analyzer)...)
	for _, d := range ds {
		if d.Code != "todo-owner" || d.Source != "sdktest" || d.Severity.String() != "warning" {
			t.Errorf("%s:%d: code %q source %q severity %v", d.Path, d.Start, d.Code, d.Source, d.Severity)
		}
	}
}

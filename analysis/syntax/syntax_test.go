package syntax_test

import (
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis/analysistest"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
)

func TestSyntax(t *testing.T) {
	analysistest.Run(t, "testdata", syntax.Analyzer)
}

package report

import (
	"fmt"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// textLine prints path:line:col: severity: message [code], a line a
// diagnostic, with 1-based byte columns as compilers print them.
func textLine(in *Input, d analysis.Diagnostic, r Range) string {
	msg := strings.ReplaceAll(d.Message, "\n", " ")
	return fmt.Sprintf("%s:%d:%d: %s: %s [%s]\n", in.display(d.Path), r.Start.Line, r.Start.Column, d.Severity, msg, d.Code)
}

package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// writeText prints path:line:col: severity: message [code], one per line,
// with 1-based byte columns as compilers print them.
func writeText(w io.Writer, in *Input) error {
	return in.writeLines(w, analysis.UTF8, func(bw io.Writer, d analysis.Diagnostic, r Range) {
		msg := strings.ReplaceAll(d.Message, "\n", " ")
		fmt.Fprintf(bw, "%s:%d:%d: %s: %s [%s]\n", in.display(d.Path), r.Start.Line, r.Start.Column, d.Severity, msg, d.Code)
	})
}

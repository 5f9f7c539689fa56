package report

import (
	"fmt"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// GitHub Actions workflow commands, which the Actions runner turns into
// annotations on the pull request:
//
//	::error file=P,line=L,col=C,endLine=L2,endColumn=C2,title=ID::message
//
// with ::warning for warnings and ::notice for info and hints. Lines are
// 1-based; columns are 1-based Unicode code points. Paths are relative to
// the repository root.
func githubLine(in *Input, d analysis.Diagnostic, r Range) string {
	return fmt.Sprintf("::%s file=%s,line=%d,col=%d,endLine=%d,endColumn=%d,title=%s::%s\n",
		githubLevels.of(d.Severity), escapeProperty(in.repoPath(d.Path)),
		r.Start.Line, r.Start.Column, r.End.Line, r.End.Column,
		escapeProperty(d.Code), escapeData(d.Message))
}

var githubLevels = levels{"error", "warning", "notice"}

// escapeData escapes a command's message as the runner expects
// (toolkit/core's escapeData): %, CR and LF.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a property value (toolkit/core's escapeProperty):
// as escapeData, plus the separators ':' and ','.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

func init() { Register("github", lineFormat(analysis.UTF32, githubLine)) }

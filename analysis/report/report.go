// Package report renders diagnostics in the formats that people and CI tools
// read: text and JSON (gauntlet's own), SARIF, rdjson and GitHub workflow
// commands. Each format converts columns through analysis.Mapper, in the unit
// that format counts.
package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// Input is what every format renders.
type Input struct {
	Diagnostics []analysis.Diagnostic     // sorted
	Files       map[string]*analysis.File // snapshot path -> file, for positions
	Analyzers   []*analysis.Analyzer      // for rule metadata (SARIF)
	// DisplayPath turns a snapshot path into the path printed (relative to the
	// current directory). Nil prints snapshot paths.
	DisplayPath func(string) string
	// RepoPath turns a snapshot path into the path relative to the
	// repository's root, which SARIF and GitHub annotations need. Nil uses
	// DisplayPath.
	RepoPath func(string) string
	// RepoRoot is the repository root as an absolute directory, the base
	// SARIF's relative URIs resolve against; empty leaves it undefined.
	RepoRoot    string
	ToolVersion string
}

// Writer renders an Input.
type Writer func(w io.Writer, in *Input) error

var formats = map[string]Writer{}

// Register adds a format; a duplicate is a programming error.
func Register(name string, f Writer) {
	if formats[name] != nil {
		panic("report: format registered twice: " + name)
	}
	formats[name] = f
}

// Formats lists the registered format names, sorted.
func Formats() []string {
	var out []string
	for n := range formats {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Write renders in in the named format.
func Write(w io.Writer, format string, in *Input) error {
	f := formats[format]
	if f == nil {
		return fmt.Errorf("unknown format %q (want one of %v)", format, Formats())
	}
	return f(w, in)
}

func (in *Input) display(p string) string {
	if in.DisplayPath == nil {
		return p
	}
	return in.DisplayPath(p)
}

// repoPath is a snapshot path relative to the repository root.
func (in *Input) repoPath(p string) string {
	if in.RepoPath == nil {
		return in.display(p)
	}
	return in.RepoPath(p)
}

// Pos is a 1-based line and column.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Range is a pair of 1-based positions.
type Range struct {
	Start Pos `json:"start"`
	End   Pos `json:"end"`
}

// RangeOf converts a byte range of a file into 1-based lines and columns
// counted in enc. Without the file, it returns line 1 column 1.
func (in *Input) RangeOf(path string, start, end int, enc analysis.Encoding) Range {
	f := in.Files[path]
	if f == nil {
		return Range{Pos{1, 1}, Pos{1, 1}}
	}
	m := f.Mapper()
	sl, sc := m.Position(start, enc)
	el, ec := m.Position(end, enc)
	return Range{Pos{sl + 1, sc + 1}, Pos{el + 1, ec + 1}}
}

// lineFormat is a format that prints a line a diagnostic: line's text,
// given the diagnostic's range in enc's columns.
func lineFormat(enc analysis.Encoding, line func(in *Input, d analysis.Diagnostic, r Range) string) Writer {
	return func(w io.Writer, in *Input) error {
		bw := bufio.NewWriter(w)
		for _, d := range in.Diagnostics {
			bw.WriteString(line(in, d, in.RangeOf(d.Path, d.Start, d.End, enc)))
		}
		return bw.Flush()
	}
}

// levels names the severities in a format that has three: error, warning
// (also for a diagnostic without a severity) and the rest.
type levels struct{ error, warning, other string }

func (l levels) of(s analysis.Severity) string {
	switch s {
	case analysis.SeverityError:
		return l.error
	case analysis.SeverityWarning, 0:
		return l.warning
	}
	return l.other
}

func init() {
	Register("text", lineFormat(analysis.UTF8, textLine))
	Register("json", writeJSON)
}

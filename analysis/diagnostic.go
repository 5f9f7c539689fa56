package analysis

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
)

// Severity orders findings; lower is more severe. The values match LSP's
// DiagnosticSeverity so the edge converts without a table.
type Severity int

const (
	SeverityError   Severity = 1
	SeverityWarning Severity = 2
	SeverityInfo    Severity = 3
	SeverityHint    Severity = 4
)

func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	case SeverityInfo:
		return "info"
	case SeverityHint:
		return "hint"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity reads "error", "warning", "info" or "hint".
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(s) {
	case "error":
		return SeverityError, nil
	case "warning":
		return SeverityWarning, nil
	case "info":
		return SeverityInfo, nil
	case "hint":
		return SeverityHint, nil
	}
	return 0, fmt.Errorf("unknown severity %q (want error, warning, info or hint)", s)
}

// Diagnostic is one finding: a byte range of one file, a severity, the id of
// the analyzer or rule that produced it, a message and optional fixes.
type Diagnostic struct {
	Path     string   // slash-separated, relative to the snapshot root
	Start    int      // byte offset
	End      int      // byte offset, >= Start
	Severity Severity // zero means the analyzer's default
	Code     string   // analyzer or rule id
	Source   string   // "gauntlet", or a plugin's name
	Message  string
	URL      string // documentation for Code, if any
	Fixes    []Fix
}

// SortDiagnostics orders diagnostics by path, position, code and message.
func SortDiagnostics(ds []Diagnostic) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		return cmp.Or(
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Start, b.Start),
			cmp.Compare(a.End, b.End),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Message, b.Message),
		) < 0
	})
}

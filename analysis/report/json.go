package report

import (
	"encoding/json"
	"io"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// JSONDiagnostic is one diagnostic in gauntlet's JSON output: paths relative
// to the current directory, 1-based lines, 1-based byte columns.
type JSONDiagnostic struct {
	Path     string    `json:"path"`
	Range    Range     `json:"range"`
	Severity string    `json:"severity"`
	Code     string    `json:"code"`
	Source   string    `json:"source"`
	Message  string    `json:"message"`
	URL      string    `json:"url,omitempty"`
	Fixes    []JSONFix `json:"fixes"`
}

// JSONFix is a fix with its edits.
type JSONFix struct {
	Title string     `json:"title"`
	Edits []JSONEdit `json:"edits"`
}

// JSONEdit is one replacement.
type JSONEdit struct {
	Path    string `json:"path"`
	Range   Range  `json:"range"`
	NewText string `json:"new_text"`
}

// JSONReport is the document `gauntlet check --format json` prints.
type JSONReport struct {
	Diagnostics []JSONDiagnostic `json:"diagnostics"`
}

// ToJSON converts the input to the JSON document's values.
func ToJSON(in *Input) JSONReport {
	out := JSONReport{Diagnostics: []JSONDiagnostic{}}
	for _, d := range in.Diagnostics {
		jd := JSONDiagnostic{
			Path:     in.display(d.Path),
			Range:    in.RangeOf(d.Path, d.Start, d.End, analysis.UTF8),
			Severity: d.Severity.String(),
			Code:     d.Code,
			Source:   d.Source,
			Message:  d.Message,
			URL:      d.URL,
			Fixes:    []JSONFix{},
		}
		for _, f := range d.Fixes {
			jf := JSONFix{Title: f.Title, Edits: []JSONEdit{}}
			for _, e := range f.Edits {
				p := e.Path
				if p == "" {
					p = d.Path
				}
				jf.Edits = append(jf.Edits, JSONEdit{Path: in.display(p), Range: in.RangeOf(p, e.Start, e.End, analysis.UTF8), NewText: e.NewText})
			}
			jd.Fixes = append(jd.Fixes, jf)
		}
		out.Diagnostics = append(out.Diagnostics, jd)
	}
	return out
}

func writeJSON(w io.Writer, in *Input) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(ToJSON(in))
}

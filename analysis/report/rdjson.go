package report

import (
	"encoding/json"
	"io"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// reviewdog's Diagnostic Format (rdjson), which `reviewdog -f=rdjson` reads:
// 1-based lines and 1-based columns counted in UTF-8 bytes, and fixes as
// suggestions (replacements within the diagnostic's file).

// RDJSON is the document `gauntlet check --format rdjson` prints.
type RDJSON struct {
	Source      RDSource       `json:"source"`
	Diagnostics []RDDiagnostic `json:"diagnostics"`
}

// RDSource names the tool.
type RDSource struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

// RDDiagnostic is one finding.
type RDDiagnostic struct {
	Message     string         `json:"message"`
	Location    RDLocation     `json:"location"`
	Severity    string         `json:"severity"`
	Source      *RDSource      `json:"source,omitempty"`
	Code        RDCode         `json:"code"`
	Suggestions []RDSuggestion `json:"suggestions,omitempty"`
}

// RDLocation is a file and a range of it.
type RDLocation struct {
	Path  string `json:"path"`
	Range Range  `json:"range"`
}

// RDCode is the rule id and its documentation.
type RDCode struct {
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

// RDSuggestion replaces a range of the diagnostic's file with text.
type RDSuggestion struct {
	Range Range  `json:"range"`
	Text  string `json:"text"`
}

// ToRDJSON converts the input to reviewdog's format.
func ToRDJSON(in *Input) RDJSON {
	out := RDJSON{Source: RDSource{Name: "gauntlet", URL: toolURI}, Diagnostics: []RDDiagnostic{}}
	for _, d := range in.Diagnostics {
		rd := RDDiagnostic{
			Message:  d.Message,
			Location: RDLocation{Path: in.display(d.Path), Range: in.RangeOf(d.Path, d.Start, d.End, analysis.UTF8)},
			Severity: rdSeverities.of(d.Severity),
			Code:     RDCode{Value: d.Code, URL: d.URL},
		}
		if d.Source != "" && d.Source != "gauntlet" {
			rd.Source = &RDSource{Name: d.Source}
		}
		// reviewdog applies suggestions to the diagnostic's file only: take
		// the first fix that stays within it.
		for _, f := range d.Fixes {
			var sugg []RDSuggestion
			for _, e := range f.Edits {
				if e.Path != "" && e.Path != d.Path {
					sugg = nil
					break
				}
				sugg = append(sugg, RDSuggestion{Range: in.RangeOf(d.Path, e.Start, e.End, analysis.UTF8), Text: e.NewText})
			}
			if len(sugg) > 0 {
				rd.Suggestions = sugg
				break
			}
		}
		out.Diagnostics = append(out.Diagnostics, rd)
	}
	return out
}

var rdSeverities = levels{"ERROR", "WARNING", "INFO"}

func writeRDJSON(w io.Writer, in *Input) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(ToRDJSON(in))
}

func init() { Register("rdjson", writeRDJSON) }

package workspace

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis/patch"
	"github.com/gauntlet-dev/gauntlet/analysis/report"
	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/loop"
)

// writeFixRDJSON writes the verified patch of a fix run as reviewdog
// diagnostics with suggestions (rdjson), which `reviewdog -f=rdjson
// -reporter=github-pr-review` posts as review suggestions a person accepts
// with one click. Each change of the patch is one diagnostic on the lines
// it replaces (GitHub suggests whole lines: an insertion carries the line
// before it, or after it at a file's start); its message names the
// problems the accepted edits fixed in that file and the gates they
// passed. Paths are relative to the repository's top, as the patch's.
func writeFixRDJSON(w io.Writer, out api.FixDocument) error {
	doc, err := fixRDJSON(out)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func fixRDJSON(out api.FixDocument) (report.RDJSON, error) {
	doc := report.RDJSON{Source: report.RDSource{Name: "gauntlet fix", URL: "https://github.com/gauntlet-dev/gauntlet"}, Diagnostics: []report.RDDiagnostic{}}
	if out.Patch == "" {
		return doc, nil
	}
	files, err := patch.Parse([]byte(out.Patch))
	if err != nil {
		return doc, fmt.Errorf("reading the verified patch: %v", err)
	}
	for _, f := range files {
		if f.Status == patch.Deleted || f.Status == patch.Added || f.Binary {
			continue // a suggestion changes lines of a file the pull request has
		}
		msg := fixMessage(out, f.NewPath)
		for _, h := range f.Hunks {
			for _, s := range hunkSuggestions(h) {
				doc.Diagnostics = append(doc.Diagnostics, report.RDDiagnostic{
					Message:     msg,
					Location:    report.RDLocation{Path: f.NewPath, Range: s.Range},
					Severity:    "INFO",
					Code:        report.RDCode{Value: "gauntlet-fix"},
					Suggestions: []report.RDSuggestion{s},
				})
			}
		}
	}
	return doc, nil
}

// fixMessage says which problems the accepted edits fixed in path.
func fixMessage(out api.FixDocument, path string) string {
	var lines []string
	for i, p := range out.Problems {
		if p.Status != loop.Fixed || !strings.HasSuffix("/"+path, "/"+p.Path) {
			continue
		}
		for _, a := range out.Attempts {
			if a.Problem == i+1 && a.Accepted {
				lines = append(lines, fmt.Sprintf("- %s (%s; %s)", p.String(), a.Source, a.PassedGates()))
			}
		}
	}
	if len(lines) == 0 {
		return "Verified fix by gauntlet (the edit passed every gate)."
	}
	return "Verified fix by gauntlet:\n" + strings.Join(lines, "\n")
}

// hunkSuggestions turns each run of changed lines of a hunk into a
// whole-line suggestion (lines 1-based, the end line included).
func hunkSuggestions(h patch.Hunk) []report.RDSuggestion {
	var out []report.RDSuggestion
	old := h.OldStart
	if h.OldLines == 0 {
		old++
	}
	var prev string // the context line before the run
	havePrev := false
	for i := 0; i < len(h.Lines); {
		l := h.Lines[i]
		if l[0] == ' ' {
			prev, havePrev = l[1:], true
			old++
			i++
			continue
		}
		start := old
		var added []string
		for i < len(h.Lines) && h.Lines[i][0] != ' ' {
			switch h.Lines[i][0] {
			case '-':
				old++
			case '+':
				added = append(added, h.Lines[i][1:])
			}
			i++
		}
		switch {
		case old > start: // lines replaced or deleted
			out = append(out, wholeLines(start, old-1, strings.Join(added, "\n")))
		case havePrev: // an insertion after the line before
			out = append(out, wholeLines(start-1, start-1, strings.Join(append([]string{prev}, added...), "\n")))
		case i < len(h.Lines): // an insertion before the next line
			next := h.Lines[i][1:]
			out = append(out, wholeLines(start, start, strings.Join(append(added, next), "\n")))
		}
	}
	return out
}

func wholeLines(first, last int, text string) report.RDSuggestion {
	return report.RDSuggestion{Range: report.Range{Start: report.Pos{Line: first}, End: report.Pos{Line: last}}, Text: text}
}

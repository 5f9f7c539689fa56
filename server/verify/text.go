package verify

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Summary is the verdict in one line: "accepted (5 gates passed) in 1.2s"
// or "rejected by tests: 1 of 3 selected tests failed: calc.TestAdd".
func (v *Verdict) Summary() string {
	d := (time.Duration(v.Duration) * time.Millisecond).Round(10 * time.Millisecond)
	if v.Accepted {
		n := 0
		for _, g := range v.Gates {
			if !g.Skipped {
				n++
			}
		}
		return fmt.Sprintf("accepted: %d gate%s passed in %v (sandbox: %s)", n, plural(n), d, v.Sandbox)
	}
	if g := v.Failed(); g != nil {
		verb := "rejected by"
		if g.Error != "" {
			verb = "not verified: error in"
		}
		return fmt.Sprintf("%s %s: %s (%v, sandbox: %s)", verb, g.Name, g.Detail, d, v.Sandbox)
	}
	return "rejected"
}

// WriteText writes the verdict for a person: the summary, then each gate
// with its evidence.
func (v *Verdict) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", v.Summary())
	for _, g := range v.Gates {
		status := "ok  "
		switch {
		case g.Skipped:
			status = "skip"
		case g.Error != "":
			status = "ERR "
		case !g.OK:
			status = "FAIL"
		}
		dur := ""
		if !g.Skipped {
			dur = fmt.Sprintf(" (%dms)", g.Duration)
		}
		fmt.Fprintf(&b, "%s %-9s %s%s\n", status, g.Name, g.Detail, dur)
		indent := "     "
		for _, r := range g.Refused {
			fmt.Fprintf(&b, "%s%s: %s\n", indent, r.Path, r.Reason)
		}
		for _, f := range g.Findings {
			fmt.Fprintf(&b, "%s%s:%d:%d: %s: %s [%s]\n", indent, f.Path, f.Line, f.Column, f.Severity, f.Message, f.Code)
		}
		for _, e := range g.AnalyzerErrors {
			fmt.Fprintf(&b, "%sanalyzer failed: %s\n", indent, e)
		}
		for _, f := range g.Errors {
			fmt.Fprintf(&b, "%s%s:%d:%d: %s\n", indent, f.Path, f.Line, f.Column, f.Message)
		}
		for _, f := range g.PreexistingErrors {
			fmt.Fprintf(&b, "%s(before the edit too) %s:%d:%d: %s\n", indent, f.Path, f.Line, f.Column, f.Message)
		}
		var ids, outs []string
		for _, t := range g.Failed {
			ids, outs = append(ids, t.ID), append(outs, t.Output)
		}
		for i, o := range DedupeOutputs(ids, outs) {
			fmt.Fprintf(&b, "%sFAIL %s\n", indent, ids[i])
			writeIndented(&b, indent+"     ", o)
		}
		for _, t := range g.Preexisting {
			fmt.Fprintf(&b, "%sfailed before the edit too: %s\n", indent, t.ID)
		}
		for _, u := range g.Uncovered {
			fmt.Fprintf(&b, "%snot run by any test: %s\n", indent, u)
		}
		if !g.OK && g.Output != "" && len(g.Errors) == 0 {
			writeIndented(&b, indent, g.Output)
		}
	}
	v.writeTestsChanged(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeIndented(b *strings.Builder, indent, s string) {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return
	}
	for _, l := range strings.Split(s, "\n") {
		fmt.Fprintf(b, "%s%s\n", indent, l)
	}
}

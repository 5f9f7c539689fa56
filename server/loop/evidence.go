package loop

// This file turns verdicts into what the next request tells the model, and
// decides whether an accepted edit really removed its problem.

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
	"github.com/gauntlet-dev/gauntlet/server/prompt"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// maxOutput bounds one piece of build output in the evidence.
const maxOutput = 3000

// evidenceOf is the rejected attempt as the next request shows it: only
// what the failing gate found new.
func evidenceOf(answer string, g *verify.Gate) *prompt.Attempt {
	a := &prompt.Attempt{Answer: answer, Gate: g.Name}
	switch g.Name {
	case verify.GateApply:
		var lines []string
		for _, r := range g.Refused {
			lines = append(lines, r.Path+": "+r.Reason)
		}
		if len(lines) == 0 {
			lines = append(lines, g.Detail)
		}
		a.Error = strings.Join(lines, "\n")
	case verify.GateParse, verify.GateAnalyzers:
		for _, f := range g.Findings {
			a.Findings = append(a.Findings, toFinding(f))
		}
		if len(a.Findings) == 0 {
			a.Error = g.Detail
		}
	case verify.GateBuild:
		var b strings.Builder
		b.WriteString(g.Detail)
		for _, e := range g.Errors {
			fmt.Fprintf(&b, "\n%s:%d:%d: %s", e.Path, e.Line, e.Column, e.Message)
		}
		if len(g.Errors) == 0 && strings.TrimSpace(g.Output) != "" {
			out := g.Output
			if len(out) > maxOutput {
				out = out[:maxOutput] + "\n…"
			}
			b.WriteString("\n" + out)
		}
		a.Error = b.String()
	case verify.GateTests:
		var ids, outs []string
		for _, t := range g.Failed {
			ids, outs = append(ids, t.ID), append(outs, t.Output)
		}
		outs = verify.DedupeOutputs(ids, outs) // each function's code once
		for i, t := range g.Failed {
			a.Tests = append(a.Tests, prompt.Test{Name: t.ID, Path: t.File, Failed: true, Output: outs[i]})
		}
		if len(a.Tests) == 0 {
			a.Error = g.Detail
		}
	case verify.GateCoverage:
		var b strings.Builder
		b.WriteString(g.Detail)
		if len(g.Uncovered) > 0 {
			b.WriteString("\nNo test runs these changed lines; do not add code that the tests do not need:")
			for _, u := range g.Uncovered {
				b.WriteString("\n" + u.String())
			}
		}
		a.Detail = b.String()
	default:
		a.Error = g.Detail
	}
	return a
}

func toFinding(f verify.Finding) prompt.Finding {
	sev, err := analysis.ParseSeverity(f.Severity)
	if err != nil {
		sev = analysis.SeverityError
	}
	return prompt.Finding{Path: f.Path, Line: f.Line, Column: f.Column, Severity: sev, Code: f.Code, Message: f.Message}
}

// checkFixed is the loop's last gate: the problem the edit was for is gone.
// A finding must no longer be reported; a failing test must have run and
// passed in the tests gate. An instruction has no such check.
func (r *runner) checkFixed(ctx context.Context, a *Attempt, p *Problem, g *verify.Gate) {
	switch p.Kind {
	case KindInstruction:
		g.OK, g.Detail = true, "an instruction: the gates are the check"
	case KindDiagnostic:
		r.checkFinding(ctx, a, p, g)
	case KindTest:
		checkTest(a, p, g)
	}
}

func (r *runner) checkFinding(ctx context.Context, a *Attempt, p *Problem, g *verify.Gate) {
	d := p.Diagnostic
	if d == nil || r.opts.Analyzers == nil {
		g.OK, g.Detail = true, "not checked: no analyzers"
		return
	}
	before, err := r.cur.File(p.Path)
	if err != nil {
		g.OK, g.Detail = true, "not checked: "+err.Error()
		return
	}
	after := before
	if es := analysis.EditsByPath(a.Edits)[p.Path]; len(es) > 0 {
		data, err := analysis.ApplyEdits(before.Content, es)
		if err != nil {
			g.Detail = err.Error()
			return
		}
		after = analysis.NewFileLang(p.Path, data, 0, before.Lang)
	}
	same := func(f *analysis.File) []analysis.Diagnostic {
		ds, _ := r.opts.Analyzers.AnalyzeFile(ctx, f)
		var out []analysis.Diagnostic
		for _, x := range ds {
			if x.Code == d.Code && x.Message == d.Message {
				out = append(out, x)
			}
		}
		return out
	}
	was, still := same(before), same(after)
	if len(still) < len(was) || len(was) == 0 {
		g.OK, g.Detail = true, fmt.Sprintf("the finding %s is no longer reported", d.Code)
		return
	}
	// The one left nearest the problem's place, for the evidence.
	at := shiftThrough(d.Start, a.Edits, p.Path)
	sort.SliceStable(still, func(i, j int) bool { return abs(still[i].Start-at) < abs(still[j].Start-at) })
	f := prompt.NewFinding(after, still[0])
	g.Detail = "the finding is still reported: " + f.String()
	g.Findings = []verify.Finding{{Path: f.Path, Line: f.Line, Column: f.Column, Severity: f.Severity.String(), Code: f.Code, Message: f.Message}}
	a.evidence = &prompt.Attempt{Answer: a.Answer, Gate: GateFixed,
		Error:    "The edit passed every gate, but it does not fix the problem: the finding is still reported.",
		Findings: []prompt.Finding{f}}
}

func checkTest(a *Attempt, p *Problem, g *verify.Gate) {
	tg := a.Verdict.Gate(verify.GateTests)
	switch {
	case tg == nil || tg.Skipped:
		g.Detail = fmt.Sprintf("the tests gate did not run (loop.gates), so it is unknown whether %s passes now", p.Test)
		a.evidence = &prompt.Attempt{Answer: a.Answer, Gate: GateFixed, Error: g.Detail}
		return
	}
	for _, list := range [][]testrun.Failure{tg.Failed, tg.Preexisting} {
		for _, t := range list {
			if t.ID == p.Test {
				g.Detail = fmt.Sprintf("%s still fails", p.Test)
				a.evidence = &prompt.Attempt{Answer: a.Answer, Gate: GateFixed,
					Error: "The edit passed every gate, but the test it was meant to fix still fails.",
					Tests: []prompt.Test{{Name: t.ID, Path: t.File, Failed: true, Output: t.Output}}}
				return
			}
		}
	}
	if !slices.Contains(tg.Selected, p.Test) {
		g.Detail = fmt.Sprintf("the edit does not change code that %s runs", p.Test)
		a.evidence = &prompt.Attempt{Answer: a.Answer, Gate: GateFixed,
			Error: fmt.Sprintf("The edit passed every gate, but it changes no code that %s runs, so the test still fails. Fix the code the test exercises.", p.Test)}
		return
	}
	g.OK, g.Detail = true, fmt.Sprintf("%s passes", p.Test)
}

// passed reports whether verdict v shows test id passing.
func passed(v *verify.Verdict, id string) bool {
	if v == nil {
		return false
	}
	tg := v.Gate(verify.GateTests)
	if tg == nil || tg.Skipped || !slices.Contains(tg.Selected, id) {
		return false
	}
	for _, list := range [][]testrun.Failure{tg.Failed, tg.Preexisting} {
		for _, t := range list {
			if t.ID == id {
				return false
			}
		}
	}
	return true
}

// candidate is an analyzer's fix offered to the loop when there is no model.
type candidate struct {
	source string
	fix    analysis.Fix
}

// sourceOf names who proposed a diagnostic's fixes: "rule:ID" for built-in
// analyzers and rules, "plugin:NAME" for a plugin's.
func sourceOf(d analysis.Diagnostic) string {
	if d.Source == "" || strings.HasPrefix(d.Source, "gauntlet") {
		return "rule:" + d.Code
	}
	return "plugin:" + d.Source
}

// fixes are the analyzers' own fixes for p: the finding's, or, for a
// failing test, those of the findings in the code the test runs.
func (r *runner) fixes(ctx context.Context, p *Problem) []candidate {
	if r.opts.Model != nil {
		return nil
	}
	var out []candidate
	seen := map[string]bool{}
	add := func(d analysis.Diagnostic) {
		for _, f := range d.Fixes {
			if len(f.Edits) == 0 {
				continue
			}
			key := fmt.Sprint(f.Edits)
			if seen[key] {
				continue
			}
			seen[key] = true
			if f.Title == "" {
				f.Title = "fix " + d.Code
			}
			out = append(out, candidate{source: sourceOf(d), fix: f})
		}
	}
	switch p.Kind {
	case KindDiagnostic:
		if p.Diagnostic != nil {
			add(*p.Diagnostic)
		}
	case KindTest:
		if r.opts.Analyzers == nil {
			return nil
		}
		for _, file := range r.testedFiles(ctx, p) {
			f, err := r.cur.File(file)
			if err != nil {
				continue
			}
			ds, _ := r.opts.Analyzers.AnalyzeFile(ctx, f)
			for _, d := range ds {
				if d.Severity <= analysis.SeverityWarning && r.testRuns(ctx, p, f, d) {
					add(d)
				}
			}
		}
	}
	return out
}

// testedFiles are the files a failing test's problem concerns: its own
// place and the non-test files the test runs.
func (r *runner) testedFiles(ctx context.Context, p *Problem) []string {
	files := []string{p.Path}
	if m := r.testCtx().mapFor(ctx, p.Path); m != nil && m.Tests[p.Test] != nil {
		for file := range m.Tests[p.Test].Covers {
			if !testrun.IsTestFile(file) && !slices.Contains(files, file) {
				files = append(files, file)
			}
		}
	}
	sort.Strings(files[1:])
	return files
}

// testRuns reports whether finding d of f lies in the problem's range or
// in code the failing test ran.
func (r *runner) testRuns(ctx context.Context, p *Problem, f *analysis.File, d analysis.Diagnostic) bool {
	if f.Path == p.Path && d.Start < p.End && d.End >= p.Start {
		return true
	}
	m := r.testCtx().mapFor(ctx, f.Path)
	if m == nil || m.Tests[p.Test] == nil {
		return false
	}
	line := f.Mapper().Line(d.Start) + 1
	for _, bi := range m.Tests[p.Test].Covers[f.Path] {
		if bi < len(m.Files[f.Path]) {
			b := m.Files[f.Path][bi]
			if b.StartLine <= line && line <= b.EndLine {
				return true
			}
		}
	}
	return false
}

// sweep runs after an accepted attempt (1-based index n in Attempts): the
// problems after pi that the edit also removed are marked fixed-earlier,
// and the others are moved to the new snapshot's offsets.
func (r *runner) sweep(ctx context.Context, pi int, a *Attempt, n int) {
	for _, p := range r.res.Problems[pi+1:] {
		if p.Status != "" {
			continue
		}
		if !p.mapped {
			p.origStart, p.origEnd, p.mapped = p.Start, p.End, true
		}
		p.Start = shiftThrough(p.Start, a.Edits, p.Path)
		p.End = max(shiftThrough(p.End, a.Edits, p.Path), p.Start)
		switch p.Kind {
		case KindTest:
			if passed(a.Verdict, p.Test) {
				p.Status, p.FixedBy = FixedEarlier, n
			}
		case KindDiagnostic:
			if !r.stillReported(ctx, p) {
				p.Status, p.FixedBy = FixedEarlier, n
			}
		}
		if f, err := r.cur.File(p.Path); err == nil {
			p.place(f)
		}
	}
}

// stillReported finds p's finding again in the current snapshot, near its
// moved place, and takes its new offsets and fixes.
func (r *runner) stillReported(ctx context.Context, p *Problem) bool {
	d := p.Diagnostic
	if d == nil || r.opts.Analyzers == nil {
		return true
	}
	f, err := r.cur.File(p.Path)
	if err != nil {
		return false
	}
	ds, _ := r.opts.Analyzers.AnalyzeFile(ctx, f)
	best := -1
	for i, x := range ds {
		if x.Code == d.Code && x.Message == d.Message && (best < 0 || abs(x.Start-p.Start) < abs(ds[best].Start-p.Start)) {
			best = i
		}
	}
	if best < 0 {
		return false
	}
	nd := ds[best]
	p.Diagnostic, p.Start, p.End = &nd, nd.Start, nd.End
	return true
}

// shiftThrough maps an offset of path's content before edits to the
// content after them; an offset inside a replaced range moves to its start.
func shiftThrough(off int, edits []analysis.TextEdit, path string) int {
	es := analysis.EditsByPath(edits)[path]
	sort.Slice(es, func(i, j int) bool { return es[i].Start < es[j].Start })
	delta := 0
	for _, e := range es {
		switch {
		case e.End <= off && e.Start < off || e.End < off:
			delta += len(e.NewText) - (e.End - e.Start)
		case e.Start < off:
			return e.Start + delta
		default:
			return off + delta
		}
	}
	return off + delta
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

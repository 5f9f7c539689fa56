package verify

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
)

// parse is the second gate: the changed files have no syntax errors that
// they did not have before.
func (r *run) parse(ctx context.Context, g *Gate) {
	check := AnalyzerFunc(func(ctx context.Context, f *analysis.File) ([]analysis.Diagnostic, []error) {
		return analysis.Run(ctx, f, []*analysis.Analyzer{syntax.Analyzer})
	})
	res, err := r.newFindings(ctx, check, 0)
	if err != nil {
		broken(g, err)
		return
	}
	if len(res.errs) > 0 {
		broken(g, res.errs[0])
		return
	}
	r.report(g, res.fresh, fmt.Sprintf("%d file%s parsed; no new syntax errors", res.files, plural(res.files)), "syntax error")
}

// analyzers is the third gate: the changed files have no new findings at or
// above the fail_on severity. Findings that were there before the edit and
// only moved do not count.
func (r *run) analyzers(ctx context.Context, g *Gate) {
	if r.opts.Analyzers == nil {
		g.OK, g.Detail = true, "no analyzers configured"
		return
	}
	threshold := r.opts.FailOn
	if threshold == 0 {
		threshold = analysis.SeverityWarning
	}
	res, err := r.newFindings(ctx, r.opts.Analyzers, threshold)
	if err != nil {
		broken(g, err)
		return
	}
	for _, e := range res.errs {
		if !errors.Is(e, context.Canceled) {
			g.AnalyzerErrors = append(g.AnalyzerErrors, e.Error())
		}
	}
	r.report(g, res.fresh, fmt.Sprintf("%d file%s analysed; no new findings at or above %s", res.files, plural(res.files), threshold), "finding")
}

// report fills g from the new findings.
func (r *run) report(g *Gate, fresh []analysis.Diagnostic, okDetail, noun string) {
	g.Diagnostics = fresh
	for _, d := range fresh {
		g.Findings = append(g.Findings, r.finding(d))
	}
	if len(fresh) == 0 {
		g.OK, g.Detail = true, okDetail
		return
	}
	f := g.Findings[0]
	fail(g, "%d new %s%s; first %s:%d:%d: %s", len(fresh), noun, plural(len(fresh)), f.Path, f.Line, f.Column, f.Message)
}

// finding places a diagnostic of the snapshot after the edit.
func (r *run) finding(d analysis.Diagnostic) Finding {
	out := Finding{Path: d.Path, Severity: d.Severity.String(), Code: d.Code, Message: d.Message}
	if f, err := r.after.File(d.Path); err == nil {
		m := f.Mapper()
		out.Line = m.Line(d.Start) + 1
		out.Column = d.Start - m.LineStart(out.Line-1) + 1
	}
	return out
}

type findings struct {
	fresh []analysis.Diagnostic // new at or above the threshold, on files after the edit
	errs  []error               // analyzers that failed on a changed file
	files int                   // files analysed
}

// newFindings runs a on every changed file before and after the edit and
// returns the findings (at or above threshold; 0 means all) that the edit
// brings. A finding matches one from before by code, message and the
// normalised text of its line, not by position: moved findings are old.
func (r *run) newFindings(ctx context.Context, a Analyzer, threshold analysis.Severity) (*findings, error) {
	out := &findings{}
	for _, c := range r.changes {
		if c.newPath == "" {
			continue
		}
		after, err := r.after.File(c.newPath)
		if err != nil {
			return nil, err
		}
		if after.Lang == nil {
			continue
		}
		out.files++
		now, errs := a.AnalyzeFile(ctx, after)
		out.errs = append(out.errs, errs...)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		before := map[string]int{}
		if c.oldPath != "" {
			if old, err := r.base.File(c.oldPath); err == nil && old.Lang != nil {
				ds, _ := a.AnalyzeFile(ctx, old)
				for _, d := range ds {
					if counts(d, threshold) {
						before[key(old, d)]++
					}
				}
			}
		}
		for _, d := range now {
			if !counts(d, threshold) {
				continue
			}
			k := key(after, d)
			if before[k] > 0 {
				before[k]--
				continue
			}
			out.fresh = append(out.fresh, d)
		}
	}
	analysis.SortDiagnostics(out.fresh)
	sort.SliceStable(out.errs, func(i, j int) bool { return out.errs[i].Error() < out.errs[j].Error() })
	return out, nil
}

func counts(d analysis.Diagnostic, threshold analysis.Severity) bool {
	return threshold == 0 || (d.Severity != 0 && d.Severity <= threshold)
}

// key identifies a finding across an edit: its code, its message and the
// text of the line it starts on, with runs of white space made one.
func key(f *analysis.File, d analysis.Diagnostic) string {
	m := f.Mapper()
	start, end := m.LineRange(m.Line(d.Start))
	text := strings.Join(strings.Fields(string(f.Content[start:end])), " ")
	return d.Code + "\x00" + d.Message + "\x00" + text
}

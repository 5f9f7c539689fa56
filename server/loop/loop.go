// Package loop provides the closed loop of gauntlet: for each problem (a
// finding, a failing test, or an instruction about a range), it asks a model
// for an edit, verifies the edit on a shadow snapshot (package
// server/verify), and, when a gate rejects it, asks again with the evidence,
// a bounded number of times; the first accepted edit wins. With no model,
// the same loop runs over the analyzers' own fixes, so fixing works offline.
//
// A model's answer is data: it is parsed for SEARCH/REPLACE blocks or
// diffs and verified, never executed, and paths that leave the workspace
// are refused. Nothing here writes the user's files: the Result holds the
// accepted changes and a patch, and the caller decides (gauntlet fix
// --apply, the editor's workspace/applyEdit).
//
// The engine (server.Engine.Fix), `gauntlet fix` and the LSP's gauntlet.fix
// call Run:
//
//	problems, _ := loop.Find(ctx, snap, files, opts)
//	res, err := loop.Run(ctx, snap, problems, opts)
//	fmt.Print(res.Patch)
package loop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/patch"
	"github.com/gauntlet-dev/gauntlet/server/model"
	"github.com/gauntlet-dev/gauntlet/server/prompt"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// DefaultMaxAttempts bounds the attempts per problem when
// Options.MaxAttempts is 0.
const DefaultMaxAttempts = 3

// GateFixed is the gate the loop adds after verify's: the problem is gone
// (the finding is no longer reported, the failing test passes).
const GateFixed = "fixed"

// Options configure a run of the loop.
type Options struct {
	// Model proposes edits; nil means no model: the candidates are then the
	// analyzers' own fixes.
	Model model.Model
	// Analyzers runs the workspace's analyzers (the engine). It finds the
	// diagnostics, and tells whether a finding is gone after an edit.
	Analyzers verify.Analyzer
	// Verify configures the gates; its Analyzers defaults to Analyzers.
	Verify verify.Options
	// MaxAttempts bounds the attempts per problem (0: DefaultMaxAttempts).
	MaxAttempts int
	// Budget is the token budget of one request (0: prompt.DefaultBudget).
	Budget int
	// Progress, if set, hears what the loop does (from one goroutine).
	Progress func(analysis.Progress)
	// PathPrefix is put before the paths of the diffs the loop writes (the
	// workspace's directory inside its repository, so that git apply at
	// the repository's top takes the patch); "" for none.
	PathPrefix string
	// Verifier replaces verify.Verify (tests, benchmarks).
	Verifier func(ctx context.Context, base *analysis.Snapshot, edit verify.Edit, opts verify.Options) (*verify.Verdict, error)
}

func (o *Options) maxAttempts() int {
	if o.MaxAttempts > 0 {
		return o.MaxAttempts
	}
	return DefaultMaxAttempts
}

// Status is a problem's outcome. Its values are part of `gauntlet fix
// --format json`.
type Status string

const (
	Fixed        Status = "fixed"         // an attempt of this problem was accepted
	FixedEarlier Status = "fixed-earlier" // an earlier problem's fix removed it too
	NotFixed     Status = "not-fixed"     // no attempt was accepted
	Errored      Status = "error"         // the loop could not work on it
)

// Kind is what sort of problem a Problem is.
type Kind string

const (
	KindDiagnostic  Kind = "diagnostic"
	KindTest        Kind = "test"
	KindInstruction Kind = "instruction"
)

// Problem is one thing to fix. Its JSON form is part of `gauntlet fix
// --format json`.
type Problem struct {
	Kind Kind   `json:"kind"`
	Path string `json:"path"` // the file the problem is in: for a failing test, the code it tests (or the test)
	// Start and End are the problem's byte range in Path's content.
	Start int `json:"-"`
	End   int `json:"-"`
	// Line and Column place Start for people (1-based; the column counts
	// bytes); Find and Run fill them in.
	Line   int `json:"line"`
	Column int `json:"column"`

	// A finding: the diagnostic (with its fixes) and its summary.
	Diagnostic *analysis.Diagnostic `json:"-"`
	Code       string               `json:"code,omitempty"`
	Severity   string               `json:"severity,omitempty"`
	Message    string               `json:"message,omitempty"`

	// A failing test: its id, where it is declared, and its output.
	Test     string `json:"test,omitempty"`
	TestFile string `json:"test_file,omitempty"`
	TestLine int    `json:"test_line,omitempty"`
	Output   string `json:"output,omitempty"`

	// What the user asked, for KindInstruction.
	Instruction string `json:"instruction,omitempty"`

	// The outcome, filled in by Run; "" when Run did not reach it.
	Status  Status `json:"status"`
	FixedBy int    `json:"fixed_by,omitempty"`
	// Note says why nothing was attempted, if so.
	Note string `json:"note,omitempty"` // 1-based index of the accepted attempt in Result.Attempts

	// The range in the snapshot Run started from, once an accepted edit
	// has moved Start and End (the per-test map describes that snapshot).
	origStart, origEnd int
	mapped             bool
}

func (p *Problem) String() string {
	switch p.Kind {
	case KindTest:
		return fmt.Sprintf("test %s fails", p.Test)
	case KindInstruction:
		return fmt.Sprintf("%s:%d: %s", p.Path, p.Line, firstLine(p.Instruction))
	}
	code := ""
	if p.Code != "" {
		code = " [" + p.Code + "]"
	}
	return fmt.Sprintf("%s:%d:%d: %s%s %s", p.Path, p.Line, p.Column, p.Severity, code, p.Message)
}

// NewDiagnosticProblem is the problem of fixing finding d of f.
func NewDiagnosticProblem(f *analysis.File, d analysis.Diagnostic) Problem {
	p := Problem{Kind: KindDiagnostic, Path: f.Path, Start: d.Start, End: d.End, Diagnostic: &d,
		Code: d.Code, Severity: d.Severity.String(), Message: d.Message}
	p.place(f)
	return p
}

// NewInstructionProblem is the problem of doing what the user asked about
// the range [start, end) of f.
func NewInstructionProblem(f *analysis.File, start, end int, instruction string) Problem {
	p := Problem{Kind: KindInstruction, Path: f.Path, Start: start, End: end, Instruction: instruction}
	p.place(f)
	return p
}

func (p *Problem) place(f *analysis.File) {
	line, col := f.Mapper().Position(min(max(p.Start, 0), len(f.Content)), analysis.UTF8)
	p.Line, p.Column = line+1, col+1
}

// Attempt is one proposed edit and its verdict. Its JSON form is part of
// `gauntlet fix --format json`.
type Attempt struct {
	Problem int    `json:"problem"` // 1-based index into Result.Problems
	N       int    `json:"attempt"` // 1-based, within the problem
	Source  string `json:"source"`  // "model", "rule:ID" or "plugin:NAME"
	Title   string `json:"title,omitempty"`
	// Answer is the model's answer as it came (data, never executed).
	Answer string `json:"answer,omitempty"`
	// Edit is the edit as a unified diff against the snapshot it was
	// verified on; "" when it did not parse or apply.
	Edit string `json:"edit"`
	// Edits are the edit's byte-offset text edits of that snapshot.
	Edits    []analysis.TextEdit `json:"-"`
	Gates    []*verify.Gate      `json:"gates"`
	Accepted bool                `json:"accepted"`
	// Reason is why the edit was rejected, in one line.
	Reason string `json:"reason,omitempty"`
	// Error is what kept the attempt from a verdict (the model failed, a
	// gate could not run): not the edit's fault.
	Error string `json:"error,omitempty"`
	// Duration is the attempt's wall time; Model the part spent waiting
	// for the model. The loop's own cost is the difference.
	Duration time.Duration `json:"-"`
	Model    time.Duration `json:"-"`

	// Verdict is verify's answer (nil when the edit did not get that far).
	Verdict *verify.Verdict `json:"-"`
	// Base is the snapshot the edit was made against.
	Base *analysis.Snapshot `json:"-"`

	evidence *prompt.Attempt
}

// PassedGates names the gates the attempt passed, for a summary:
// "apply, parse, analyzers, build, tests, coverage, fixed passed".
func (a *Attempt) PassedGates() string {
	var names []string
	for _, g := range a.Gates {
		if !g.Skipped {
			names = append(names, g.Name)
		}
	}
	return strings.Join(names, ", ") + " passed"
}

// MarshalJSON adds the durations, in milliseconds: duration_ms and
// model_ms.
func (a *Attempt) MarshalJSON() ([]byte, error) {
	type plain Attempt
	return json.Marshal(struct {
		*plain
		Duration int64 `json:"duration_ms"`
		Model    int64 `json:"model_ms"`
	}{(*plain)(a), a.Duration.Milliseconds(), a.Model.Milliseconds()})
}

// UnmarshalJSON reads what MarshalJSON writes (a client of gauntlet serve
// reads the fix document), strictly: a field the attempt does not have is
// an error, as in the rest of the document.
func (a *Attempt) UnmarshalJSON(data []byte) error {
	type plain Attempt
	x := struct {
		*plain
		Duration int64 `json:"duration_ms"`
		Model    int64 `json:"model_ms"`
	}{plain: (*plain)(a)}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&x); err != nil {
		return err
	}
	a.Duration, a.Model = time.Duration(x.Duration)*time.Millisecond, time.Duration(x.Model)*time.Millisecond
	return nil
}

// FileChange is what the accepted edits do to one file: its content when
// the loop read it (nil for a file they create) and after.
type FileChange struct {
	Path string
	Old  []byte
	New  []byte
	// Created: the file did not exist.
	Created bool
}

// Result is the outcome of Run.
type Result struct {
	Problems []*Problem
	Attempts []*Attempt
	// Snapshot is the base with every accepted edit applied.
	Snapshot *analysis.Snapshot
	// Changes are the files the accepted edits change, sorted by path.
	Changes []FileChange
	// Patch is every accepted edit as one unified diff, which git apply
	// takes; "" when nothing was accepted.
	Patch string
	// Errors are failures that are not an edit's fault (the model, a gate
	// that could not run), once each.
	Errors []string
}

// Accepted reports whether some edit was accepted.
func (r *Result) Accepted() bool { return len(r.Changes) > 0 }

// Fixed counts the problems that are fixed.
func (r *Result) Fixed() int {
	n := 0
	for _, p := range r.Problems {
		if p.Status == Fixed || p.Status == FixedEarlier {
			n++
		}
	}
	return n
}

// Run works through problems in order on base: for each, up to
// MaxAttempts candidate edits (the model's answers, or the analyzers'
// fixes), each verified on a shadow snapshot; the first accepted edit
// wins and later problems are verified on top of it. A problem an earlier
// fix removed is not attempted again. Run returns an error only when the
// context ends or the model cannot be used at all (a missing key, an
// unknown model, no server); the result so far comes with it.
func Run(ctx context.Context, base *analysis.Snapshot, problems []Problem, opts Options) (*Result, error) {
	r := &runner{opts: opts, orig: base, cur: base, res: &Result{Snapshot: base}}
	if r.opts.Verify.Analyzers == nil {
		r.opts.Verify.Analyzers = opts.Analyzers
	}
	for i := range problems {
		p := problems[i]
		r.res.Problems = append(r.res.Problems, &p)
	}
	r.begin()
	err := r.run(ctx)
	r.finish()
	if err != nil {
		return r.res, err
	}
	return r.res, nil
}

type runner struct {
	opts    Options
	orig    *analysis.Snapshot
	cur     *analysis.Snapshot // orig with the accepted edits
	res     *Result
	tests   *testContext
	errSeen map[string]bool
}

func (r *runner) event(e analysis.Progress) {
	if r.opts.Progress != nil {
		r.opts.Progress(e)
	}
}

func (r *runner) begin() {
	n := len(r.res.Problems)
	title := fmt.Sprintf("Fixing %d problems", n)
	if n == 1 {
		title = "Fixing " + r.res.Problems[0].String()
	}
	if r.opts.Model == nil {
		title += " (analyzer fixes, no model)"
	}
	r.event(analysis.Progress{Kind: analysis.ProgressBegin, Title: title})
}

func (r *runner) finish() {
	fixed := r.res.Fixed()
	msg := fmt.Sprintf("%d of %d problems fixed", fixed, len(r.res.Problems))
	if len(r.res.Problems) == 1 {
		msg = "fixed"
		if fixed == 0 {
			msg = "no fix"
		}
	}
	r.event(analysis.Progress{Kind: analysis.ProgressEnd, Message: msg})
}

func (r *runner) report(pi int, format string, args ...any) {
	n := len(r.res.Problems)
	pct := 0
	if n > 0 {
		pct = pi * 100 / n
	}
	msg := fmt.Sprintf(format, args...)
	if n > 1 {
		msg = fmt.Sprintf("problem %d/%d: %s", pi+1, n, msg)
	}
	r.event(analysis.Progress{Kind: analysis.ProgressReport, Message: msg, Percent: pct})
}

func (r *runner) fail(msg string) {
	if r.errSeen == nil {
		r.errSeen = map[string]bool{}
	}
	if !r.errSeen[msg] {
		r.errSeen[msg] = true
		r.res.Errors = append(r.res.Errors, msg)
	}
}

func (r *runner) run(ctx context.Context) error {
	for pi, p := range r.res.Problems {
		if err := ctx.Err(); err != nil {
			return err
		}
		if p.Status != "" {
			continue // an earlier fix removed it
		}
		err := r.solve(ctx, pi, p)
		if err != nil {
			return err
		}
	}
	return nil
}

// solve makes up to MaxAttempts attempts at problem pi.
func (r *runner) solve(ctx context.Context, pi int, p *Problem) error {
	f, err := r.cur.File(p.Path)
	if err != nil {
		p.Status = Errored
		r.fail(fmt.Sprintf("%s: %v", p.Path, err))
		return nil
	}
	p.Start = min(max(p.Start, 0), len(f.Content))
	p.End = min(max(p.End, p.Start), len(f.Content))
	var earlier []prompt.Attempt
	cands := r.fixes(ctx, p)
	limit := r.opts.maxAttempts()
	p.Status = NotFixed
	if r.opts.Model == nil && len(cands) == 0 {
		p.Note = "no model is configured (GAUNTLET_MODEL), and no analyzer offers a fix"
		return nil
	}
	for n := 1; n <= limit; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		a := &Attempt{Problem: pi + 1, N: n, Base: r.cur}
		start := time.Now()
		if r.opts.Model != nil {
			r.report(pi, "attempt %d/%d: asking the model", n, limit)
			stop, err := r.ask(ctx, a, f, p, earlier)
			if stop || err != nil {
				a.Duration = time.Since(start)
				if a.Error != "" {
					r.res.Attempts = append(r.res.Attempts, a)
					p.Status = Errored
				}
				return err
			}
		} else {
			if n > len(cands) {
				break
			}
			c := cands[n-1]
			a.Source, a.Title, a.Edits = c.source, c.fix.Title, c.fix.Edits
		}
		r.judge(ctx, pi, a, p)
		a.Duration = time.Since(start)
		if err := ctx.Err(); err != nil {
			return err
		}
		r.res.Attempts = append(r.res.Attempts, a)
		if a.Accepted {
			p.Status, p.FixedBy = Fixed, len(r.res.Attempts)
			r.accept(a)
			r.sweep(ctx, pi, a, len(r.res.Attempts))
			return nil
		}
		if a.Error != "" {
			p.Status = Errored
			return nil
		}
		if a.evidence != nil {
			earlier = append(earlier, *a.evidence)
		}
	}
	return nil
}

// ask asks the model for an edit of p, filling a's Answer and Edits, or
// its rejection when the answer does not parse or apply. stop is true when
// the model failed and this problem cannot go on; err when no problem can.
func (r *runner) ask(ctx context.Context, a *Attempt, f *analysis.File, p *Problem, earlier []prompt.Attempt) (stop bool, err error) {
	a.Source = "model"
	in := prompt.Input{Problem: prompt.Problem{File: f, Start: p.Start, End: p.End, Diagnostic: p.Diagnostic, Instruction: p.Instruction},
		Attempts: earlier, Budget: r.opts.Budget}
	if p.Kind == KindTest {
		in.Problem.Test = p.Test
	}
	in.Tests = r.covering(ctx, p)
	req, err := prompt.Build(ctx, in)
	if err != nil {
		a.Error = err.Error()
		r.fail(a.Error)
		return true, nil
	}
	t := time.Now()
	resp, err := r.opts.Model.Complete(ctx, req)
	a.Model = time.Since(t)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		var me *model.Error
		if errors.As(err, &me) && me.Kind == model.KindBadAnswer {
			// Garbage from the model is a rejected answer, not a broken loop.
			msg := "the model's answer is unreadable: " + err.Error()
			a.Gates = rejectedAtApply(msg, nil)
			a.Reason = "apply: " + msg
			return false, nil
		}
		a.Error = "model: " + err.Error()
		r.fail(a.Error)
		if model.Fatal(err) {
			return true, fmt.Errorf("model: %w", err)
		}
		return true, nil
	}
	a.Answer = resp.Text
	edits, reason := r.parse(resp.Text)
	if reason != nil {
		a.Gates = rejectedAtApply(reason.detail, reason.refused)
		a.Reason = "apply: " + reason.detail
		a.evidence = &prompt.Attempt{Answer: resp.Text, Gate: verify.GateApply, Error: reason.text}
		if resp.Truncated {
			a.evidence.Error += "\n(your answer was cut off at the token limit: send smaller blocks)"
		}
		return false, nil
	}
	a.Edits = edits
	return false, nil
}

// applyRejection is why an answer did not become an edit.
type applyRejection struct {
	detail  string // one line
	text    string // for the model
	refused []verify.Refusal
}

// parse reads a model's answer into text edits of the current snapshot.
func (r *runner) parse(text string) ([]analysis.TextEdit, *applyRejection) {
	blocks, err := patch.ParseAnswer(text)
	if err != nil {
		msg := "the answer does not parse: " + err.Error()
		return nil, &applyRejection{detail: msg, text: msg + "\nAnswer with SEARCH/REPLACE blocks in the format of the instructions."}
	}
	fes, err := patch.Edits(blocks, r.cur.ReadFile)
	if err != nil {
		if errors.Is(err, patch.ErrNoChange) {
			return nil, &applyRejection{detail: "the edit changes nothing", text: err.Error()}
		}
		var refused []verify.Refusal
		var lines []string
		for _, e := range unjoin(err) {
			var be *patch.BlockError
			if errors.As(e, &be) {
				refused = append(refused, verify.Refusal{Path: be.Block.Path, Reason: be.Reason})
			}
			lines = append(lines, e.Error())
		}
		detail := lines[0]
		if len(lines) > 1 {
			detail = fmt.Sprintf("%d blocks do not apply; first: %s", len(lines), lines[0])
		}
		return nil, &applyRejection{detail: detail, text: strings.Join(lines, "\n"), refused: refused}
	}
	var edits []analysis.TextEdit
	for _, fe := range fes {
		edits = append(edits, fe.Edits...)
	}
	return edits, nil
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// rejectedAtApply is the gates of an edit that never reached verify: apply
// failed, the rest did not run.
func rejectedAtApply(detail string, refused []verify.Refusal) []*verify.Gate {
	gates := []*verify.Gate{{Name: verify.GateApply, Detail: detail, Refused: refused}}
	for _, name := range append(slices.Clone(verify.Gates[1:]), GateFixed) {
		gates = append(gates, &verify.Gate{Name: name, Skipped: true, Detail: "not run: apply failed"})
	}
	return gates
}

// judge verifies a's edits on the current snapshot, then checks that the
// problem is gone.
func (r *runner) judge(ctx context.Context, pi int, a *Attempt, p *Problem) {
	if a.Gates != nil || a.Error != "" {
		return // rejected before verification
	}
	a.Edit = r.diff(r.cur, a.Edits)
	vopts := fixTestEdits(r.opts.Verify, p)
	vopts.Progress = func(gate string) { r.report(pi, "attempt %d: verifying (%s)", a.N, gate) }
	verifier := r.opts.Verifier
	if verifier == nil {
		verifier = verify.Verify
	}
	v, err := verifier(ctx, r.cur, verify.Edit{Edits: a.Edits}, vopts)
	if err != nil {
		if ctx.Err() == nil {
			a.Error = "verify: " + err.Error()
			r.fail(a.Error)
		}
		return
	}
	a.Verdict = v
	a.Gates = append(slices.Clone(v.Gates), nil)
	fixed := &verify.Gate{Name: GateFixed}
	a.Gates[len(a.Gates)-1] = fixed
	if failed := v.Failed(); failed != nil {
		fixed.Skipped, fixed.Detail = true, "not run: "+failed.Name+" failed"
		if failed.Error != "" {
			a.Error = fmt.Sprintf("the %s gate could not run: %s", failed.Name, failed.Error)
			r.fail(a.Error)
			return
		}
		a.Reason = failed.Name + ": " + failed.Detail
		a.evidence = evidenceOf(a.Answer, failed)
		if reason, ev, ok := testEditRejection(a.Answer, failed); ok {
			a.Reason, a.evidence = reason, ev
		}
		return
	}
	t := time.Now()
	r.checkFixed(ctx, a, p, fixed)
	fixed.Duration = time.Since(t).Milliseconds()
	if !fixed.OK {
		a.Reason = GateFixed + ": " + fixed.Detail
		return
	}
	a.Accepted = true
}

// accept makes a's edits part of the current snapshot.
func (r *runner) accept(a *Attempt) {
	next := r.cur
	var files []*analysis.File
	for path, es := range analysis.EditsByPath(a.Edits) {
		var content []byte
		if f, err := r.cur.File(path); err == nil {
			content = f.Content
		}
		data, err := analysis.ApplyEdits(content, es)
		if err != nil {
			continue // verify applied it; cannot happen
		}
		files = append(files, analysis.NewFile(path, data, 0))
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	next = next.With(files...)
	r.cur = next
	r.res.Snapshot = next
	r.res.Changes, r.res.Patch = changes(r.orig, next, r.opts.PathPrefix)
}

// changes lists what next changes of orig, with the patch.
func changes(orig, next *analysis.Snapshot, prefix string) ([]FileChange, string) {
	var out []FileChange
	var b strings.Builder
	for _, p := range next.Overlays() {
		nf, err := next.File(p)
		if err != nil {
			continue
		}
		var old []byte
		created := false
		if of, err := orig.File(p); err == nil {
			old = of.Content
		} else {
			created = true
		}
		if !created && string(old) == string(nf.Content) {
			continue
		}
		out = append(out, FileChange{Path: p, Old: old, New: nf.Content, Created: created})
		oldPath := path.Join(prefix, p)
		if created {
			oldPath = ""
		}
		b.WriteString(patch.Diff(oldPath, path.Join(prefix, p), old, nf.Content))
	}
	return out, b.String()
}

// diff is an edit as a unified diff against snap.
func (r *runner) diff(snap *analysis.Snapshot, edits []analysis.TextEdit) string {
	by := analysis.EditsByPath(edits)
	paths := make([]string, 0, len(by))
	for p := range by {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b strings.Builder
	for _, p := range paths {
		var old []byte
		oldPath := path.Join(r.opts.PathPrefix, p)
		if f, err := snap.File(p); err == nil {
			old = f.Content
		} else {
			oldPath = ""
		}
		data, err := analysis.ApplyEdits(old, by[p])
		if err != nil {
			continue
		}
		b.WriteString(patch.Diff(oldPath, path.Join(r.opts.PathPrefix, p), old, data))
	}
	return b.String()
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	lsp "github.com/sourcegraph/go-lsp"
	"github.com/sourcegraph/jsonrpc2"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/server/loop"
)

// This file serves the closed loop to the editor: the "Fix with model
// (verified)" code action and the gauntlet.fix command behind it. The
// engine proposes and verifies; this file only builds the problem from
// what the editor points at, reports progress, and sends an accepted fix
// with workspace/applyEdit, never against a version of a document other
// than the one it was verified on.

// fixArgs is the argument of gauntlet.fix: a place in a document, and what
// to fix there (the user's instruction, a failing test, or else the
// finding in the range, chosen by code and message when given).
type fixArgs struct {
	URI         lsp.DocumentURI `json:"uri"`
	Range       *lsp.Range      `json:"range,omitempty"`
	Instruction string          `json:"instruction,omitempty"`
	Test        string          `json:"test,omitempty"`
	Code        string          `json:"code,omitempty"`
	Message     string          `json:"message,omitempty"`
}

// fixResult is what gauntlet.fix answers.
type fixResult struct {
	Accepted bool   `json:"accepted"` // a fix passed every gate
	Applied  bool   `json:"applied"`  // and the editor holds it
	Summary  string `json:"summary"`
	Attempts int    `json:"attempts"`
	Patch    string `json:"patch,omitempty"`
}

// titleFixModel is the code action that runs the closed loop.
const titleFixModel = "Fix with model (verified)"

// confirmWait bounds how long the server waits for the didChange that shows
// an applied fix in the document.
var confirmWait = 3 * time.Second

// fixActions offers the closed loop on the findings and failing tests in
// [start, end] of f, when a model is configured. (Without one,
// gauntlet.fix still runs the loop over the analyzers' own fixes, but the
// plain quick fixes already offer those.)
func (s *Server) fixActions(f *analysis.File, diags []analysis.Diagnostic, start, end int, enc analysis.Encoding) []codeAction {
	s.mu.Lock()
	root := s.root
	failing := s.failureDiagnostics(f)
	s.mu.Unlock()
	if root == "" || path.IsAbs(f.Path) || strings.Contains(f.Path, ":") {
		return nil
	}
	if !s.engine.HasModel() {
		return nil
	}
	var out []codeAction
	m := f.Mapper()
	for _, dg := range append(append([]analysis.Diagnostic(nil), diags...), failing...) {
		if dg.Path != "" && dg.Path != f.Path || dg.Start > end || dg.End < start || dg.Severity > analysis.SeverityWarning {
			continue
		}
		args := fixArgs{URI: s.uriOf(f.Path), Code: dg.Code, Message: dg.Message}
		r := toRange(m, dg.Start, dg.End, enc)
		args.Range = &r
		title := titleFixModel
		if dg.Code == codeTestFailed {
			args.Test = s.testAt(f, dg.Start, dg.End)
			args.Code, args.Message = "", ""
		}
		out = append(out, codeAction{
			Title:       title,
			Kind:        kindQuickFix,
			Diagnostics: []diagnostic{toDiagnostic(m, dg, enc)},
			Command:     &lsp.Command{Title: title, Command: cmdFix, Arguments: []any{args}},
		})
	}
	return out
}

func (s *Server) fix(ctx context.Context, p executeCommandParams) (any, error) {
	var args fixArgs
	if len(p.Arguments) > 0 {
		if err := json.Unmarshal(p.Arguments[0], &args); err != nil {
			return nil, invalidParams(cmdFix, err)
		}
	}
	s.mu.Lock()
	d := s.docs[args.URI]
	root, enc := s.root, s.enc
	s.mu.Unlock()
	switch {
	case args.URI == "":
		return nil, invalidParams(cmdFix, errors.New("no uri"))
	case d == nil:
		return nil, invalidParams(cmdFix, fmt.Errorf("%s is not open", args.URI))
	case root == "":
		return nil, invalidParams(cmdFix, errors.New("the workspace has no root folder"))
	}
	snap, used := s.snapshot()
	f := used[s.docPath(args.URI)]
	if f == nil {
		return nil, invalidParams(cmdFix, fmt.Errorf("%s is outside the workspace %s", args.URI, root))
	}
	problem, err := s.problemFor(ctx, snap, f, args, enc)
	if err != nil {
		return nil, err
	}
	ctx, pr := s.beginProgress(ctx, "gauntlet: fixing "+problem.String())
	res, err := s.engine.Fix(ctx, snap, []loop.Problem{problem}, func(e analysis.Progress) {
		if e.Kind == analysis.ProgressReport {
			pr.report(e.Message, e.Percent)
		}
	})
	if err != nil {
		pr.end("stopped: " + err.Error())
		if ctx.Err() != nil {
			return nil, cancelled(cmdFix)
		}
		s.message("window/showMessage", lsp.MTError, "gauntlet: fix: "+err.Error())
		return nil, fmt.Errorf("%s: %w", cmdFix, err)
	}
	out := fixResult{Attempts: len(res.Attempts)}
	if !res.Accepted() {
		out.Summary = noFix(res)
		pr.end("no verified fix")
		s.message("window/showMessage", lsp.MTWarning, "gauntlet: "+out.Summary)
		return out, nil
	}
	// The documents may have changed while the loop worked: verify the fix
	// again on the new text, or drop it.
	for round := 0; s.stale(res, used); round++ {
		if round == 2 {
			out.Summary = "no fix applied: the document kept changing while gauntlet verified the fix"
			pr.end("dropped")
			s.message("window/showMessage", lsp.MTWarning, "gauntlet: "+out.Summary)
			return out, nil
		}
		pr.report("the document changed: verifying the fix again on the new text", 95)
		snap2, used2 := s.snapshot()
		res2, err := s.engine.Reverify(ctx, snap2, res)
		if ctx.Err() != nil {
			pr.end("cancelled")
			return nil, cancelled(cmdFix)
		}
		if err != nil || !res2.Accepted() {
			why := "it was rejected on the new text"
			if err != nil {
				why = err.Error()
			} else if n := len(res2.Attempts); n > 0 && res2.Attempts[n-1].Reason != "" {
				why = "rejected on the new text by " + res2.Attempts[n-1].Reason
			}
			out.Summary = "no fix applied: the document changed while gauntlet verified the fix, and " + why
			pr.end("dropped")
			s.message("window/showMessage", lsp.MTWarning, "gauntlet: "+out.Summary)
			return out, nil
		}
		res, used = res2, used2
		out.Attempts += len(res2.Attempts)
	}
	out.Accepted, out.Patch = true, res.Patch
	accepted := res.Attempts[len(res.Attempts)-1]
	we, err := s.fixEdit(res, used)
	if err != nil {
		out.Summary = "a verified fix could not be sent: " + err.Error()
		pr.end("not applied")
		s.message("window/showMessage", lsp.MTWarning, "gauntlet: "+out.Summary)
		return out, nil
	}
	pr.report("applying the verified fix", 99)
	applied, reason := s.applyEdit(ctx, we)
	if !applied {
		out.Summary = "the editor did not apply the verified fix: " + reason
		pr.end("not applied")
		s.message("window/showMessage", lsp.MTWarning, "gauntlet: "+out.Summary)
		return out, nil
	}
	// An editor may answer applied=true for an edit it skipped as stale
	// (Neovim 0.7 does): believe the didChange that brings the text.
	if missing := s.confirm(ctx, res); missing != "" {
		out.Summary = fmt.Sprintf("the editor answered that it applied the fix, but %s does not hold it (a stale edit is skipped): run the fix again", missing)
		pr.end("not applied")
		s.message("window/showMessage", lsp.MTWarning, "gauntlet: "+out.Summary)
		return out, nil
	}
	out.Applied = true
	if problem.Kind == loop.KindTest {
		s.clearFailure(problem.Test)
	}
	out.Summary = fmt.Sprintf("applied a verified fix for %s (%s; %s)", problem.String(), accepted.Source, gateList(accepted))
	pr.end("applied")
	s.message("window/showMessage", lsp.MessageType(lsp.Info), "gauntlet: "+out.Summary)
	return out, nil
}

// cancelled is the answer to a command the user cancelled (its progress's
// cancel button, or $/cancelRequest).
func cancelled(cmd string) error {
	return &jsonrpc2.Error{Code: codeRequestCancelled, Message: cmd + " cancelled"}
}

// problemFor builds the problem the editor points at.
func (s *Server) problemFor(ctx context.Context, snap *analysis.Snapshot, f *analysis.File, args fixArgs, enc analysis.Encoding) (loop.Problem, error) {
	start, end := 0, len(f.Content)
	if args.Range != nil {
		var err error
		if start, end, err = fromRange(f.Mapper(), *args.Range, enc); err != nil {
			return loop.Problem{}, invalidParams(cmdFix, err)
		}
	}
	switch {
	case strings.TrimSpace(args.Instruction) != "":
		if args.Range == nil {
			return loop.Problem{}, invalidParams(cmdFix, errors.New("an instruction needs a range"))
		}
		return loop.NewInstructionProblem(f, start, end, args.Instruction), nil
	case args.Test != "" || args.Code == codeTestFailed:
		id := args.Test
		if id == "" {
			id = s.testAt(f, start, end)
		}
		fl, _ := s.failure(id)
		p, err := s.engine.TestProblem(ctx, snap, id, fl.Output)
		if err != nil {
			return loop.Problem{}, invalidParams(cmdFix, err)
		}
		return p, nil
	}
	s.mu.Lock()
	var diags []analysis.Diagnostic
	if d := s.docs[args.URI]; d != nil && d.diagFile != nil && bytes.Equal(d.diagFile.Content, f.Content) {
		diags = d.diags
	}
	s.mu.Unlock()
	if diags == nil {
		diags, _ = s.engine.AnalyzeFile(ctx, f)
	}
	var best *analysis.Diagnostic
	for i, dg := range diags {
		if dg.Path != "" && dg.Path != f.Path || dg.Severity > analysis.SeverityWarning || dg.Start > end || dg.End < start {
			continue
		}
		if args.Code != "" && dg.Code != args.Code || args.Message != "" && dg.Message != args.Message {
			continue
		}
		best = &diags[i]
		break
	}
	if best == nil {
		if id := s.testAt(f, start, end); id != "" {
			args.Test = id
			return s.problemFor(ctx, snap, f, args, enc)
		}
		return loop.Problem{}, invalidParams(cmdFix, errors.New("no error or warning in the range, and no instruction"))
	}
	return loop.NewDiagnosticProblem(f, *best), nil
}

// snapshot is the workspace as the editor shows it: the disk with the open
// documents inside the root on top; used maps their paths to the versions
// it holds.
func (s *Server) snapshot() (*analysis.Snapshot, map[string]*analysis.File) {
	s.mu.Lock()
	root := s.root
	used := map[string]*analysis.File{}
	for _, d := range s.docs {
		if d.file != nil && !path.IsAbs(d.file.Path) && !strings.Contains(d.file.Path, ":") {
			used[d.file.Path] = d.file
		}
	}
	s.mu.Unlock()
	files := make([]*analysis.File, 0, len(used))
	for _, f := range used {
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return analysis.NewSnapshot(root).With(files...), used
}

// stale reports whether a file the fix changes is no longer the version it
// was verified on: an open document at another version (or opened since),
// or a file on disk with other content.
func (s *Server) stale(res *loop.Result, used map[string]*analysis.File) bool {
	s.mu.Lock()
	current := map[string]*analysis.File{}
	for _, d := range s.docs {
		if d.file != nil {
			current[d.file.Path] = d.file
		}
	}
	root := s.root
	s.mu.Unlock()
	for _, c := range res.Changes {
		cur, open := current[c.Path]
		was, wasOpen := used[c.Path]
		switch {
		case open && wasOpen:
			if cur != was {
				return true
			}
		case open:
			if !bytes.Equal(cur.Content, c.Old) {
				return true
			}
		default:
			data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(c.Path)))
			if c.Created {
				if err == nil {
					return true
				}
				continue
			}
			if err != nil || !bytes.Equal(data, c.Old) {
				return true
			}
		}
	}
	return false
}

// fixEdit turns the accepted changes into a WorkspaceEdit against the
// versions they were verified on: versioned documentChanges when the
// client supports them, so that the editor refuses a stale edit itself.
func (s *Server) fixEdit(res *loop.Result, used map[string]*analysis.File) (*workspaceEdit, error) {
	s.mu.Lock()
	versioned := s.caps.Workspace.WorkspaceEdit.DocumentChanges
	enc := s.enc
	s.mu.Unlock()
	we := &workspaceEdit{}
	for _, c := range res.Changes {
		if c.Created {
			return nil, fmt.Errorf("it creates %s, which this server does not ask editors to do: use gauntlet fix --apply", c.Path)
		}
		m := analysis.NewMapper(c.Old)
		var version *int32
		if f := used[c.Path]; f != nil {
			m = f.Mapper()
			v := f.Version
			version = &v
		}
		var tes []lsp.TextEdit
		for _, e := range c.Edits() {
			tes = append(tes, lsp.TextEdit{Range: toRange(m, e.Start, e.End, enc), NewText: e.NewText})
		}
		uri := s.uriOf(c.Path)
		if versioned {
			we.DocumentChanges = append(we.DocumentChanges, textDocumentEdit{TextDocument: versionedDocument{URI: uri, Version: version}, Edits: tes})
			continue
		}
		if we.Changes == nil {
			we.Changes = map[lsp.DocumentURI][]lsp.TextEdit{}
		}
		we.Changes[uri] = tes
	}
	return we, nil
}

// applyEdit sends workspace/applyEdit and returns the editor's answer.
func (s *Server) applyEdit(ctx context.Context, we *workspaceEdit) (bool, string) {
	s.mu.Lock()
	conn, can := s.conn, s.caps.Workspace.ApplyEdit
	s.mu.Unlock()
	if conn == nil || !can {
		return false, "the editor does not support workspace/applyEdit"
	}
	var res applyEditResult
	if err := conn.Call(ctx, "workspace/applyEdit", applyEditParams{Label: "gauntlet: verified fix", Edit: *we}, &res); err != nil {
		var je *jsonrpc2.Error
		if errors.As(err, &je) {
			return false, je.Message
		}
		return false, err.Error()
	}
	if !res.Applied {
		if res.FailureReason != "" {
			return false, res.FailureReason
		}
		return false, "it answered applied: false"
	}
	return true, ""
}

// confirm waits until every open document the fix changes holds the fixed
// text, and returns the path of one that does not, or "".
func (s *Server) confirm(ctx context.Context, res *loop.Result) string {
	deadline := time.Now().Add(confirmWait)
	for {
		missing := ""
		s.mu.Lock()
		for _, c := range res.Changes {
			for _, d := range s.docs {
				if d.file != nil && d.file.Path == c.Path && !bytes.Equal(d.file.Content, c.New) {
					missing = c.Path
				}
			}
		}
		s.mu.Unlock()
		if missing == "" || time.Now().After(deadline) || ctx.Err() != nil {
			return missing
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
		}
	}
}

// noFix says why no fix was accepted, in a line or two.
func noFix(res *loop.Result) string {
	p := res.Problems[0]
	if p.Note != "" {
		return "no fix for " + p.String() + ": " + p.Note
	}
	var parts []string
	for _, a := range res.Attempts {
		why := a.Reason
		if a.Error != "" {
			why = "error: " + a.Error
		}
		parts = append(parts, fmt.Sprintf("attempt %d (%s) rejected by %s", a.N, a.Source, why))
	}
	if len(parts) == 0 {
		return "no fix for " + p.String()
	}
	return "no verified fix for " + p.String() + ": " + strings.Join(parts, "; ")
}

// gateList names the gates an accepted attempt passed.
func gateList(a *loop.Attempt) string {
	var names []string
	for _, g := range a.Gates {
		if !g.Skipped {
			names = append(names, g.Name)
		}
	}
	return strings.Join(names, ", ") + " passed"
}

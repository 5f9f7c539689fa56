package lsp

import (
	"bytes"
	"context"
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
	"github.com/gauntlet-dev/gauntlet/server"
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

// confirmWait bounds how long the server waits for a didChange that shows
// an applied fix in the document after the editor answered that it applied
// it (see confirm).
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
	if err := commandArg(p, &args); err != nil {
		return nil, err
	}
	var problem loop.Problem
	cfg := commandConfig{name: cmdFix, forDoc: true, forURI: args.URI}
	cfg.prepare = func(ctx context.Context, deps *commandDeps) (string, error) {
		var err error
		problem, err = s.problemFor(ctx, deps, args)
		return "gauntlet: fixing " + problem.String(), err
	}
	return s.runCommand(ctx, cfg, func(ctx context.Context, deps *commandDeps) (any, outcome, error) {
		pr := deps.work
		res, err := s.engine.Fix(ctx, deps.snap, []loop.Problem{problem}, func(e analysis.Progress) {
			if e.Kind == analysis.ProgressReport {
				pr.report(e.Message, e.Percent)
			}
		})
		if err != nil {
			return nil, outcome{}, err
		}
		out := fixResult{Attempts: len(res.Attempts)}
		// notApplied is the answer when no fix reaches the editor.
		notApplied := func(end, summary string) (any, outcome, error) {
			out.Summary = summary
			return out, outcome{end: end, show: "gauntlet: " + summary, typ: lsp.MTWarning}, nil
		}
		if !res.Accepted() {
			return notApplied("no verified fix", noFix(res))
		}
		// The documents may have changed while the loop worked: the engine
		// verifies the fix again on the new text, or drops it.
		fresh, err := s.engine.Refresh(ctx, res, editorView{s, deps.used}, func(msg string) { pr.report(msg, 95) })
		out.Attempts += fresh.Attempts
		if err != nil {
			return nil, outcome{}, err
		}
		if fresh.Result == nil {
			return notApplied("dropped", "no fix applied: "+fresh.Dropped)
		}
		res, used := fresh.Result, fresh.View.(editorView).used
		out.Accepted, out.Patch = true, res.Patch
		accepted := res.Attempts[len(res.Attempts)-1]
		we, err := s.fixEdit(res, used)
		if err != nil {
			return notApplied("not applied", "a verified fix could not be sent: "+err.Error())
		}
		pr.report("applying the verified fix", 99)
		if applied, reason := s.applyEdit(ctx, we); !applied {
			return notApplied("not applied", "the editor did not apply the verified fix: "+reason)
		}
		// An editor may answer applied=true for an edit it skipped as stale
		// (Neovim 0.7 does): believe the didChange that brings the text.
		if missing := s.confirm(ctx, res); missing != "" {
			return notApplied("not applied", fmt.Sprintf("the editor answered that it applied the fix, but %s does not hold it (a stale edit is skipped): run the fix again", missing))
		}
		out.Applied = true
		if problem.Kind == loop.KindTest {
			s.clearFailure(problem.Test)
		}
		out.Summary = fmt.Sprintf("applied a verified fix for %s (%s; %s)", problem.String(), accepted.Source, accepted.PassedGates())
		return out, outcome{end: "applied", show: "gauntlet: " + out.Summary}, nil
	})
}

// problemFor asks the engine for the problem the editor points at: the
// command's arguments in the document's bytes, with the findings the
// editor shows and the failing tests gauntlet.runTests reported.
func (s *Server) problemFor(ctx context.Context, deps *commandDeps, args fixArgs) (loop.Problem, error) {
	f := deps.file
	t := server.Target{File: f, End: len(f.Content), Instruction: args.Instruction, Test: args.Test, Code: args.Code, Message: args.Message}
	if args.Range != nil {
		var err error
		if t.Start, t.End, err = fromRange(f.Mapper(), *args.Range, deps.enc); err != nil {
			return loop.Problem{}, invalidParams(cmdFix, err)
		}
		t.Ranged = true
	}
	if args.Code == codeTestFailed {
		t.ForTest, t.Code, t.Message = true, "", ""
	}
	t.FailingAt = func(start, end int) string { return s.testAt(f, start, end) }
	t.Output = func(id string) string {
		fl, _ := s.failure(id)
		return fl.Output
	}
	t.Diagnostics = func(ctx context.Context) []analysis.Diagnostic {
		// The findings published for this text, else the engine's (which
		// may be a remote engine's) for it.
		s.mu.Lock()
		var diags []analysis.Diagnostic
		if d := s.docs[args.URI]; d != nil && d.diagFile != nil && bytes.Equal(d.diagFile.Content, f.Content) {
			diags = d.diags
		}
		s.mu.Unlock()
		if diags == nil {
			diags, _ = s.engine.AnalyzeFile(ctx, f)
		}
		return diags
	}
	p, err := s.engine.ProblemAt(ctx, deps.snap, t)
	if err != nil {
		return loop.Problem{}, invalidParams(cmdFix, err)
	}
	return p, nil
}

// editorView is the workspace as the editor shows it (server.View): the
// versions of the open documents a snapshot holds.
type editorView struct {
	s    *Server
	used map[string]*analysis.File
}

func (v editorView) Stale(res *loop.Result) bool { return v.s.stale(res, v.used) }

func (v editorView) Next() (server.View, *analysis.Snapshot) {
	snap, used := v.s.snapshot()
	return editorView{v.s, used}, snap
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
// text, and returns the path of one that does not, or "". An editor that
// sends the didChange before its answer to workspace/applyEdit (VS Code,
// and the protocol's order) is believed as soon as the changes received
// before that answer are applied, however slow the machine; for one that
// sends it later (Neovim 0.7 debounces it), confirmWait bounds the wait.
func (s *Server) confirm(ctx context.Context, res *loop.Result) string {
	barrier := s.noteSeq.Load() // the changes received before the answer
	missing := func() string {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range res.Changes {
			for _, d := range s.docs {
				if d.file != nil && d.file.Path == c.Path && !bytes.Equal(d.file.Content, c.New) {
					return c.Path
				}
			}
		}
		return ""
	}
	if err := s.caughtUp(ctx, "", nil, barrier); err != nil {
		return missing()
	}
	deadline := time.Now().Add(confirmWait)
	for {
		m := missing()
		if m == "" || !time.Now().Before(deadline) || ctx.Err() != nil {
			return m
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

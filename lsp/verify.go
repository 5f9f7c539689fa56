package lsp

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	lsp "github.com/sourcegraph/go-lsp"
	"github.com/sourcegraph/jsonrpc2"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// This file serves the verifier to the editor: gauntlet.verifyEdit with a
// WorkspaceEdit (an assistant asks before it applies), and, without an
// argument, "Verify unsaved changes" (the open buffers against the disk).

// kindVerifyUnsaved is the code action kind of "Verify unsaved changes".
const kindVerifyUnsaved = "source.verify.gauntlet"

const titleVerifyUnsaved = "Verify unsaved changes"

// verifyAction offers "Verify unsaved changes" in a document whose text
// differs from its file on disk.
func (s *Server) verifyAction(f *analysis.File, only []string) []codeAction {
	if len(only) > 0 && !wants(only, kindVerifyUnsaved) {
		return nil
	}
	s.mu.Lock()
	root := s.root
	s.mu.Unlock()
	if root == "" {
		return nil
	}
	disk, err := analysis.NewSnapshot(root).File(f.Path)
	if err != nil || bytes.Equal(disk.Content, f.Content) {
		return nil
	}
	return []codeAction{{
		Title:   titleVerifyUnsaved,
		Kind:    kindVerifyUnsaved,
		Command: &lsp.Command{Title: titleVerifyUnsaved, Command: cmdVerifyEdit},
	}}
}

// editArg is the WorkspaceEdit argument of gauntlet.verifyEdit.
type editArg struct {
	Changes         map[lsp.DocumentURI][]lsp.TextEdit `json:"changes,omitempty"`
	DocumentChanges []textDocumentEdit                 `json:"documentChanges,omitempty"`
}

func (s *Server) verifyEdit(ctx context.Context, p executeCommandParams) (any, error) {
	var arg *editArg
	if len(p.Arguments) > 0 && string(p.Arguments[0]) != "null" {
		arg = &editArg{}
		if err := commandArg(p, arg); err != nil {
			return nil, err
		}
	}
	var base *analysis.Snapshot
	var edit verify.Edit
	cfg := commandConfig{name: cmdVerifyEdit, needRoot: true, snapshot: true}
	cfg.prepare = func(ctx context.Context, deps *commandDeps) (string, error) {
		base = deps.snap
		if arg != nil {
			var err error
			edit, err = s.toEdit(deps.snap, deps.used, arg, deps.enc)
			return "gauntlet: verifying the edit", err
		}
		// Verify unsaved changes: the disk is the base, the buffers the edit.
		base = analysis.NewSnapshot(deps.root)
		var err error
		if edit, err = verify.Unsaved(base, deps.snap); err != nil || edit.Empty() {
			return "", err // nothing to verify: no progress
		}
		return "gauntlet: verifying unsaved changes", nil
	}
	return s.runCommand(ctx, cfg, func(ctx context.Context, deps *commandDeps) (any, outcome, error) {
		if edit.Empty() {
			return &verify.Verdict{Accepted: true, Gates: []*verify.Gate{}, Files: []string{}}, outcome{show: "gauntlet: no unsaved changes to verify"}, nil
		}
		v, err := s.engine.Verify(ctx, base, edit, func(gate string) { deps.work.report(gate, gatePercent(gate)) })
		if err != nil {
			return nil, outcome{}, err
		}
		typ := lsp.MessageType(lsp.Info)
		if !v.Accepted {
			typ = lsp.MTWarning
		}
		o := outcome{end: v.Summary(), show: "gauntlet: " + v.Summary(), typ: typ}
		if arg == nil {
			o.then = func() { s.showEvidence(deps.used, v) }
		}
		return v, o, nil
	})
}

// showEvidence puts the verdict's evidence on the open documents it
// concerns (for the versions verified), and takes the last verdict's off
// the others.
func (s *Server) showEvidence(used map[string]*analysis.File, v *verify.Verdict) {
	byPath := map[string][]analysis.Diagnostic{}
	for _, d := range v.Diagnostics {
		byPath[d.Path] = append(byPath[d.Path], d)
	}
	var docs []*document
	s.mu.Lock()
	for _, d := range s.docs {
		if d.file == nil {
			continue
		}
		ev, had := fresh(byPath[d.file.Path], d.diags), d.evidence != nil
		f := used[d.file.Path]
		if len(ev) == 0 || f == nil {
			d.evidence, d.evidenceFile = nil, nil
		} else {
			d.evidence, d.evidenceFile = ev, f
		}
		if had || len(ev) > 0 {
			docs = append(docs, d)
		}
	}
	s.mu.Unlock()
	for _, d := range docs {
		s.republish(d)
	}
}

// fresh drops the evidence the document's own diagnostics already show
// (a new syntax error is both).
func fresh(ev, shown []analysis.Diagnostic) []analysis.Diagnostic {
	var out []analysis.Diagnostic
next:
	for _, e := range ev {
		for _, d := range shown {
			if d.Start == e.Start && d.End == e.End && d.Code == e.Code && d.Message == e.Message {
				continue next
			}
		}
		out = append(out, e)
	}
	return out
}

// toEdit converts a WorkspaceEdit into byte-offset edits of snap. A
// versioned document must be at the version the editor names.
func (s *Server) toEdit(snap *analysis.Snapshot, used map[string]*analysis.File, arg *editArg, enc analysis.Encoding) (verify.Edit, error) {
	var e verify.Edit
	add := func(uri lsp.DocumentURI, version *int32, tes []lsp.TextEdit) error {
		p := s.docPath(uri)
		// A new file, or a path the apply gate will refuse, maps as empty.
		m := analysis.NewMapper(nil)
		if f := used[p]; f != nil {
			if version != nil && *version != f.Version {
				return &jsonrpc2.Error{Code: codeContentModified, Message: fmt.Sprintf("%s: %s is at version %d, the edit is for version %d", cmdVerifyEdit, uri, f.Version, *version)}
			}
			m = f.Mapper()
		} else if f, err := snap.File(p); err == nil {
			m = f.Mapper()
		}
		for _, te := range tes {
			start, end, err := fromRange(m, te.Range, enc)
			if err != nil {
				return invalidParams(cmdVerifyEdit, fmt.Errorf("%s: %w", uri, err))
			}
			e.Edits = append(e.Edits, analysis.TextEdit{Path: p, Start: start, End: end, NewText: te.NewText})
		}
		return nil
	}
	for uri, tes := range arg.Changes {
		if err := add(uri, nil, tes); err != nil {
			return e, err
		}
	}
	for _, dc := range arg.DocumentChanges {
		if err := add(dc.TextDocument.URI, dc.TextDocument.Version, dc.Edits); err != nil {
			return e, err
		}
	}
	if e.Empty() {
		return e, invalidParams(cmdVerifyEdit, errors.New("the WorkspaceEdit changes nothing"))
	}
	return e, nil
}

// gatePercent places a gate in a verification's progress.
func gatePercent(gate string) int {
	for i, g := range verify.Gates {
		if g == gate {
			return i * 100 / len(verify.Gates)
		}
	}
	return 0
}

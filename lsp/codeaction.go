package lsp

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	lsp "github.com/sourcegraph/go-lsp"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// codeAction offers each fix of the diagnostics in the range as a quick fix,
// and every non-overlapping fix of the document as source.fixAll.gauntlet.
func (s *Server) codeAction(ctx context.Context, params json.RawMessage) (any, error) {
	var p codeActionParams
	if err := unmarshal(params, &p); err != nil {
		return nil, invalidParams("textDocument/codeAction", err)
	}
	f, diags, err := s.analysis(ctx, p.TextDocument.URI)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	enc := s.enc
	s.mu.Unlock()
	actions := []codeAction{}
	if f == nil {
		return actions, nil
	}
	start, end, err := fromRange(f.Mapper(), p.Range, enc)
	if err != nil {
		return nil, invalidParams("textDocument/codeAction", err)
	}
	wantQuick, wantAll := wants(p.Context.Only, kindQuickFix), wants(p.Context.Only, kindFixAllGauntlet)
	var all []analysis.TextEdit
	for _, dg := range diags {
		if dg.Path != "" && dg.Path != f.Path {
			continue
		}
		for i, fix := range dg.Fixes {
			if !s.validFix(f, fix) {
				continue
			}
			if i == 0 && (len(all) == 0 || !overlaps(all, fix.Edits)) {
				all = append(all, fix.Edits...)
			}
			if !wantQuick || dg.Start > end || dg.End < start {
				continue
			}
			actions = append(actions, codeAction{
				Title:       fix.Title,
				Kind:        kindQuickFix,
				Diagnostics: []diagnostic{toDiagnostic(f.Mapper(), dg, enc)},
				IsPreferred: len(dg.Fixes) == 1,
				Edit:        s.workspaceEdit(f, fix.Edits),
			})
		}
	}
	if wantQuick {
		actions = append(actions, s.fixActions(f, diags, start, end, enc)...)
	}
	actions = append(actions, s.verifyAction(f, p.Context.Only)...)
	if wantAll && len(all) > 0 {
		actions = append(actions, codeAction{
			Title: "Apply every gauntlet fix",
			Kind:  kindFixAllGauntlet,
			Edit:  s.workspaceEdit(f, all),
		})
	}
	return actions, nil
}

// analysis returns the document's current version and its diagnostics, from
// the analysis the document's own goroutine runs (waiting for it if it has
// not finished): a request never analyses on its own, so it never waits for
// a parse but its own document's. f is nil if the document is not open.
func (s *Server) analysis(ctx context.Context, uri lsp.DocumentURI) (*analysis.File, []analysis.Diagnostic, error) {
	for {
		s.mu.Lock()
		d := s.docs[uri]
		if d == nil {
			s.mu.Unlock()
			return nil, nil, nil
		}
		f, df, diags, running := d.file, d.diagFile, d.diags, d.analysed
		s.mu.Unlock()
		switch {
		case df == f:
			return f, diags, nil
		case running == nil:
			// No analysis runs for this version (not initialized yet, no
			// language): analyse it here, as before.
			diags, _ = s.engine.AnalyzeFile(ctx, f)
			return f, diags, nil
		}
		select {
		case <-running:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// wants reports whether a client's "only" filter admits kind: an entry
// admits its own kind and every kind below it ("source" admits
// "source.fixAll.gauntlet").
func wants(only []string, kind string) bool {
	if len(only) == 0 {
		return kind == kindQuickFix // fix-all is offered only on request
	}
	for _, o := range only {
		if o == kind || strings.HasPrefix(kind, o+".") {
			return true
		}
	}
	return false
}

// overlaps reports whether any edit of b touches an edit of a in the same file.
func overlaps(a, b []analysis.TextEdit) bool {
	for _, x := range a {
		for _, y := range b {
			if x.Path == y.Path && x.Start < y.End && y.Start < x.End || x.Path == y.Path && x.Start == y.Start {
				return true
			}
		}
	}
	return false
}

// validFix reports whether every edit of fix applies to its file as it is now.
func (s *Server) validFix(f *analysis.File, fix analysis.Fix) bool {
	if len(fix.Edits) == 0 {
		return false
	}
	for path, edits := range analysis.EditsByPath(fix.Edits) {
		content, _, ok := s.contentOf(f, path)
		if !ok {
			return false
		}
		if _, err := analysis.ApplyEdits(content, edits); err != nil {
			return false
		}
	}
	return true
}

// contentOf returns the current text of a path: the document f, another
// open document, or the file on disk (version nil).
func (s *Server) contentOf(f *analysis.File, path string) ([]byte, *analysis.File, bool) {
	if path == "" || path == f.Path {
		return f.Content, f, true
	}
	s.mu.Lock()
	for _, d := range s.docs {
		if d.file.Path == path {
			g := d.file
			s.mu.Unlock()
			return g.Content, g, true
		}
	}
	root := s.root
	s.mu.Unlock()
	if root == "" {
		return nil, nil, false
	}
	// A fix's path is read only inside the workspace, out of .git, with its
	// links resolved: the check every request path goes through.
	rp, err := analysis.ResolvePath(root, filepath.FromSlash(path))
	if err != nil {
		return nil, nil, false
	}
	b, err := os.ReadFile(rp.Real)
	if err != nil {
		return nil, nil, false
	}
	return b, nil, true
}

// uriOf returns the URI of a path: an open document's, or the file's.
func (s *Server) uriOf(path string) lsp.DocumentURI {
	s.mu.Lock()
	defer s.mu.Unlock()
	for u, d := range s.docs {
		if d.file.Path == path {
			return u
		}
	}
	abs := filepath.FromSlash(path)
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(s.root, abs)
	}
	return pathURI(abs)
}

// workspaceEdit converts byte-offset edits: versioned documentChanges when
// the client supports them (so a stale edit is refused), plain changes
// otherwise.
func (s *Server) workspaceEdit(f *analysis.File, edits []analysis.TextEdit) *workspaceEdit {
	s.mu.Lock()
	versioned := s.caps.Workspace.WorkspaceEdit.DocumentChanges
	enc := s.enc
	s.mu.Unlock()
	byPath := analysis.EditsByPath(edits)
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	we := &workspaceEdit{}
	for _, path := range paths {
		if path == "" {
			path = f.Path
		}
		content, g, ok := s.contentOf(f, path)
		if !ok {
			continue
		}
		m := analysis.NewMapper(content)
		if g != nil {
			m = g.Mapper()
		}
		var uri lsp.DocumentURI
		var version *int32
		if g == f {
			uri = s.uriOf(f.Path)
		} else {
			uri = s.uriOf(path)
		}
		if g != nil {
			v := g.Version
			version = &v
		}
		var tes []lsp.TextEdit
		for _, e := range byPath[path] {
			tes = append(tes, lsp.TextEdit{Range: toRange(m, e.Start, e.End, enc), NewText: e.NewText})
		}
		if versioned {
			we.DocumentChanges = append(we.DocumentChanges, textDocumentEdit{
				TextDocument: versionedDocument{URI: uri, Version: version},
				Edits:        tes,
			})
		} else {
			if we.Changes == nil {
				we.Changes = map[lsp.DocumentURI][]lsp.TextEdit{}
			}
			we.Changes[uri] = tes
		}
	}
	return we
}

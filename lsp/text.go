package lsp

import (
	"context"
	"encoding/json"
	"fmt"

	lsp "github.com/sourcegraph/go-lsp"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// document is one open text document: its current version, and the analysis
// of that version in flight.
type document struct {
	uri  lsp.DocumentURI
	file *analysis.File

	cancel context.CancelFunc // stops the analysis of file

	// The last published diagnostics and the version they belong to, for
	// code actions.
	diags    []analysis.Diagnostic
	diagFile *analysis.File

	// Evidence of the last "Verify unsaved changes", shown beside the
	// diagnostics while the document stays at the version verified.
	evidence     []analysis.Diagnostic
	evidenceFile *analysis.File
}

func (d *document) stop() {
	if d.cancel != nil {
		d.cancel()
	}
}

func (s *Server) didOpen(params json.RawMessage) error {
	var p didOpenParams
	if err := unmarshal(params, &p); err != nil {
		return err
	}
	td := p.TextDocument
	path := s.docPath(td.URI)
	lang := analysis.LanguageForID(td.LanguageID)
	if lang == nil {
		lang = analysis.LanguageForPath(path)
	}
	f := analysis.NewFileLang(path, []byte(td.Text), td.Version, lang)
	s.mu.Lock()
	d := s.docs[td.URI]
	replaced := d != nil
	if !replaced {
		d = &document{uri: td.URI}
		s.docs[td.URI] = d
	}
	s.schedule(d, f)
	s.mu.Unlock()
	if replaced {
		s.logf("didOpen of %s, which is already open: replaced it", td.URI)
	}
	return nil
}

func (s *Server) didChange(params json.RawMessage) error {
	var p didChangeParams
	if err := unmarshal(params, &p); err != nil {
		return err
	}
	uri, version := p.TextDocument.URI, p.TextDocument.Version
	s.mu.Lock()
	d := s.docs[uri]
	enc := s.enc
	var f *analysis.File
	if d != nil {
		f = d.file
	}
	s.mu.Unlock()
	if d == nil {
		s.logf("didChange of %s, which is not open: ignored", uri)
		return nil
	}
	// Only this goroutine (the reader) replaces d.file, so f stays current
	// while the changes are converted and applied.
	changes, err := toChanges(f, p.ContentChanges, enc)
	if err != nil {
		s.logf("didChange of %s to version %d rejected, keeping version %d: %v", uri, version, f.Version, err)
		return nil
	}
	if version <= f.Version {
		s.logf("didChange of %s: version %d after version %d", uri, version, f.Version)
	}
	nf, err := f.Edit(context.Background(), changes, version)
	if err != nil {
		s.logf("didChange of %s to version %d rejected, keeping version %d: %v", uri, version, f.Version, err)
		return nil
	}
	s.mu.Lock()
	s.schedule(d, nf)
	s.mu.Unlock()
	return nil
}

// toChanges converts LSP content changes, each relative to the text the
// previous one produced, into byte-offset changes.
func toChanges(f *analysis.File, events []contentChange, enc analysis.Encoding) ([]analysis.Change, error) {
	content, m := f.Content, f.Mapper()
	out := make([]analysis.Change, 0, len(events))
	for i, ev := range events {
		if i > 0 {
			m = analysis.NewMapper(content)
		}
		c := analysis.Change{Start: 0, End: len(content), Text: ev.Text}
		if ev.Range != nil {
			start, end, err := fromRange(m, *ev.Range, enc)
			if err != nil {
				return nil, fmt.Errorf("change %d: %w", i, err)
			}
			c.Start, c.End = start, end
		}
		out = append(out, c)
		if i+1 < len(events) {
			next := make([]byte, 0, len(content)-(c.End-c.Start)+len(c.Text))
			next = append(next, content[:c.Start]...)
			next = append(next, c.Text...)
			content = append(next, content[c.End:]...)
		}
	}
	return out, nil
}

func (s *Server) didClose(params json.RawMessage) error {
	var p struct {
		TextDocument lsp.TextDocumentIdentifier `json:"textDocument"`
	}
	if err := unmarshal(params, &p); err != nil {
		return err
	}
	uri := p.TextDocument.URI
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	s.mu.Lock()
	d := s.docs[uri]
	delete(s.docs, uri)
	s.mu.Unlock()
	if d == nil {
		s.logf("didClose of %s, which is not open: ignored", uri)
		return nil
	}
	d.stop()
	s.notify("textDocument/publishDiagnostics", publishDiagnosticsParams{URI: uri, Diagnostics: []diagnostic{}})
	return nil
}

// schedule makes f the document's current version and starts analysing it,
// cancelling the analysis of the version it replaces. s.mu is held.
func (s *Server) schedule(d *document, f *analysis.File) {
	d.stop()
	d.file = f
	if f.Lang == nil || s.ctx.Err() != nil || s.state != stateInitialized {
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	d.cancel = cancel
	s.wg.Add(1)
	go s.analyze(ctx, d, f)
}

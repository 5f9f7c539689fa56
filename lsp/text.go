package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	lsp "github.com/sourcegraph/go-lsp"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// document is one open text document: its current version, and the analysis
// of that version in flight.
type document struct {
	uri  lsp.DocumentURI
	file *analysis.File

	cancel   context.CancelFunc // stops the analysis of file
	analysed chan struct{}      // closed when the analysis of file ends (nil: none runs)

	// Changes received and not applied yet, in order. Applying a change to
	// a large document (its line index, the new text) takes a while, so it
	// happens on the document's own goroutine, not on the connection's
	// reader: requests about other documents do not wait for it. Guarded by
	// qmu; advanced is closed and replaced whenever the queue moves.
	qmu      sync.Mutex
	queue    []queuedChange
	running  bool
	closed   bool
	advanced chan struct{}

	// The last published diagnostics and the version they belong to, for
	// code actions.
	diags    []analysis.Diagnostic
	diagFile *analysis.File

	// Evidence of the last "Verify unsaved changes", shown beside the
	// diagnostics while the document stays at the version verified.
	evidence     []analysis.Diagnostic
	evidenceFile *analysis.File
}

// queuedChange is one didChange, numbered in the order of the connection.
type queuedChange struct {
	seq    uint64
	params didChangeParams
}

func (d *document) stop() {
	if d.cancel != nil {
		d.cancel()
	}
	if d.analysed != nil {
		close(d.analysed) // waiters look again: a newer version, or none
		d.analysed = nil
	}
}

func newDocument(uri lsp.DocumentURI) *document {
	return &document{uri: uri, advanced: make(chan struct{})}
}

// caughtUp waits until every change of d numbered up to seq is applied.
func (d *document) caughtUp(ctx context.Context, seq uint64) error {
	for {
		d.qmu.Lock()
		done := len(d.queue) == 0 || d.queue[0].seq > seq || d.closed
		ch := d.advanced
		d.qmu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// advance signals waiters; d.qmu is held.
func (d *document) advance() {
	close(d.advanced)
	d.advanced = make(chan struct{})
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
		d = newDocument(td.URI)
		s.docs[td.URI] = d
	} else {
		// The new text replaces whatever the queued changes would make.
		d.qmu.Lock()
		d.queue = nil
		d.advance()
		d.qmu.Unlock()
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
	uri := p.TextDocument.URI
	s.mu.Lock()
	d := s.docs[uri]
	s.mu.Unlock()
	if d == nil {
		s.logf("didChange of %s, which is not open: ignored", uri)
		return nil
	}
	// Queued in the connection's order; the document's goroutine applies
	// its changes one after the other.
	seq := s.noteSeq.Add(1)
	d.qmu.Lock()
	d.queue = append(d.queue, queuedChange{seq: seq, params: p})
	start := !d.running
	d.running = true
	d.qmu.Unlock()
	if start {
		s.wg.Add(1)
		go s.applyChanges(d)
	}
	return nil
}

// applyChanges applies d's queued changes in order until none is left.
func (s *Server) applyChanges(d *document) {
	defer s.wg.Done()
	for {
		d.qmu.Lock()
		if len(d.queue) == 0 || d.closed {
			d.running = false
			d.queue = nil
			d.advance()
			d.qmu.Unlock()
			return
		}
		q := d.queue[0]
		d.qmu.Unlock()
		s.applyChange(d, q.params)
		d.qmu.Lock()
		// Unless a didOpen replaced the document's text (and its queue) meanwhile.
		if len(d.queue) > 0 && d.queue[0].seq == q.seq {
			d.queue = d.queue[1:]
		}
		d.advance()
		d.qmu.Unlock()
	}
}

// applyChange makes the document's next version from one didChange.
func (s *Server) applyChange(d *document, p didChangeParams) {
	uri, version := p.TextDocument.URI, p.TextDocument.Version
	s.mu.Lock()
	f := d.file
	enc := s.enc
	s.mu.Unlock()
	if f == nil {
		return
	}
	// Only this goroutine replaces d.file while changes are queued (a
	// didOpen of the same document empties the queue first), so f stays
	// current while the changes are converted and applied.
	changes, err := toChanges(f, p.ContentChanges, enc)
	if err != nil {
		s.logf("didChange of %s to version %d rejected, keeping version %d: %v", uri, version, f.Version, err)
		return
	}
	if version <= f.Version {
		s.logf("didChange of %s: version %d after version %d", uri, version, f.Version)
	}
	nf, err := f.Edit(context.Background(), changes, version)
	if err != nil {
		s.logf("didChange of %s to version %d rejected, keeping version %d: %v", uri, version, f.Version, err)
		return
	}
	s.mu.Lock()
	if s.docs[uri] == d && d.file == f {
		s.schedule(d, nf)
	}
	s.mu.Unlock()
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
	d.qmu.Lock()
	d.closed = true
	d.advance()
	d.qmu.Unlock()
	s.mu.Lock()
	d.stop()
	s.mu.Unlock()
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
	d.analysed = make(chan struct{})
	s.wg.Add(1)
	go s.analyze(ctx, d, f, d.analysed)
}

package lsp

import (
	"context"
	"runtime/debug"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// analyze runs the engine on one version of a document and publishes the
// result unless a newer version has arrived meanwhile.
func (s *Server) analyze(ctx context.Context, d *document, f *analysis.File, done chan struct{}) {
	defer s.wg.Done()
	defer func() {
		// Requests waiting for this version's analysis look again.
		s.mu.Lock()
		if d.analysed == done {
			close(done)
			d.analysed = nil
		}
		s.mu.Unlock()
	}()
	defer func() {
		if r := recover(); r != nil {
			s.logf("panic analysing %s: %v\n%s", f.Path, r, debug.Stack())
		}
	}()
	diags, _ := s.engine.AnalyzeFile(ctx, f)
	if ctx.Err() != nil {
		return
	}
	s.publish(d, f, diags)
}

// publish sends f's diagnostics if f is still its document's current
// version. The check and the send happen under pubMu, which every publisher
// holds, so an older version's result can never arrive after a newer one's
// (or after the empty list of didClose).
func (s *Server) publish(d *document, f *analysis.File, diags []analysis.Diagnostic) {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	s.mu.Lock()
	current := s.docs[d.uri] == d && d.file == f
	if current {
		d.diags, d.diagFile = diags, f
	}
	enc := s.enc
	var shown []analysis.Diagnostic
	if current {
		// The editor's lists are per document: add the evidence of the last
		// verification of this version and the failing tests declared here.
		shown = append(shown, diags...)
		if d.evidenceFile == f {
			shown = append(shown, d.evidence...)
		}
		shown = append(shown, s.failureDiagnostics(f)...)
		shown = append(shown, s.uncoveredDiagnostics(f)...)
	}
	s.mu.Unlock()
	if !current {
		return
	}
	version := f.Version
	s.notify("textDocument/publishDiagnostics", publishDiagnosticsParams{
		URI:         d.uri,
		Version:     &version,
		Diagnostics: toDiagnostics(f, shown, enc),
	})
}

// republish sends the document's diagnostics again (its evidence or its
// failing tests changed), once its current version has been analysed.
func (s *Server) republish(d *document) {
	s.mu.Lock()
	f, diags, done := d.file, d.diags, d.diagFile == d.file
	s.mu.Unlock()
	if done {
		s.publish(d, f, diags)
	}
}

func toDiagnostics(f *analysis.File, diags []analysis.Diagnostic, enc analysis.Encoding) []diagnostic {
	m := f.Mapper()
	out := make([]diagnostic, 0, len(diags))
	for _, d := range diags {
		if d.Path != "" && d.Path != f.Path {
			continue // a finding about another file belongs to that file's document
		}
		out = append(out, toDiagnostic(m, d, enc))
	}
	return out
}

func toDiagnostic(m *analysis.Mapper, d analysis.Diagnostic, enc analysis.Encoding) diagnostic {
	ld := diagnostic{
		Range:    toRange(m, d.Start, d.End, enc),
		Severity: int(d.Severity),
		Code:     d.Code,
		Source:   d.Source,
		Message:  d.Message,
	}
	if d.URL != "" {
		ld.CodeDescription = &codeDescription{Href: d.URL}
	}
	return ld
}

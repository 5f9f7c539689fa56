package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/report"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/api"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// RemoteEngine serves `gauntlet lsp --server`: the editor's diagnostics and
// code actions come from the running server's engine (its compiled rules,
// started plugins and configuration for the workspace), with the open
// buffers sent along. Verify and the fix loop run in the local engine it
// embeds, which also answers when the server does not (reported once).
type RemoteEngine struct {
	*server.Engine
	backend api.Backend
	addr    string
	show    func(error)

	mu   sync.Mutex
	root string // the editor's workspace, set at initialize
	down bool   // the failure was shown already
}

// NewRemoteEngine answers from the server behind b (at addr), with engine
// for the rest and as the fallback; show reports a server that does not
// answer, once.
func NewRemoteEngine(engine *server.Engine, b api.Backend, addr string, show func(error)) *RemoteEngine {
	return &RemoteEngine{Engine: engine, backend: b, addr: addr, show: show}
}

// SetRoot sets the editor's workspace, at initialize.
func (r *RemoteEngine) SetRoot(root string) {
	r.mu.Lock()
	r.root = root
	r.mu.Unlock()
}

// AnalyzeFile asks the server for f's findings, with f's content as an open
// buffer; when the server cannot answer, the local engine does.
func (r *RemoteEngine) AnalyzeFile(ctx context.Context, f *analysis.File) ([]analysis.Diagnostic, []error) {
	r.mu.Lock()
	root := r.root
	r.mu.Unlock()
	if root == "" {
		return r.Engine.AnalyzeFile(ctx, f)
	}
	diags, err := remoteDiagnostics(ctx, r.backend, root, f)
	if err != nil {
		if ctx.Err() != nil {
			return nil, []error{ctx.Err()}
		}
		r.mu.Lock()
		first := !r.down
		r.down = true
		r.mu.Unlock()
		if first && r.show != nil {
			r.show(fmt.Errorf("--server %s: %s; analysing here instead", r.addr, RemoteError(err)))
		}
		return r.Engine.AnalyzeFile(ctx, f)
	}
	r.mu.Lock()
	r.down = false
	r.mu.Unlock()
	return diags, nil
}

// remoteDiagnostics analyses f (a path of the workspace at root) on the
// server and reads the answer back into byte-offset diagnostics of f.
func remoteDiagnostics(ctx context.Context, b api.Backend, root string, f *analysis.File) ([]analysis.Diagnostic, error) {
	var log []string
	res, err := b.Analyze(ctx, &api.AnalyzeRequest{
		Cwd: root, Paths: []string{f.Path}, Format: "json", FailOn: "none",
		Files: []api.File{{Path: f.Path, Content: f.Content}},
	}, api.Events{Log: func(l string) { log = append(log, l) }})
	if err != nil {
		return nil, err
	}
	if res.Outcome == api.Error && len(res.JSON) == 0 {
		return nil, fmt.Errorf("%v", log)
	}
	var doc report.JSONReport
	if err := json.Unmarshal(res.JSON, &doc); err != nil {
		return nil, fmt.Errorf("reading the server's answer: %v", err)
	}
	m := f.Mapper()
	offset := func(p report.Pos) int {
		off, err := m.Offset(p.Line-1, p.Column-1, analysis.UTF8)
		if err != nil {
			return len(f.Content)
		}
		return off
	}
	var out []analysis.Diagnostic
	for _, d := range doc.Diagnostics {
		sev, err := analysis.ParseSeverity(d.Severity)
		if err != nil {
			sev = analysis.SeverityWarning
		}
		nd := analysis.Diagnostic{Path: f.Path, Start: offset(d.Range.Start), End: offset(d.Range.End), Severity: sev,
			Code: d.Code, Source: d.Source, Message: d.Message, URL: d.URL}
		for _, fx := range d.Fixes {
			af := analysis.Fix{Title: fx.Title}
			ok := true
			for _, e := range fx.Edits {
				if e.Path != f.Path {
					ok = false // an edit of another file: its offsets are not f's
					break
				}
				af.Edits = append(af.Edits, analysis.TextEdit{Path: f.Path, Start: offset(e.Range.Start), End: offset(e.Range.End), NewText: e.NewText})
			}
			if ok {
				nd.Fixes = append(nd.Fixes, af)
			}
		}
		out = append(out, nd)
	}
	analysis.SortDiagnostics(out)
	return out, nil
}

// RemoteError says what went wrong with a call in a user's words.
func RemoteError(err error) string {
	st, ok := status.FromError(err)
	if !ok {
		if errors.Is(err, context.Canceled) {
			return "interrupted"
		}
		return err.Error()
	}
	switch st.Code() {
	case codes.Unavailable:
		return "no server answers: " + st.Message() + " (start one with gauntlet serve)"
	case codes.Unauthenticated:
		return "refused: " + st.Message()
	case codes.Canceled:
		return "interrupted"
	}
	return st.Message()
}

package workspace

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/api/client/diagnostics"
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
// server and reads its typed answer back into byte-offset diagnostics of f
// (fixes that edit other files included).
func remoteDiagnostics(ctx context.Context, b api.Backend, root string, f *analysis.File) ([]analysis.Diagnostic, error) {
	var log []string
	res, err := b.Analyze(ctx, &api.AnalyzeRequest{
		Cwd: root, Paths: []string{f.Path}, Format: "json", FailOn: "none",
		Files: []api.File{{Path: f.Path, Content: f.Content}},
	}, api.Events{Log: func(l string) { log = append(log, l) }})
	if err != nil {
		return nil, err
	}
	if res.Outcome == api.Error && res.Document == nil && len(res.JSON) == 0 {
		return nil, fmt.Errorf("%v", log)
	}
	return diagnostics.ForFile(res, root, f)
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

package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"

	lsp "github.com/sourcegraph/go-lsp"
	"github.com/sourcegraph/jsonrpc2"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// Server is one LSP session over one connection. Make it with New and run
// it with Serve.
type Server struct {
	engine  Engine
	log     io.Writer
	max     int64
	version string
	reload  ReloadFunc
	tests   func(root string) TestRunner

	ctx    context.Context // cancelled when Serve returns
	cancel context.CancelFunc
	stream *Stream
	wg     sync.WaitGroup // analyses and requests in flight

	mu             sync.Mutex
	conn           *jsonrpc2.Conn
	state          state
	exitCode       int
	exited         bool
	enc            analysis.Encoding
	caps           clientCapabilities
	root           string // absolute directory, or ""
	docs           map[lsp.DocumentURI]*document
	inflight       map[jsonrpc2.ID]context.CancelFunc
	shown          map[string]bool               // messages already shown to the user
	configProblems map[string]bool               // config and rule files with problems published
	coverageView   CoverageView                  // the per-test map, once gauntlet.coverage built it
	showUncovered  bool                          // hints on uncovered lines are on
	watched        map[string]bool               // absolute paths of the configuration's files
	progress       map[string]context.CancelFunc // work done progress tokens, cancellable by the client
	testRunner     TestRunner
	failures       map[string]testrun.Failure // failing tests by id, from gauntlet.runTests

	pubMu sync.Mutex // orders publishDiagnostics against the version check

	noteSeq atomic.Uint64 // numbers didChange notifications in the connection's order
}

type state int

const (
	stateNew         state = iota // before initialize
	stateInitialized              // serving
	stateShutdown                 // after shutdown: only exit
)

// Option configures a Server.
type Option func(*Server)

// WithLog copies every log line to w (typically stderr) as well as to the
// client's window/logMessage.
func WithLog(w io.Writer) Option { return func(s *Server) { s.log = w } }

// WithMaxMessageSize caps one incoming message's body (default MaxMessageSize).
func WithMaxMessageSize(n int64) Option { return func(s *Server) { s.max = n } }

// WithVersion sets the version reported in serverInfo.
func WithVersion(v string) Option { return func(s *Server) { s.version = v } }

// New returns a server that answers from engine.
func New(engine Engine, opts ...Option) *Server {
	s := &Server{
		engine:   engine,
		log:      io.Discard,
		docs:     map[lsp.DocumentURI]*document{},
		inflight: map[jsonrpc2.ID]context.CancelFunc{},
		shown:    map[string]bool{},
		progress: map[string]context.CancelFunc{},
		enc:      analysis.UTF16,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Serve speaks LSP on rwc until the client sends exit or the connection
// ends, and returns the exit status the process should end with: 0 after
// shutdown and exit, 1 otherwise (as the specification asks).
func (s *Server) Serve(ctx context.Context, rwc io.ReadWriteCloser) int {
	s.ctx, s.cancel = context.WithCancel(ctx)
	defer s.cancel()
	stream := NewStream(rwc, s.max, func(msg string) { s.logf("%s", msg) })
	s.stream = stream
	conn := jsonrpc2.NewConn(s.ctx, stream, s, jsonrpc2.SetLogger(logger{s}))
	if testHookConnStarted != nil {
		testHookConnStarted()
	}
	s.mu.Lock()
	s.conn = conn
	s.mu.Unlock()
	select {
	case <-conn.DisconnectNotify():
	case <-ctx.Done():
		conn.Close()
	}
	s.cancel()
	s.mu.Lock()
	for _, d := range s.docs {
		d.stop()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exited {
		return s.exitCode
	}
	return 1
}

// testHookConnStarted, if set, runs in Serve between the connection's start
// and Serve's storing it: tests widen that window with it.
var testHookConnStarted func()

// logger routes jsonrpc2's own messages to the log.
type logger struct{ s *Server }

func (l logger) Printf(format string, v ...any) {
	l.s.logf("%s", strings.TrimSpace(fmt.Sprintf(format, v...)))
}

// logf logs to the log writer and to the client (window/logMessage).
func (s *Server) logf(format string, args ...any) {
	s.message("window/logMessage", lsp.Log, fmt.Sprintf(format, args...))
}

// ShowError shows an engine failure to the user (window/showMessage), once
// per distinct message. It is the engine's error handler.
func (s *Server) ShowError(err error) {
	msg := "gauntlet: " + err.Error()
	s.mu.Lock()
	seen := s.shown[msg]
	s.shown[msg] = true
	s.mu.Unlock()
	if !seen {
		s.message("window/showMessage", lsp.MTError, msg)
	}
}

// showOnce shows a problem that stops tests from running (no runner
// recognised, a runner that cannot start, a collection error, no tests
// collected) as an error once per distinct message in the session; each
// later time it is only logged, so that every run or code lens request does
// not raise the same window again. problem is the error's own text: the
// same problem met by a code lens and by a run is shown once.
func (s *Server) showOnce(problem error, msg string) {
	key := "tests: " + problem.Error()
	s.mu.Lock()
	seen := s.shown[key]
	s.shown[key] = true
	s.mu.Unlock()
	if seen {
		s.message("window/logMessage", lsp.MTError, msg)
		return
	}
	s.message("window/showMessage", lsp.MTError, msg)
}

func (s *Server) message(method string, typ lsp.MessageType, msg string) {
	fmt.Fprintf(s.log, "gauntlet lsp: %s\n", msg)
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	if conn != nil {
		_ = conn.Notify(context.Background(), method, lsp.LogMessageParams{Type: typ, Message: msg})
	}
}

func (s *Server) notify(method string, params any) {
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	if conn == nil {
		return
	}
	if err := conn.Notify(context.Background(), method, params); err != nil && err != jsonrpc2.ErrClosed {
		fmt.Fprintf(s.log, "gauntlet lsp: send %s: %v\n", method, err)
	}
}

// requestHandler answers one request. It runs after its predecessors'
// notifications have been applied, in its own goroutine, with a context that
// $/cancelRequest cancels.
type requestHandler func(s *Server, ctx context.Context, params json.RawMessage) (any, error)

// notificationHandler applies one notification, in order, on the reading
// goroutine: it must be quick and must not wait for the client.
type notificationHandler func(s *Server, params json.RawMessage) error

var requests = map[string]requestHandler{
	"textDocument/codeAction":  (*Server).codeAction,
	"textDocument/codeLens":    (*Server).codeLens,
	"workspace/executeCommand": (*Server).executeCommand,
}

var notifications = map[string]notificationHandler{
	"initialized":                      (*Server).initialized,
	"textDocument/didOpen":             (*Server).didOpen,
	"textDocument/didChange":           (*Server).didChange,
	"textDocument/didClose":            (*Server).didClose,
	"textDocument/didSave":             (*Server).didSave,
	"workspace/didChangeWatchedFiles":  (*Server).didChangeWatchedFiles,
	"workspace/didChangeConfiguration": func(*Server, json.RawMessage) error { return nil },
	"$/cancelRequest":                  (*Server).cancelRequest,
	"$/setTrace":                       func(*Server, json.RawMessage) error { return nil },
	"window/workDoneProgress/cancel":   (*Server).cancelProgress,
}

// Handle implements jsonrpc2.Handler. It runs on the connection's reading
// goroutine, so notifications apply in the order they were sent; requests
// other than the lifecycle's are answered in their own goroutines.
func (s *Server) Handle(ctx context.Context, conn *jsonrpc2.Conn, req *jsonrpc2.Request) {
	defer func() {
		if r := recover(); r != nil {
			s.logf("panic handling %s: %v\n%s", req.Method, r, debug.Stack())
			if !req.Notif {
				s.replyErr(conn, req.ID, jsonrpc2.CodeInternalError, fmt.Sprintf("internal error in %s: %v", req.Method, r))
			}
		}
	}()
	var params json.RawMessage
	if req.Params != nil {
		params = s.stream.Params(*req.Params)
	}
	if req.Method == "exit" {
		s.exit(conn)
		return
	}
	s.mu.Lock()
	// jsonrpc2.NewConn starts reading before it returns: until Serve stores
	// the connection, the first messages' answers and notifications would
	// find none and be dropped (a lost publishDiagnostics under load).
	if s.conn == nil {
		s.conn = conn
	}
	st := s.state
	s.mu.Unlock()
	switch {
	case st == stateNew && req.Method != "initialize":
		if !req.Notif {
			s.replyErr(conn, req.ID, codeServerNotInitialized, "server not initialized: "+req.Method+" before initialize")
		}
		return
	case st == stateShutdown:
		if !req.Notif {
			s.replyErr(conn, req.ID, jsonrpc2.CodeInvalidRequest, "server is shut down: "+req.Method+" after shutdown (only exit is allowed)")
		}
		return
	}
	switch req.Method {
	case "initialize":
		if req.Notif {
			return
		}
		if st != stateNew {
			s.replyErr(conn, req.ID, jsonrpc2.CodeInvalidRequest, "initialize sent twice")
			return
		}
		res, err := s.initialize(params)
		s.reply(conn, req.ID, res, err)
		return
	case "shutdown":
		s.shutdown()
		if !req.Notif {
			s.reply(conn, req.ID, nil, nil)
		}
		return
	}
	if h, ok := notifications[req.Method]; ok {
		if err := h(s, params); err != nil {
			s.logf("%s: %v", req.Method, err)
		}
		if !req.Notif {
			s.reply(conn, req.ID, nil, nil)
		}
		return
	}
	h, ok := requests[req.Method]
	switch {
	case ok && req.Notif:
		s.logf("%s sent as a notification: ignored", req.Method)
	case ok:
		s.async(conn, req, h, params)
	case req.Notif:
		// Unknown notifications are ignored, as the specification says.
		if !strings.HasPrefix(req.Method, "$/") {
			s.logf("ignoring unknown notification %s", req.Method)
		}
	default:
		s.replyErr(conn, req.ID, jsonrpc2.CodeMethodNotFound, "method not found: "+req.Method)
	}
}

// async answers req in its own goroutine; a panic becomes -32603, a
// cancellation -32800.
func (s *Server) async(conn *jsonrpc2.Conn, req *jsonrpc2.Request, h requestHandler, params json.RawMessage) {
	barrier := s.noteSeq.Load() // the changes sent before this request
	ctx, cancel := context.WithCancel(s.ctx)
	s.mu.Lock()
	s.inflight[req.ID] = cancel
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.inflight, req.ID)
			s.mu.Unlock()
			cancel()
		}()
		res, err := func() (res any, err error) {
			defer func() {
				if r := recover(); r != nil {
					s.logf("panic handling %s: %v\n%s", req.Method, r, debug.Stack())
					err = &jsonrpc2.Error{Code: jsonrpc2.CodeInternalError, Message: fmt.Sprintf("internal error in %s: %v", req.Method, r)}
				}
			}()
			if err := s.caughtUp(ctx, req.Method, params, barrier); err != nil {
				return nil, err
			}
			return h(s, ctx, params)
		}()
		if ctx.Err() != nil && s.ctx.Err() == nil {
			s.replyErr(conn, req.ID, codeRequestCancelled, req.Method+" cancelled")
			return
		}
		s.reply(conn, req.ID, res, err)
	}()
}

// documentRequests are about one document (params.textDocument.uri): they
// wait only for that document's earlier changes to be applied, never for
// another's. Every other request waits for every document's.
var documentRequests = map[string]bool{
	"textDocument/codeAction": true,
	"textDocument/codeLens":   true,
}

// caughtUp waits until the changes sent before a request (numbered up to
// barrier) are applied to the documents it may read.
func (s *Server) caughtUp(ctx context.Context, method string, params json.RawMessage, barrier uint64) error {
	var docs []*document
	s.mu.Lock()
	if documentRequests[method] {
		var p struct {
			TextDocument lsp.TextDocumentIdentifier `json:"textDocument"`
		}
		if json.Unmarshal(params, &p) == nil {
			if d := s.docs[p.TextDocument.URI]; d != nil {
				docs = append(docs, d)
			}
		}
	} else {
		for _, d := range s.docs {
			docs = append(docs, d)
		}
	}
	s.mu.Unlock()
	for _, d := range docs {
		if err := d.caughtUp(ctx, barrier); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) reply(conn *jsonrpc2.Conn, id jsonrpc2.ID, res any, err error) {
	if err != nil {
		e, ok := err.(*jsonrpc2.Error)
		if !ok {
			e = &jsonrpc2.Error{Code: jsonrpc2.CodeInternalError, Message: err.Error()}
		}
		if err := conn.ReplyWithError(context.Background(), id, e); err != nil && err != jsonrpc2.ErrClosed {
			fmt.Fprintf(s.log, "gauntlet lsp: reply to %s: %v\n", id, err)
		}
		return
	}
	if err := conn.Reply(context.Background(), id, res); err != nil && err != jsonrpc2.ErrClosed {
		fmt.Fprintf(s.log, "gauntlet lsp: reply to %s: %v\n", id, err)
	}
}

func (s *Server) replyErr(conn *jsonrpc2.Conn, id jsonrpc2.ID, code int64, msg string) {
	s.reply(conn, id, nil, &jsonrpc2.Error{Code: code, Message: msg})
}

// invalidParams is the error for params that do not decode.
func invalidParams(method string, err error) error {
	return &jsonrpc2.Error{Code: jsonrpc2.CodeInvalidParams, Message: fmt.Sprintf("%s: invalid params: %v", method, err)}
}

func unmarshal(params json.RawMessage, v any) error {
	if len(params) == 0 {
		return fmt.Errorf("missing params")
	}
	return json.Unmarshal(params, v)
}

func (s *Server) shutdown() {
	s.mu.Lock()
	s.state = stateShutdown
	for _, d := range s.docs {
		d.stop()
	}
	for _, c := range s.inflight {
		c()
	}
	s.mu.Unlock()
}

func (s *Server) exit(conn *jsonrpc2.Conn) {
	s.mu.Lock()
	s.exited = true
	s.exitCode = 1
	if s.state == stateShutdown {
		s.exitCode = 0
	}
	s.mu.Unlock()
	conn.Close()
}

func (s *Server) cancelRequest(params json.RawMessage) error {
	var p cancelParams
	if err := unmarshal(params, &p); err != nil {
		return err
	}
	s.mu.Lock()
	cancel := s.inflight[p.ID]
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil
}

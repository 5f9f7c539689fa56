package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"

	lsp "github.com/sourcegraph/go-lsp"
	"github.com/sourcegraph/jsonrpc2"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// TestRunner finds and runs a workspace's tests for the code lenses and
// gauntlet.runTests. cmd wires it to analysis/testrun; lsp only translates.
type TestRunner interface {
	// TestsInFile lists the tests declared in f (an open document, possibly
	// unsaved) that a code lens offers to run.
	TestsInFile(ctx context.Context, f *analysis.File) ([]testrun.Test, error)
	// Run runs the tests with these ids, reporting progress as it goes,
	// and returns a one-line summary.
	Run(ctx context.Context, ids []string, progress func(message string, percent int)) (summary string, passed bool, err error)
}

// WithTests enables test code lenses and gauntlet.runTests; newRunner gets
// the workspace root at initialize.
func WithTests(newRunner func(root string) TestRunner) Option {
	return func(s *Server) { s.tests = newRunner }
}

func (s *Server) runner() TestRunner {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tests == nil || s.root == "" {
		return nil
	}
	if s.testRunner == nil {
		s.testRunner = s.tests(s.root)
	}
	return s.testRunner
}

// runTestsArgs is the argument of gauntlet.runTests.
type runTestsArgs struct {
	IDs []string `json:"ids"`
}

// codeLens puts "▶ run test" over every test declared in the document.
func (s *Server) codeLens(ctx context.Context, params json.RawMessage) (any, error) {
	var p struct {
		TextDocument lsp.TextDocumentIdentifier `json:"textDocument"`
	}
	if err := unmarshal(params, &p); err != nil {
		return nil, invalidParams("textDocument/codeLens", err)
	}
	lenses := []codeLens{}
	r := s.runner()
	s.mu.Lock()
	d := s.docs[p.TextDocument.URI]
	enc := s.enc
	s.mu.Unlock()
	if r == nil || d == nil {
		return lenses, nil
	}
	s.mu.Lock()
	f := d.file
	s.mu.Unlock()
	lenses = append(lenses, s.coverageLenses(ctx, f, enc)...)
	tests, err := r.TestsInFile(ctx, f)
	if err != nil {
		s.showOnce(err, "gauntlet: tests cannot run: "+err.Error())
		return lenses, nil
	}
	var all []string
	for _, t := range tests {
		all = append(all, t.ID)
		lenses = append(lenses, codeLens{
			Range:   toRange(f.Mapper(), t.Start, t.Start, enc),
			Command: &lsp.Command{Title: "▶ run test", Command: cmdRunTests, Arguments: []any{runTestsArgs{IDs: []string{t.ID}}}},
		})
	}
	if len(tests) > 1 {
		lenses = append(lenses, codeLens{
			Range:   toRange(f.Mapper(), 0, 0, enc),
			Command: &lsp.Command{Title: fmt.Sprintf("▶ run %d tests in this file", len(tests)), Command: cmdRunTests, Arguments: []any{runTestsArgs{IDs: all}}},
		})
	}
	return lenses, nil
}

func (s *Server) executeCommand(ctx context.Context, params json.RawMessage) (any, error) {
	var p executeCommandParams
	if err := unmarshal(params, &p); err != nil {
		return nil, invalidParams("workspace/executeCommand", err)
	}
	switch p.Command {
	case cmdRunTests:
		return s.runTests(ctx, p)
	case cmdFix:
		return s.fix(ctx, p)
	case cmdVerifyEdit:
		return s.verifyEdit(ctx, p)
	case cmdCoverage:
		return s.coverage(ctx, p)
	}
	return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeInvalidParams, Message: "command not available in this server yet: " + p.Command}
}

// runTestsResult is what gauntlet.runTests answers at once: the run goes on
// in the background, reported through $/progress (cancellable) and, when it
// ends, a window/showMessage with the summary and the failing tests'
// diagnostics. A blocking command would fail in clients with a request
// timeout (eglot's is 10 s) on any real suite.
type runTestsResult struct {
	Started bool   `json:"started"`
	Title   string `json:"title"`
}

func (s *Server) runTests(ctx context.Context, p executeCommandParams) (any, error) {
	r := s.runner()
	if r == nil {
		return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeInvalidParams, Message: "gauntlet.runTests: no test runner for this workspace"}
	}
	var args runTestsArgs
	if len(p.Arguments) > 0 {
		if err := json.Unmarshal(p.Arguments[0], &args); err != nil {
			return nil, invalidParams("gauntlet.runTests", err)
		}
	}
	if len(args.IDs) == 0 {
		return nil, invalidParams("gauntlet.runTests", fmt.Errorf("no test ids"))
	}
	title := fmt.Sprintf("Running %d tests", len(args.IDs))
	if len(args.IDs) == 1 {
		title = "Running " + args.IDs[0]
	}
	s.background(func(ctx context.Context) {
		ctx, pr := s.beginProgress(ctx, title)
		var summary string
		var passed bool
		var err error
		if rep, ok := r.(TestReporter); ok {
			var tr TestReport
			tr, err = rep.Report(ctx, args.IDs, pr.report)
			if err == nil {
				summary, passed = tr.Summary, tr.Passed
				s.recordFailures(tr)
			}
		} else {
			summary, passed, err = r.Run(ctx, args.IDs, pr.report)
		}
		if err != nil {
			msg := "gauntlet.runTests: " + err.Error()
			if ctx.Err() != nil && s.ctx.Err() == nil {
				msg = "gauntlet.runTests: cancelled"
				pr.end(msg)
				s.message("window/showMessage", lsp.MTError, msg)
				return
			}
			pr.end(msg) // each run's progress ends with its problem
			s.showOnce(err, msg)
			return
		}
		pr.end(summary)
		typ := lsp.MessageType(lsp.Info)
		if !passed {
			typ = lsp.MTWarning
		}
		s.message("window/showMessage", typ, summary)
	})
	return runTestsResult{Started: true, Title: title}, nil
}

// background runs a long job (a test run, a coverage build) after the
// request that started it has been answered, until the server stops or the
// job's progress is cancelled.
func (s *Server) background(job func(ctx context.Context)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		job(s.ctx)
	}()
}

var progressSeq atomic.Int64

// progress is one work done progress ($/progress) of a long job, or nothing
// when the client does not support it.
type progress struct {
	s     *Server
	token progressToken
}

// beginProgress creates a progress token (window/workDoneProgress/create),
// sends its begin, and returns a context that the client's cancel button
// (window/workDoneProgress/cancel) cancels.
func (s *Server) beginProgress(ctx context.Context, title string) (context.Context, *progress) {
	s.mu.Lock()
	supported := s.caps.Window.WorkDoneProgress
	conn := s.conn
	s.mu.Unlock()
	pr := &progress{s: s}
	if !supported || conn == nil {
		return ctx, pr
	}
	token := progressToken(strconv.Quote(fmt.Sprintf("gauntlet-%d", progressSeq.Add(1))))
	if err := conn.Call(ctx, "window/workDoneProgress/create", workDoneProgressCreateParams{Token: token}, nil); err != nil {
		s.logf("window/workDoneProgress/create: %v", err)
		return ctx, pr
	}
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.progress[string(token)] = cancel
	s.mu.Unlock()
	pr.token = token
	s.notify("$/progress", progressParams{Token: token, Value: workDoneProgressBegin{Kind: "begin", Title: title, Cancellable: true}})
	return ctx, pr
}

func (p *progress) report(message string, percent int) {
	if p.token == nil {
		return
	}
	pct := min(max(percent, 0), 100)
	p.s.notify("$/progress", progressParams{Token: p.token, Value: workDoneProgressReport{Kind: "report", Message: message, Percentage: &pct}})
}

func (p *progress) end(message string) {
	if p.token == nil {
		return
	}
	p.s.notify("$/progress", progressParams{Token: p.token, Value: workDoneProgressEnd{Kind: "end", Message: message}})
	p.s.mu.Lock()
	if cancel := p.s.progress[string(p.token)]; cancel != nil {
		cancel()
		delete(p.s.progress, string(p.token))
	}
	p.s.mu.Unlock()
}

func (s *Server) cancelProgress(params json.RawMessage) error {
	var p workDoneProgressCancelParams
	if err := unmarshal(params, &p); err != nil {
		return err
	}
	s.mu.Lock()
	cancel := s.progress[string(p.Token)]
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return nil
}

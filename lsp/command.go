package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	lsp "github.com/sourcegraph/go-lsp"
	"github.com/sourcegraph/jsonrpc2"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// This file runs every workspace/executeCommand the way gopls' command
// handler does (commandHandler.run with its commandConfig): a command
// decodes its arguments, says what it needs (a root folder, an open
// document, the snapshot of the open documents, a progress, to run in the
// background) and hands runCommand a function that only does its work.
// runCommand sets up what was asked, begins and ends the progress, and
// reports a failure or a cancellation, one way for every command.

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

// commandArg decodes a command's first argument into v, if there is one.
func commandArg(p executeCommandParams, v any) error {
	if len(p.Arguments) == 0 {
		return nil
	}
	if err := json.Unmarshal(p.Arguments[0], v); err != nil {
		return invalidParams(p.Command, err)
	}
	return nil
}

// commandConfig says what a command needs before its work starts.
type commandConfig struct {
	name     string // the command (gauntlet.fix), for its errors and messages
	needRoot bool   // the workspace must have a root folder
	snapshot bool   // take the snapshot of the open documents
	// forDoc: the command is about the open document forURI, inside the
	// root (it implies needRoot and snapshot).
	forDoc bool
	forURI lsp.DocumentURI
	// progress is the title of the command's $/progress ("": none).
	progress string
	// prepare, if set, runs once the rest is set up and before the progress
	// begins: its error refuses the command (nothing was started), and a
	// title it returns replaces progress.
	prepare func(ctx context.Context, deps *commandDeps) (title string, err error)
	// async: the request is answered at once with started; the work runs
	// in the background until the server stops or the progress is
	// cancelled, and the user hears how it ended from window/showMessage.
	// (A blocking command would fail in clients with a request timeout,
	// eglot's is 10 s, on any real suite.)
	async   bool
	started any
}

// commandDeps is what runCommand set up for a command's work.
type commandDeps struct {
	root string
	enc  analysis.Encoding
	snap *analysis.Snapshot        // with snapshot or forURI
	used map[string]*analysis.File // the open documents snap holds, by path
	file *analysis.File            // forURI's document in snap
	work *progress                 // the command's progress; never nil (a no-op without one)
}

// outcome is how a command that did its work ended.
type outcome struct {
	end  string          // the progress's last message
	show string          // shown with window/showMessage, if not ""
	typ  lsp.MessageType // show's type (0: info)
	then func()          // runs after the progress ended and show was shown
}

// commandFunc does a command's work. An error means it could not (or was
// cancelled): runCommand reports it.
type commandFunc func(ctx context.Context, deps *commandDeps) (any, outcome, error)

// runCommand sets up what cfg asks for, runs fn under the command's progress, and
// reports how it ended: the outcome's end and message; a cancellation (the
// progress's cancel button, $/cancelRequest) as -32800, or for a
// background command as a message; any other failure as the progress's
// end, an error message and the answer's error.
func (s *Server) runCommand(ctx context.Context, cfg commandConfig, fn commandFunc) (any, error) {
	s.mu.Lock()
	deps := &commandDeps{root: s.root, enc: s.enc, work: &progress{s: s}}
	_, open := s.docs[cfg.forURI]
	s.mu.Unlock()
	switch {
	case cfg.forDoc && cfg.forURI == "":
		return nil, invalidParams(cfg.name, errors.New("no uri"))
	case cfg.forDoc && !open:
		return nil, invalidParams(cfg.name, fmt.Errorf("%s is not open", cfg.forURI))
	case (cfg.needRoot || cfg.forDoc) && deps.root == "":
		return nil, invalidParams(cfg.name, errors.New("the workspace has no root folder"))
	}
	if cfg.snapshot || cfg.forDoc {
		deps.snap, deps.used = s.snapshot()
	}
	if cfg.forDoc {
		if deps.file = deps.used[s.docPath(cfg.forURI)]; deps.file == nil {
			return nil, invalidParams(cfg.name, fmt.Errorf("%s is outside the workspace %s", cfg.forURI, deps.root))
		}
	}
	title := cfg.progress
	if cfg.prepare != nil {
		t, err := cfg.prepare(ctx, deps)
		if err != nil {
			return nil, err
		}
		if t != "" {
			title = t
		}
	}
	work := func(ctx context.Context) (any, error) {
		if title != "" {
			ctx, deps.work = s.beginProgress(ctx, title)
		}
		res, o, err := fn(ctx, deps)
		if err == nil {
			deps.work.end(o.end)
			if o.show != "" {
				typ := o.typ
				if typ == 0 {
					typ = lsp.Info
				}
				s.message("window/showMessage", typ, o.show)
			}
			if o.then != nil {
				o.then()
			}
			return res, nil
		}
		if ctx.Err() != nil && (!cfg.async || s.ctx.Err() == nil) {
			msg := cfg.name + ": cancelled"
			deps.work.end(msg)
			if cfg.async {
				s.message("window/showMessage", lsp.MTError, msg)
			}
			return nil, cancelled(cfg.name)
		}
		msg := cfg.name + ": " + err.Error()
		deps.work.end(msg) // each run's progress ends with its problem
		if cfg.async {
			s.showOnce(err, msg)
		} else {
			s.message("window/showMessage", lsp.MTError, "gauntlet: "+strings.TrimPrefix(cfg.name, "gauntlet.")+": "+err.Error())
		}
		return nil, fmt.Errorf("%s: %w", cfg.name, err)
	}
	if cfg.async {
		s.background(func(ctx context.Context) { _, _ = work(ctx) })
		return cfg.started, nil
	}
	return work(ctx)
}

// cancelled is the answer to a command the user cancelled (its progress's
// cancel button, or $/cancelRequest).
func cancelled(cmd string) error {
	return &jsonrpc2.Error{Code: codeRequestCancelled, Message: cmd + " cancelled"}
}

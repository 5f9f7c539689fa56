package lsp

import (
	"context"
	"encoding/json"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// ReloadFunc loads the configuration of the workspace at root: the
// analyzers it asks for, and the absolute paths of the files it was read
// from (.gauntlet.yaml, rule files), so that saving any of them reloads it.
type ReloadFunc func(ctx context.Context, root string) (analyzers []*analysis.Analyzer, files []string, err error)

// WithReload makes the server load the workspace's configuration at
// initialize and again whenever one of its files is saved or changes on disk.
func WithReload(f ReloadFunc) Option { return func(s *Server) { s.reload = f } }

// TestFunc is unused until the test runner is wired (see codelens.go).
type TestFunc any

func (s *Server) reloadConfig(why string) {}

func (s *Server) didSave(params json.RawMessage) error { return nil }

func (s *Server) didChangeWatchedFiles(params json.RawMessage) error { return nil }

func (s *Server) cancelProgress(params json.RawMessage) error { return nil }

func (s *Server) codeLens(ctx context.Context, params json.RawMessage) (any, error) {
	return []codeLens{}, nil
}

func (s *Server) executeCommand(ctx context.Context, params json.RawMessage) (any, error) {
	var p executeCommandParams
	if err := unmarshal(params, &p); err != nil {
		return nil, invalidParams("workspace/executeCommand", err)
	}
	return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeInvalidParams, Message: "command not available: " + p.Command}
}

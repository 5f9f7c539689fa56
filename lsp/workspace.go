package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	lsp "github.com/sourcegraph/go-lsp"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// ReloadFunc loads the configuration of the workspace at root: the
// analyzers it asks for, and the absolute paths of the files it was read
// from (.gauntlet.yaml, rule files), so that saving any of them reloads it.
type ReloadFunc func(ctx context.Context, root string) (analyzers []*analysis.Analyzer, files []string, err error)

// WithReload makes the server load the workspace's configuration at
// initialize and again whenever one of its files is saved or changes on disk
// (the engine's SetAnalyzers). A configuration that does not load is shown
// to the user and the previous analyzers stay.
func WithReload(f ReloadFunc) Option { return func(s *Server) { s.reload = f } }

const configFile = ".gauntlet.yaml"

// reloadConfig loads the configuration again and re-analyses every open
// document with the new analyzers.
func (s *Server) reloadConfig(why string) {
	s.mu.Lock()
	root := s.root
	s.mu.Unlock()
	if s.reload == nil || root == "" {
		return
	}
	as, files, err := s.reload(s.ctx, root)
	s.publishConfigProblems(err)
	if err != nil && as == nil {
		s.message("window/showMessage", lsp.MTError, fmt.Sprintf("gauntlet: configuration not loaded (%s); keeping the previous one: %v", why, err))
		return
	}
	if err != nil {
		s.message("window/showMessage", lsp.MTError, fmt.Sprintf("gauntlet: parts of the configuration are broken (%s); the rest is in use: %v", why, err))
	}
	s.engine.SetAnalyzers(as)
	s.engine.ResetReported()
	s.mu.Lock()
	s.watched = map[string]bool{filepath.Join(root, configFile): true}
	for _, f := range files {
		s.watched[filepath.Clean(f)] = true
	}
	s.shown = map[string]bool{}
	s.testRunner = nil // test settings may have changed too
	n := 0
	for _, d := range s.docs {
		if d.file != nil {
			s.schedule(d, d.file)
			n++
		}
	}
	s.mu.Unlock()
	s.logf("configuration loaded (%s): %d analyzers, %d open documents re-analysed", why, len(as), n)
}

// isConfig reports whether a saved or changed file may change the
// configuration: a file it was read from, any .gauntlet.yaml, or a YAML file
// in the workspace (a new rule file that rule_files would match).
func (s *Server) isConfig(path string) bool {
	if path == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watched[filepath.Clean(path)] || filepath.Base(path) == configFile {
		return true
	}
	ext := strings.ToLower(filepath.Ext(path))
	return (ext == ".yaml" || ext == ".yml") && s.root != "" && within(s.root, path)
}

func within(dir, p string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator))
}

func (s *Server) didSave(params json.RawMessage) error {
	var p struct {
		TextDocument lsp.TextDocumentIdentifier `json:"textDocument"`
	}
	if err := unmarshal(params, &p); err != nil {
		return err
	}
	if s.isConfig(uriPath(p.TextDocument.URI)) {
		s.reloadConfig("saved " + filepath.Base(uriPath(p.TextDocument.URI)))
	}
	return nil
}

func (s *Server) didChangeWatchedFiles(params json.RawMessage) error {
	var p didChangeWatchedFilesParams
	if err := unmarshal(params, &p); err != nil {
		return err
	}
	for _, c := range p.Changes {
		if path := uriPath(c.URI); s.isConfig(path) {
			s.reloadConfig("changed " + filepath.Base(path))
			return nil
		}
	}
	return nil
}

// initialized asks the client to watch the configuration files, when it can
// register watchers dynamically.
func (s *Server) initialized(json.RawMessage) error {
	s.mu.Lock()
	dynamic := s.caps.Workspace.DidChangeWatchedFiles.DynamicRegistration
	conn := s.conn
	s.mu.Unlock()
	if !dynamic || conn == nil || s.reload == nil {
		return nil
	}
	s.wg.Add(1)
	go func() { // a request to the client: never wait for it on the reading goroutine
		defer s.wg.Done()
		err := conn.Call(s.ctx, "client/registerCapability", registrationParams{Registrations: []registration{{
			ID:     "gauntlet-config",
			Method: "workspace/didChangeWatchedFiles",
			RegisterOptions: didChangeWatchedFilesRegistrationOptions{Watchers: []fileSystemWatcher{
				{GlobPattern: "**/" + configFile},
				{GlobPattern: "**/*.{yaml,yml}"},
			}},
		}}}, nil)
		if err != nil {
			s.logf("registering file watchers: %v", err)
		}
	}()
	return nil
}

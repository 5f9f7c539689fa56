package lsp

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"

	lsp "github.com/sourcegraph/go-lsp"
)

// Commands the server executes (workspace/executeCommand).
var commands = []string{cmdRunTests, cmdCoverage, cmdFix, cmdVerifyEdit}

const (
	cmdRunTests   = "gauntlet.runTests"
	cmdCoverage   = "gauntlet.coverage"
	cmdFix        = "gauntlet.fix"
	cmdVerifyEdit = "gauntlet.verifyEdit"
)

func (s *Server) initialize(params json.RawMessage) (any, error) {
	var p initializeParams
	if err := unmarshal(params, &p); err != nil {
		return nil, invalidParams("initialize", err)
	}
	root := ""
	switch {
	case p.RootURI != "":
		root = uriPath(p.RootURI)
	case len(p.Folders) > 0:
		root = uriPath(p.Folders[0].URI)
	case p.RootPath != "":
		root = p.RootPath
	}
	enc := encodingFor(p.Capabilities.General.PositionEncodings)
	s.mu.Lock()
	s.state = stateInitialized
	s.caps = p.Capabilities
	s.enc = enc
	s.root = root
	s.mu.Unlock()
	if root != "" {
		s.reloadConfig("initialize")
	}
	return initializeResult{
		ServerInfo: &serverInfo{Name: "gauntlet", Version: s.version},
		Capabilities: serverCapabilities{
			PositionEncoding: encodingName(enc),
			TextDocumentSync: textDocumentSyncOptions{
				OpenClose: true,
				Change:    lsp.TDSKIncremental,
				Save:      &lsp.SaveOptions{},
			},
			CodeActionProvider:     &codeActionOptions{CodeActionKinds: []string{kindQuickFix, kindFixAllGauntlet, kindVerifyUnsaved}},
			CodeLensProvider:       &lsp.CodeLensOptions{},
			ExecuteCommandProvider: &lsp.ExecuteCommandOptions{Commands: commands},
		},
	}, nil
}

// uriPath returns the file system path of a file: URI, or "" for another scheme.
func uriPath(u lsp.DocumentURI) string {
	parsed, err := url.Parse(string(u))
	if err != nil || parsed.Scheme != "file" {
		return ""
	}
	p := parsed.Path
	if runtime.GOOS == "windows" {
		p = strings.TrimPrefix(p, "/")
	}
	return filepath.FromSlash(p)
}

// pathURI returns the file: URI of an absolute path.
func pathURI(p string) lsp.DocumentURI {
	p = filepath.ToSlash(p)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return lsp.DocumentURI((&url.URL{Scheme: "file", Path: p}).String())
}

// docPath is the analysis path of a document: relative to the workspace root
// when inside it (as the configuration's globs expect), else absolute, else
// (not a file) the URI itself.
func (s *Server) docPath(u lsp.DocumentURI) string {
	p := uriPath(u)
	if p == "" {
		return string(u)
	}
	s.mu.Lock()
	root := s.root
	s.mu.Unlock()
	if root != "" {
		if r, err := filepath.Rel(root, p); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return filepath.ToSlash(r)
		}
	}
	return filepath.ToSlash(p)
}

// Package serve is the plugin side of the Analyzer service: it runs a
// plugin's *analysis.Analyzer values with analysis.Run, on files parsed with
// gauntlet's own grammars. The SDK serves it over go-plugin; sdktest serves
// it in process.
package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/plugins/internal/wire"
)

// Service implements wire.Service over a plugin's analyzers.
type Service struct {
	desc      *wire.Description
	analyzers []*analysis.Analyzer
	byName    map[string]*analysis.Analyzer
	files     fileCache
}

// New checks the analyzers (each has a Run and a unique [a-z0-9-]+ name, and
// names languages gauntlet parses) and returns the service for them.
func New(name, version string, analyzers []*analysis.Analyzer) (*Service, error) {
	s := &Service{
		desc:      &wire.Description{Name: name, Version: version, AcceptsEdits: true},
		analyzers: analyzers,
		byName:    map[string]*analysis.Analyzer{},
		files:     fileCache{m: map[string]*cached{}},
	}
	for i, a := range analyzers {
		if a == nil || a.Run == nil {
			return nil, fmt.Errorf("analyzer %d has no Run function", i)
		}
		s.byName[a.Name] = a
		s.desc.Analyzers = append(s.desc.Analyzers, wire.AnalyzerInfo{
			Name: a.Name, Doc: a.Doc, URL: a.URL, Languages: a.Languages, Severity: a.Severity,
		})
	}
	if err := s.desc.Check(); err != nil {
		return nil, err
	}
	return s, nil
}

// Describe names the plugin and its analyzers.
func (s *Service) Describe(context.Context) (*wire.Description, error) { return s.desc, nil }

// Analyze runs the requested analyzers over each file, one analyzer at a
// time so that every finding is attributed to its analyzer.
func (s *Service) Analyze(ctx context.Context, req *wire.Request) (*wire.Result, error) {
	selected := s.analyzers
	res := &wire.Result{}
	if len(req.Analyzers) > 0 {
		selected = nil
		for _, n := range req.Analyzers {
			a := s.byName[n]
			if a == nil {
				res.Errors = append(res.Errors, &analysis.AnalyzerError{Analyzer: n, Err: errors.New("this plugin has no such analyzer")})
				continue
			}
			selected = append(selected, a)
		}
	}
	for i, in := range req.Files {
		var rev uint64
		if i < len(req.Revisions) {
			rev = req.Revisions[i]
		}
		var f *analysis.File
		if i < len(req.Edits) && req.Edits[i] != nil {
			if f = s.files.edit(ctx, in, rev, req.Edits[i]); f == nil {
				res.NeedContent = append(res.NeedContent, in.Path)
				continue
			}
		} else {
			f = s.files.get(ctx, in, rev)
		}
		for _, a := range selected {
			diags, errs := analysis.Run(ctx, f, []*analysis.Analyzer{a})
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			for _, d := range diags {
				res.Findings = append(res.Findings, wire.Finding{Analyzer: a.Name, Diagnostic: d})
			}
			for _, err := range errs {
				var ae *analysis.AnalyzerError
				if !errors.As(err, &ae) {
					ae = &analysis.AnalyzerError{Analyzer: a.Name, Path: f.Path, Err: err}
				}
				res.Errors = append(res.Errors, ae)
			}
		}
	}
	return res, nil
}

// fileCache keeps the last version of each recently analysed path with its
// syntax tree and the host's revision of its text. An edit of that revision
// is applied to it and parsed incrementally; a host that sends whole files
// (one from before edits) gets the same: a new version is parsed
// incrementally from the last one, the change being the span between their
// common prefix and suffix, and the same content reuses the tree.
type fileCache struct {
	mu   sync.Mutex
	m    map[string]*cached
	tick uint64
}

type cached struct {
	file *analysis.File
	rev  uint64
	used uint64
}

const maxCachedFiles = 64

// edit applies e to the kept text of its base revision and returns the new
// version, or nil if that text is not kept (or the changes do not fit it).
func (c *fileCache) edit(ctx context.Context, in *analysis.File, rev uint64, e *wire.FileEdit) *analysis.File {
	c.mu.Lock()
	old := c.m[in.Path]
	c.mu.Unlock()
	if old == nil || old.rev != e.BaseRevision || e.BaseRevision == 0 {
		return nil
	}
	f := old.file
	if len(e.Changes) > 0 || f.Version != in.Version {
		nf, err := f.Edit(ctx, e.Changes, in.Version)
		if err != nil {
			return nil
		}
		f = nf
	}
	c.put(in.Path, f, rev)
	return f
}

func (c *fileCache) get(ctx context.Context, in *analysis.File, rev uint64) *analysis.File {
	c.mu.Lock()
	var old *analysis.File
	if e := c.m[in.Path]; e != nil {
		old = e.file
	}
	c.mu.Unlock()

	f := in
	if old != nil && old.Lang == in.Lang && in.Lang != nil {
		if bytes.Equal(old.Content, in.Content) {
			f = old
		} else if nf, err := old.Edit(ctx, []analysis.Change{wire.Span(old.Content, in.Content)}, in.Version); err == nil {
			f = nf
		}
	}
	c.put(in.Path, f, rev)
	return f
}

// put keeps f as path's last version, at the host's revision rev.
func (c *fileCache) put(path string, f *analysis.File, rev uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	c.m[path] = &cached{file: f, rev: rev, used: c.tick}
	if len(c.m) > maxCachedFiles {
		oldest, at := "", c.tick
		for p, e := range c.m {
			if e.used < at {
				oldest, at = p, e.used
			}
		}
		delete(c.m, oldest)
	}
}

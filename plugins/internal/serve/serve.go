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
		desc:      &wire.Description{Name: name, Version: version},
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
	for _, in := range req.Files {
		f := s.files.get(ctx, in)
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
// syntax tree. A request with the same content reuses the tree (several
// analyzers, one file); a new version is parsed incrementally from the last
// one, the change being the span between their common prefix and suffix.
// The host sends whole files; this keeps a plugin's parse as cheap as the
// host's own incremental one.
type fileCache struct {
	mu   sync.Mutex
	m    map[string]*cached
	tick uint64
}

type cached struct {
	file *analysis.File
	used uint64
}

const maxCachedFiles = 64

func (c *fileCache) get(ctx context.Context, in *analysis.File) *analysis.File {
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
		} else if nf, err := old.Edit(ctx, []analysis.Change{span(old.Content, in.Content)}, in.Version); err == nil {
			f = nf
		}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	c.m[in.Path] = &cached{file: f, used: c.tick}
	if len(c.m) > maxCachedFiles {
		oldest, at := "", c.tick
		for p, e := range c.m {
			if e.used < at {
				oldest, at = p, e.used
			}
		}
		delete(c.m, oldest)
	}
	return f
}

// span is the one change that turns a into b.
func span(a, b []byte) analysis.Change {
	n := min(len(a), len(b))
	p := 0
	for p < n && a[p] == b[p] {
		p++
	}
	s := 0
	for s < n-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	return analysis.Change{Start: p, End: len(a) - s, Text: string(b[p : len(b)-s])}
}

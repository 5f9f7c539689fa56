// Package diagnostics turns the typed diagnostics of an Analyze result
// (1-based lines and byte columns, paths relative to the request's cwd)
// back into the engine's byte-offset analysis.Diagnostic values, for a
// front end that shows a server's findings as its own (gauntlet lsp
// --server). It is a package of its own so that package client stays free
// of package analysis and its cgo parsers.
package diagnostics

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/server/api"
)

// ForFile returns the diagnostics of res, an Analyze result of the file f
// (f.Path relative to root, the request's cwd, and f.Content the buffer
// sent with it), as byte-offset diagnostics of f. A fix's edits of f are
// placed in f.Content; its edits of other files in those files as they are
// on disk under root (what the server analysed): a fix whose file cannot
// be read there (outside root, in .git, gone) is dropped.
func ForFile(res *api.Result, root string, f *analysis.File) ([]analysis.Diagnostic, error) {
	doc, ok := res.Document.(*api.AnalyzeDocument)
	if !ok {
		if res.Document != nil || len(res.JSON) == 0 {
			return nil, fmt.Errorf("the server's answer holds no diagnostics (%T)", res.Document)
		}
		// A Backend in this process leaves the document as JSON.
		d, err := api.DecodeDocument(api.AnalyzeKind, res.JSON)
		if err != nil {
			return nil, err
		}
		doc = d.(*api.AnalyzeDocument)
	}
	mappers := map[string]*analysis.Mapper{f.Path: f.Mapper()}
	contents := map[string][]byte{f.Path: f.Content}
	mapper := func(path string) *analysis.Mapper {
		if m, ok := mappers[path]; ok {
			return m // nil: unreadable
		}
		var m *analysis.Mapper
		if rp, err := analysis.ResolvePath(root, filepath.FromSlash(path)); err == nil {
			if b, err := os.ReadFile(rp.Real); err == nil {
				m, contents[path] = analysis.NewMapper(b), b
			}
		}
		mappers[path] = m
		return m
	}
	offset := func(path string, p api.Pos) int {
		off, err := mapper(path).Offset(p.Line-1, p.Column-1, analysis.UTF8)
		if err != nil {
			return len(contents[path])
		}
		return off
	}
	var out []analysis.Diagnostic
	for _, d := range doc.Diagnostics {
		sev, err := analysis.ParseSeverity(d.Severity)
		if err != nil {
			sev = analysis.SeverityWarning
		}
		nd := analysis.Diagnostic{Path: f.Path, Start: offset(f.Path, d.Range.Start), End: offset(f.Path, d.Range.End), Severity: sev,
			Code: d.Code, Source: d.Source, Message: d.Message, URL: d.URL}
		for _, fx := range d.Fixes {
			af := analysis.Fix{Title: fx.Title}
			ok := true
			for _, e := range fx.Edits {
				p := e.Path
				if p == "" {
					p = f.Path
				}
				if mapper(p) == nil {
					ok = false
					break
				}
				af.Edits = append(af.Edits, analysis.TextEdit{Path: p, Start: offset(p, e.Range.Start), End: offset(p, e.Range.End), NewText: e.NewText})
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

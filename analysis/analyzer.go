package analysis

import (
	"context"
	"fmt"
	"runtime/debug"
	"slices"

	sitter "github.com/smacker/go-tree-sitter"
)

// Analyzer is one static check, in the shape of golang.org/x/tools/go/analysis.
// Built-in analyzers, YAML rules and plugin processes all become this value;
// whoever runs it cannot tell them apart.
type Analyzer struct {
	Name      string   // unique id, used as the diagnostics' code: [a-z0-9-]+
	Doc       string   // first line is a summary
	URL       string   // documentation, optional
	Languages []string // language names it applies to; empty means all
	Severity  Severity // default severity of its findings (zero: warning)
	Source    string   // who provides it: "gauntlet" (default), or a plugin's name
	Run       func(*Pass) error

	// Filter, if set, reports without parsing whether the analyzer could
	// report anything on f (its path globs, the literal text its patterns
	// need). Run skips the analyzer where it returns false, and a file that
	// no analyzer wants is never parsed. Nil means every file of Languages.
	Filter func(f *File) bool

	// NoTree: Run does not read Pass.Tree (a plugin's analyzer: the plugin
	// parses on its side), so the file is not parsed for it and its pass
	// has no tree.
	NoTree bool
}

// Applies reports whether a applies to files of language lang.
func (a *Analyzer) Applies(lang *Language) bool {
	return lang != nil && (len(a.Languages) == 0 || slices.Contains(a.Languages, lang.Name))
}

// Pass is an analyzer's only contact with whoever runs it: one file, its
// tree, and a way to report.
type Pass struct {
	Context  context.Context
	Analyzer *Analyzer
	File     *File
	Tree     *sitter.Tree // private to this pass; nil if the file could not be parsed
	Report   func(Diagnostic)
}

// Content is the file's text.
func (p *Pass) Content() []byte { return p.File.Content }

// Reportf reports a diagnostic on node with the analyzer's default severity.
func (p *Pass) Reportf(node *sitter.Node, format string, args ...any) {
	p.Report(Diagnostic{
		Start:   int(node.StartByte()),
		End:     int(node.EndByte()),
		Message: fmt.Sprintf(format, args...),
	})
}

// AnalyzerError is an analyzer that failed (returned an error or panicked) on
// one file. It degrades only that analyzer.
type AnalyzerError struct {
	Analyzer string
	Path     string
	Err      error
}

func (e *AnalyzerError) Error() string {
	return fmt.Sprintf("analyzer %s on %s: %v", e.Analyzer, e.Path, e.Err)
}

func (e *AnalyzerError) Unwrap() error { return e.Err }

// Run runs every analyzer that applies to f and returns their diagnostics,
// completed with path, code, source, severity and URL from the analyzer, and
// sorted. A failing or panicking analyzer costs only its own findings: its
// error is returned beside the others' results.
func Run(ctx context.Context, f *File, analyzers []*Analyzer) ([]Diagnostic, []error) {
	var diags []Diagnostic
	var errs []error
	for _, a := range analyzers {
		if !a.Applies(f.Lang) || (a.Filter != nil && !a.Filter(f)) {
			continue
		}
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		ds, err := runOne(ctx, a, f)
		if err != nil {
			errs = append(errs, &AnalyzerError{Analyzer: a.Name, Path: f.Path, Err: err})
		}
		diags = append(diags, ds...)
	}
	SortDiagnostics(diags)
	return diags, errs
}

func runOne(ctx context.Context, a *Analyzer, f *File) (diags []Diagnostic, err error) {
	var tree *sitter.Tree
	if !a.NoTree {
		t, perr := f.Tree(ctx)
		if perr != nil {
			return nil, perr
		}
		// The pass's copy lives as long as the pass: an analyzer keeps no
		// node after Run returns, and tree-sitter's memory is invisible to
		// Go's GC.
		defer t.Close()
		tree = t
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	n := len(f.Content)
	pass := &Pass{Context: ctx, Analyzer: a, File: f, Tree: tree}
	pass.Report = func(d Diagnostic) {
		if d.Path == "" {
			d.Path = f.Path
		}
		if d.Code == "" {
			d.Code = a.Name
		}
		if d.Source == "" {
			d.Source = a.Source
		}
		if d.Source == "" {
			d.Source = "gauntlet"
		}
		if d.Severity == 0 {
			d.Severity = a.Severity
		}
		if d.Severity == 0 {
			d.Severity = SeverityWarning
		}
		if d.URL == "" {
			d.URL = a.URL
		}
		d.Start = min(max(d.Start, 0), n)
		d.End = min(max(d.End, d.Start), n)
		diags = append(diags, d)
	}
	err = a.Run(pass)
	return diags, err
}

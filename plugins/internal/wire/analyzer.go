package wire

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Check reports what makes a description unusable: no analyzers, a name
// that is not [a-z0-9-]+ or given twice, a language gauntlet does not parse.
func (d *Description) Check() error {
	if len(d.Analyzers) == 0 {
		return errors.New("describes no analyzers")
	}
	var errs []error
	seen := map[string]bool{}
	for _, a := range d.Analyzers {
		switch {
		case !nameRE.MatchString(a.Name):
			errs = append(errs, fmt.Errorf("analyzer name %q: want [a-z0-9-]+", a.Name))
		case seen[a.Name]:
			errs = append(errs, fmt.Errorf("analyzer %s is described twice", a.Name))
		}
		seen[a.Name] = true
		for _, l := range a.Languages {
			if analysis.LanguageNamed(l) == nil {
				errs = append(errs, fmt.Errorf("analyzer %s: unknown language %q (gauntlet parses %s)", a.Name, l, strings.Join(analysis.LanguageNames(), ", ")))
			}
		}
	}
	return errors.Join(errs...)
}

// NewAnalyzer returns the host's *analysis.Analyzer for one analyzer of a
// plugin: its metadata from info, Source the plugin's configured name, and
// run (which calls the plugin) as its Run.
func NewAnalyzer(source string, info AnalyzerInfo, run func(*analysis.Pass) error) *analysis.Analyzer {
	return &analysis.Analyzer{
		Name:      info.Name,
		Doc:       info.Doc,
		URL:       info.URL,
		Languages: slices.Clone(info.Languages),
		Severity:  info.Severity,
		Source:    source,
		Run:       run,
		NoTree:    true, // the plugin parses the file itself
	}
}

// Call runs the plugin analyzer info on pass's file, in one Analyze call on
// svc, and reports its findings to pass. A failure of the analyzer on the
// plugin's side is returned; its findings are reported regardless.
func Call(ctx context.Context, svc Service, info AnalyzerInfo, pass *analysis.Pass) error {
	res, err := svc.Analyze(ctx, &Request{Files: []*analysis.File{pass.File}, Analyzers: []string{info.Name}})
	if err != nil {
		return err
	}
	return Report(pass, info, res)
}

// Report hands pass the findings of analyzer info in res and returns its
// errors. A finding's severity equal to the analyzer's declared default is
// reported as "the default", so that the host's severity overrides apply to
// plugin findings as to built-in ones.
func Report(pass *analysis.Pass, info AnalyzerInfo, res *Result) error {
	for _, f := range res.Findings {
		d := f.Diagnostic
		if f.Analyzer != "" && f.Analyzer != info.Name || d.Path != "" && d.Path != pass.File.Path {
			continue
		}
		if d.Severity == info.Severity || info.Severity == 0 && d.Severity == analysis.SeverityWarning {
			d.Severity = 0
		}
		d.Source = ""
		EscapeDiagnostic(&d)
		pass.Report(d)
	}
	var errs []error
	for _, e := range res.Errors {
		if e.Analyzer == "" || e.Analyzer == info.Name {
			errs = append(errs, e.Err)
		}
	}
	return errors.Join(errs...)
}

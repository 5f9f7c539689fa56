package loop

import (
	"context"
	"sort"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// Scope says where Find looks for problems.
type Scope struct {
	// Files are the snapshot paths whose findings are problems.
	Files []string
	// Tests are snapshot paths (files or directories; "." for the whole
	// workspace) whose failing tests are problems; nil for none.
	Tests []string
}

// Find lists the problems in scope: error and warning findings of the
// analyzers, and failing tests. They come in the order the loop should
// take them: errors, then failing tests, then warnings, each by place.
// Failures that leave the list incomplete (a test map that could not be
// built, an analyzer that failed) come back beside it; only a cancelled
// context ends Find early.
func Find(ctx context.Context, snap *analysis.Snapshot, scope Scope, opts Options) ([]Problem, []error) {
	var errs []error
	var errors, warnings, tests []Problem
	if opts.Analyzers != nil {
		for _, path := range scope.Files {
			if ctx.Err() != nil {
				return nil, []error{ctx.Err()}
			}
			f, err := snap.File(path)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ds, es := opts.Analyzers.AnalyzeFile(ctx, f)
			errs = append(errs, es...)
			for _, d := range ds {
				if d.Path != "" && d.Path != f.Path {
					continue
				}
				switch {
				case d.Severity == analysis.SeverityError:
					errors = append(errors, NewDiagnosticProblem(f, d))
				case d.Severity == analysis.SeverityWarning:
					warnings = append(warnings, NewDiagnosticProblem(f, d))
				}
			}
		}
	}
	if scope.Tests != nil {
		ps, err := FailingTests(ctx, snap, scope.Tests, opts)
		if err != nil {
			if ctx.Err() != nil {
				return nil, []error{ctx.Err()}
			}
			errs = append(errs, err)
		}
		tests = ps
	}
	byPlace := func(ps []Problem) {
		sort.SliceStable(ps, func(i, j int) bool {
			if ps[i].Path != ps[j].Path {
				return ps[i].Path < ps[j].Path
			}
			return ps[i].Start < ps[j].Start
		})
	}
	byPlace(errors)
	byPlace(warnings)
	out := append(append(errors, tests...), warnings...)
	return out, errs
}

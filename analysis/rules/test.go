package rules

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
)

// Failure is a rule test case that did not pass. It prints as
// FILE:LINE: rule ID: what went wrong, pointing at the case's code.
type Failure struct {
	Pos  config.Pos
	Rule string
	Msg  string
}

func (f *Failure) Error() string { return fmt.Sprintf("%s: rule %s: %s", f.Pos, f.Rule, f.Msg) }

// TestResult counts the cases run (a case without a path runs once per
// language of its rule) and lists the failures.
type TestResult struct {
	Cases    int
	Failures []*Failure
}

// Test runs rule tests against the set's rules, as `gauntlet rules test`
// and the built-in packs' go tests do. Each snippet is analysed with its
// rule's analyzer alone (path globs and inline suppressions apply); valid
// snippets must yield no finding, invalid ones at least one, on exactly the
// expected lines when given, and fixed to the expected text when given.
func (s *Set) Test(ctx context.Context, tests []config.RuleTest) TestResult {
	var res TestResult
	for _, t := range tests {
		a := s.Analyzer(t.ID)
		if a == nil {
			res.Failures = append(res.Failures, &Failure{Pos: t.Pos, Rule: t.ID, Msg: "no such rule"})
			continue
		}
		src, _ := s.Rule(t.ID)
		if t.AstGrep {
			// ast-grep's tests ignore a rule's files and ignores globs.
			plain := *a
			plain.Filter = nil
			a = &plain
		}
		fail := func(c config.Case, lang *analysis.Language, msg string, diags ...analysis.Diagnostic) {
			if len(src.Languages) > 1 && c.Path == "" {
				msg += " (" + lang.Name + ")"
			}
			pos := c.Pos
			if len(diags) > 0 && pos.Line > 0 {
				// Point at the finding's line in the test file.
				pos.Line += analysis.NewMapper([]byte(c.Code)).Line(diags[0].Start)
			}
			res.Failures = append(res.Failures, &Failure{Pos: pos, Rule: t.ID, Msg: msg})
		}
		for _, group := range []struct {
			cases []config.Case
			// check returns what is wrong with the case's findings, and
			// the findings to point at
			check func(config.Case, []analysis.Diagnostic) (string, []analysis.Diagnostic)
		}{
			{t.Valid, checkValid},
			{t.Invalid, func(c config.Case, diags []analysis.Diagnostic) (string, []analysis.Diagnostic) {
				return checkInvalid(c, diags), nil
			}},
		} {
			for _, c := range group.cases {
				for _, lang := range caseLanguages(src, c) {
					res.Cases++
					diags, err := runCase(ctx, a, lang, c)
					if err != nil {
						fail(c, lang, err.Error())
					} else if msg, at := group.check(c, diags); msg != "" {
						fail(c, lang, msg, at...)
					}
				}
			}
		}
	}
	return res
}

// caseLanguages are the languages a case runs in: its path's, or every one
// of the rule's.
func caseLanguages(src config.Rule, c config.Case) []*analysis.Language {
	if c.Path != "" {
		return []*analysis.Language{analysis.LanguageForPath(c.Path)}
	}
	var out []*analysis.Language
	for _, name := range src.Languages {
		out = append(out, analysis.LanguageNamed(name))
	}
	return out
}

func runCase(ctx context.Context, a *analysis.Analyzer, lang *analysis.Language, c config.Case) ([]analysis.Diagnostic, error) {
	if lang == nil {
		return nil, fmt.Errorf("%s: no language has this extension", c.Path)
	}
	path := c.Path
	if path == "" {
		path = "test" + lang.Extensions[0]
	}
	f := analysis.NewFileLang(path, []byte(c.Code), 1, lang)
	diags, errs := analysis.Run(ctx, f, []*analysis.Analyzer{a})
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return analysis.Suppress(f, diags), nil
}

// checkValid says what is wrong with findings on valid code: any.
func checkValid(c config.Case, diags []analysis.Diagnostic) (string, []analysis.Diagnostic) {
	if len(diags) > 0 {
		return fmt.Sprintf("valid code reported on %s: %s", describeLines(c, diags), diags[0].Message), diags
	}
	return "", nil
}

func checkInvalid(c config.Case, diags []analysis.Diagnostic) string {
	if len(diags) == 0 {
		return "invalid code not reported"
	}
	m := analysis.NewMapper([]byte(c.Code))
	if c.Lines != nil {
		got := lines(m, diags)
		want := slices.Clone(c.Lines)
		sort.Ints(want)
		want = slices.Compact(want)
		if !slices.Equal(got, want) {
			return fmt.Sprintf("reported on lines %v of the snippet, want %v", got, want)
		}
	}
	if c.Fixed != nil {
		var edits []analysis.TextEdit
		for _, d := range diags {
			if len(d.Fixes) > 0 {
				edits = append(edits, d.Fixes[0].Edits...)
			}
		}
		if len(edits) == 0 {
			return "no fix offered"
		}
		got, err := analysis.ApplyEdits([]byte(c.Code), edits)
		if err != nil {
			return fmt.Sprintf("fixes do not apply: %v", err)
		}
		if string(got) != *c.Fixed {
			return fmt.Sprintf("fixed code differs:\n--- got\n%s\n--- want\n%s", indent(string(got)), indent(*c.Fixed))
		}
	}
	return ""
}

// lines lists the 1-based snippet lines diagnostics start on, sorted, unique.
func lines(m *analysis.Mapper, diags []analysis.Diagnostic) []int {
	var out []int
	for _, d := range diags {
		out = append(out, m.Line(d.Start)+1)
	}
	sort.Ints(out)
	return slices.Compact(out)
}

func describeLines(c config.Case, diags []analysis.Diagnostic) string {
	ls := lines(analysis.NewMapper([]byte(c.Code)), diags)
	var parts []string
	for _, l := range ls {
		parts = append(parts, fmt.Sprint(l))
	}
	return "line " + strings.Join(parts, ", ")
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ")
}

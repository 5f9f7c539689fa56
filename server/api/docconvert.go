package api

import (
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
	"github.com/gauntlet-dev/gauntlet/server"
	pb "github.com/gauntlet-dev/gauntlet/server/api/proto/gauntlet/v1"
	"github.com/gauntlet-dev/gauntlet/server/loop"
)

// Conversions between the documents and the wire's typed messages. The
// wire cannot tell an empty list from none; a document's lists that the
// command line always prints ("fixes": []) come back empty, the omitted
// ones (omitempty) and an attempt's gates (null when it had no verdict)
// come back nil: so a document survives the round trip byte for byte
// (docconvert_test.go).

// each maps a list; an empty one is nil.
func each[A, B any](in []A, f func(A) B) []B {
	if len(in) == 0 {
		return nil
	}
	out := make([]B, len(in))
	for i, a := range in {
		out[i] = f(a)
	}
	return out
}

// all is each for the lists the command line always prints: never nil.
func all[A, B any](in []A, f func(A) B) []B {
	if out := each(in, f); out != nil {
		return out
	}
	return []B{}
}

func same[T any](x T) T { return x }

// DocumentToProto sets r's typed document to d (nil: none).
func DocumentToProto(r *pb.Result, d Document) {
	switch d := d.(type) {
	case *AnalyzeDocument:
		r.Document = &pb.Result_Analysis{Analysis: &pb.AnalyzeResult{Diagnostics: each(d.Diagnostics, diagnosticToProto)}}
	case *TestsDocument:
		r.Document = &pb.Result_Tests{Tests: testsToProto(d)}
	case *CoverageDocument:
		r.Document = &pb.Result_Coverage{Coverage: coverageToProto((*server.CoverageReport)(d))}
	case *CoveringTestsDocument:
		r.Document = &pb.Result_CoveringTests{CoveringTests: &pb.CoveringTests{Tests: d.Tests, Granularity: d.Granularity}}
	case *VerifyDocument:
		r.Document = &pb.Result_Verdict{Verdict: verdictToProto(d)}
	case *FixDocument:
		r.Document = &pb.Result_Fix{Fix: fixToProto(d)}
	}
}

// DocumentFromProto is r's typed document, or nil.
func DocumentFromProto(r *pb.Result) Document {
	switch x := r.GetDocument().(type) {
	case *pb.Result_Analysis:
		return &AnalyzeDocument{Diagnostics: all(x.Analysis.GetDiagnostics(), diagnosticFromProto)}
	case *pb.Result_Tests:
		return testsFromProto(x.Tests)
	case *pb.Result_Coverage:
		return (*CoverageDocument)(coverageFromProto(x.Coverage))
	case *pb.Result_CoveringTests:
		return &CoveringTestsDocument{Tests: all(x.CoveringTests.GetTests(), same), Granularity: x.CoveringTests.GetGranularity()}
	case *pb.Result_Verdict:
		return verdictFromProto(x.Verdict)
	case *pb.Result_Fix:
		return fixFromProto(x.Fix)
	}
	return nil
}

func posToProto(p Pos) *pb.Position {
	return &pb.Position{Line: int32(p.Line), Column: int32(p.Column)}
}
func posFromProto(p *pb.Position) Pos {
	return Pos{Line: int(p.GetLine()), Column: int(p.GetColumn())}
}

func rangeToProto(r Range) *pb.Range {
	return &pb.Range{Start: posToProto(r.Start), End: posToProto(r.End)}
}
func rangeFromProto(r *pb.Range) Range {
	return Range{Start: posFromProto(r.GetStart()), End: posFromProto(r.GetEnd())}
}

func diagnosticToProto(d Diagnostic) *pb.Diagnostic {
	return &pb.Diagnostic{Path: d.Path, Range: rangeToProto(d.Range), Severity: d.Severity, Code: d.Code, Source: d.Source,
		Message: d.Message, Url: d.URL, Fixes: each(d.Fixes, func(f Fix) *pb.Fix {
			return &pb.Fix{Title: f.Title, Edits: each(f.Edits, func(e TextEdit) *pb.TextEdit {
				return &pb.TextEdit{Path: e.Path, Range: rangeToProto(e.Range), NewText: e.NewText}
			})}
		})}
}

func diagnosticFromProto(d *pb.Diagnostic) Diagnostic {
	return Diagnostic{Path: d.GetPath(), Range: rangeFromProto(d.GetRange()), Severity: d.GetSeverity(), Code: d.GetCode(),
		Source: d.GetSource(), Message: d.GetMessage(), URL: d.GetUrl(), Fixes: all(d.GetFixes(), func(f *pb.Fix) Fix {
			return Fix{Title: f.GetTitle(), Edits: all(f.GetEdits(), func(e *pb.TextEdit) TextEdit {
				return TextEdit{Path: e.GetPath(), Range: rangeFromProto(e.GetRange()), NewText: e.GetNewText()}
			})}
		})}
}

func testsToProto(d *TestsDocument) *pb.TestReport {
	out := &pb.TestReport{Passed: d.Passed, TotalTests: int32(d.TotalTests), Selected: d.Selected,
		Tests: each(d.Tests, func(t TestResult) *pb.TestResult {
			return &pb.TestResult{Id: t.ID, Package: t.Package, File: t.File, Line: int32(t.Line), Status: string(t.Status), DurationMs: t.Duration, Output: t.Output}
		}),
		UncoveredChanges: each(d.UncoveredChanges, func(l LineRange) *pb.LineRange {
			return &pb.LineRange{Path: l.Path, Start: int32(l.Lines[0]), End: int32(l.Lines[1])}
		}),
		CommentsOnly: d.CommentsOnly}
	if d.Coverage != nil {
		out.Coverage = coverageToProto(d.Coverage)
	}
	return out
}

func testsFromProto(r *pb.TestReport) *TestsDocument {
	out := &TestsDocument{Passed: r.GetPassed(), TotalTests: int(r.GetTotalTests()), Selected: all(r.GetSelected(), same),
		Tests: all(r.GetTests(), func(t *pb.TestResult) TestResult {
			return TestResult{ID: t.GetId(), Package: t.GetPackage(), File: t.GetFile(), Line: int(t.GetLine()), Status: testrun.Status(t.GetStatus()),
				Duration: t.GetDurationMs(), Output: t.GetOutput()}
		}),
		UncoveredChanges: each(r.GetUncoveredChanges(), func(l *pb.LineRange) LineRange {
			return LineRange{Path: l.GetPath(), Lines: [2]int{int(l.GetStart()), int(l.GetEnd())}}
		}),
		CommentsOnly: each(r.GetCommentsOnly(), same)}
	if r.Coverage != nil {
		out.Coverage = coverageFromProto(r.Coverage)
	}
	return out
}

func coverageToProto(d *server.CoverageReport) *pb.CoverageReport {
	return &pb.CoverageReport{Percent: d.Percent, Map: d.Map, Granularity: d.Granularity,
		Files: each(d.Files, func(f FileCoverage) *pb.FileCoverage {
			return &pb.FileCoverage{Path: f.Path, Percent: f.Percent, Uncovered: each(f.Uncovered, func(l [2]int) *pb.LineRange {
				return &pb.LineRange{Start: int32(l[0]), End: int32(l[1])}
			})}
		})}
}

func coverageFromProto(r *pb.CoverageReport) *server.CoverageReport {
	return &server.CoverageReport{Percent: r.GetPercent(), Map: r.GetMap(), Granularity: r.GetGranularity(),
		Files: all(r.GetFiles(), func(f *pb.FileCoverage) FileCoverage {
			return FileCoverage{Path: f.GetPath(), Percent: f.GetPercent(), Uncovered: all(f.GetUncovered(), func(l *pb.LineRange) [2]int {
				return [2]int{int(l.GetStart()), int(l.GetEnd())}
			})}
		})}
}

func verdictToProto(d *VerifyDocument) *pb.Verdict {
	out := &pb.Verdict{Accepted: d.Accepted, Gates: each(d.Gates, gateToProto), DurationMs: d.Duration, Files: d.Files, Sandbox: d.Sandbox,
		TestsChanged: each(d.TestsChanged, func(t TestChange) *pb.TestChange {
			return &pb.TestChange{Id: t.ID, File: t.File, Line: int32(t.Line), Change: t.Change, Via: t.Via, Original: t.Original, Output: t.Output}
		})}
	out.Status = pb.Verdict_STATUS_REJECTED
	for _, g := range d.Gates {
		if g != nil && g.Error != "" {
			out.Status = pb.Verdict_STATUS_ERROR
		}
	}
	if d.Accepted {
		out.Status = pb.Verdict_STATUS_ACCEPTED
	}
	return out
}

func verdictFromProto(r *pb.Verdict) *VerifyDocument {
	return &VerifyDocument{Accepted: r.GetAccepted(), Gates: all(r.GetGates(), gateFromProto), Duration: r.GetDurationMs(),
		Files: all(r.GetFiles(), same), Sandbox: r.GetSandbox(),
		TestsChanged: each(r.GetTestsChanged(), func(t *pb.TestChange) TestChange {
			return TestChange{ID: t.GetId(), File: t.GetFile(), Line: int(t.GetLine()), Change: t.GetChange(), Via: each(t.GetVia(), same),
				Original: t.GetOriginal(), Output: t.GetOutput()}
		})}
}

func findingToProto(f Finding) *pb.Finding {
	return &pb.Finding{Path: f.Path, Line: int32(f.Line), Column: int32(f.Column), Severity: f.Severity, Code: f.Code, Message: f.Message}
}

func findingFromProto(f *pb.Finding) Finding {
	return Finding{Path: f.GetPath(), Line: int(f.GetLine()), Column: int(f.GetColumn()), Severity: f.GetSeverity(), Code: f.GetCode(), Message: f.GetMessage()}
}

func failureToProto(f TestFailure) *pb.TestFailure {
	return &pb.TestFailure{Id: f.ID, File: f.File, Line: int32(f.Line), Status: string(f.Status), Output: f.Output}
}

func failureFromProto(f *pb.TestFailure) TestFailure {
	return TestFailure{ID: f.GetId(), File: f.GetFile(), Line: int(f.GetLine()), Status: testrun.Status(f.GetStatus()), Output: f.GetOutput()}
}

func gateToProto(g *Gate) *pb.Gate {
	if g == nil {
		return &pb.Gate{}
	}
	return &pb.Gate{Name: g.Name, Ok: g.OK, Skipped: g.Skipped, DurationMs: g.Duration, Detail: g.Detail, Error: g.Error,
		Refused:  each(g.Refused, func(r Refusal) *pb.Refusal { return &pb.Refusal{Path: r.Path, Reason: r.Reason} }),
		Findings: each(g.Findings, findingToProto), AnalyzerErrors: g.AnalyzerErrors, Commands: g.Commands,
		Errors: each(g.Errors, findingToProto), PreexistingErrors: each(g.PreexistingErrors, findingToProto), Output: g.Output,
		Selected: g.Selected, Passed: int32(g.Passed), Failed: each(g.Failed, failureToProto), Preexisting: each(g.Preexisting, failureToProto),
		Uncovered: each(g.Uncovered, func(l Lines) *pb.LineRange {
			return &pb.LineRange{Path: l.Path, Start: int32(l.Start), End: int32(l.End)}
		}),
		Coverage: each(g.Coverage, func(c CoverageChange) *pb.CoverageChange {
			return &pb.CoverageChange{Path: c.Path, Before: c.Before, After: c.After}
		})}
}

func gateFromProto(g *pb.Gate) *Gate {
	return &Gate{Name: g.GetName(), OK: g.GetOk(), Skipped: g.GetSkipped(), Duration: g.GetDurationMs(), Detail: g.GetDetail(), Error: g.GetError(),
		Refused:  each(g.GetRefused(), func(r *pb.Refusal) Refusal { return Refusal{Path: r.GetPath(), Reason: r.GetReason()} }),
		Findings: each(g.GetFindings(), findingFromProto), AnalyzerErrors: each(g.GetAnalyzerErrors(), same), Commands: each(g.GetCommands(), same),
		Errors: each(g.GetErrors(), findingFromProto), PreexistingErrors: each(g.GetPreexistingErrors(), findingFromProto), Output: g.GetOutput(),
		Selected: each(g.GetSelected(), same), Passed: int(g.GetPassed()), Failed: each(g.GetFailed(), failureFromProto),
		Preexisting: each(g.GetPreexisting(), failureFromProto),
		Uncovered: each(g.GetUncovered(), func(l *pb.LineRange) Lines {
			return Lines{Path: l.GetPath(), Start: int(l.GetStart()), End: int(l.GetEnd())}
		}),
		Coverage: each(g.GetCoverage(), func(c *pb.CoverageChange) CoverageChange {
			return CoverageChange{Path: c.GetPath(), Before: c.GetBefore(), After: c.GetAfter()}
		})}
}

func fixToProto(d *FixDocument) *pb.FixResult {
	return &pb.FixResult{Accepted: d.Accepted, Model: d.Model, Sandbox: d.Sandbox, Patch: d.Patch, Applied: d.Applied, Errors: d.Errors,
		Problems: each(d.Problems, func(p *Problem) *pb.Problem {
			return &pb.Problem{Kind: string(p.Kind), Path: p.Path, Line: int32(p.Line), Column: int32(p.Column), Code: p.Code, Severity: p.Severity,
				Message: p.Message, Test: p.Test, TestFile: p.TestFile, TestLine: int32(p.TestLine), Output: p.Output,
				Instruction: p.Instruction, Status: string(p.Status), FixedBy: int32(p.FixedBy), Note: p.Note}
		}),
		Attempts: each(d.Attempts, func(a *Attempt) *pb.Attempt {
			return &pb.Attempt{Problem: int32(a.Problem), Attempt: int32(a.N), Source: a.Source, Title: a.Title, Answer: a.Answer,
				Edit: a.Edit, Gates: each(a.Gates, gateToProto), Accepted: a.Accepted, Reason: a.Reason, Error: a.Error,
				DurationMs: a.Duration.Milliseconds(), ModelMs: a.Model.Milliseconds()}
		})}
}

func fixFromProto(r *pb.FixResult) *FixDocument {
	return &FixDocument{Accepted: r.GetAccepted(), Model: r.GetModel(), Sandbox: r.GetSandbox(), Patch: r.GetPatch(),
		Applied: each(r.GetApplied(), same), Errors: each(r.GetErrors(), same),
		Problems: all(r.GetProblems(), func(p *pb.Problem) *Problem {
			return &Problem{Kind: loop.Kind(p.GetKind()), Path: p.GetPath(), Line: int(p.GetLine()), Column: int(p.GetColumn()), Code: p.GetCode(),
				Severity: p.GetSeverity(), Message: p.GetMessage(), Test: p.GetTest(), TestFile: p.GetTestFile(), TestLine: int(p.GetTestLine()),
				Output: p.GetOutput(), Instruction: p.GetInstruction(), Status: loop.Status(p.GetStatus()), FixedBy: int(p.GetFixedBy()), Note: p.GetNote()}
		}),
		Attempts: all(r.GetAttempts(), func(a *pb.Attempt) *Attempt {
			// An attempt without a verdict has gates null, not [].
			return &Attempt{Problem: int(a.GetProblem()), N: int(a.GetAttempt()), Source: a.GetSource(), Title: a.GetTitle(),
				Answer: a.GetAnswer(), Edit: a.GetEdit(), Gates: each(a.GetGates(), gateFromProto), Accepted: a.GetAccepted(),
				Reason: a.GetReason(), Error: a.GetError(), Duration: ms(a.GetDurationMs()), Model: ms(a.GetModelMs())}
		})}
}

// ms is n milliseconds, as the documents write durations.
func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

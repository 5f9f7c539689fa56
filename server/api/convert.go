package api

import (
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	pb "github.com/gauntlet-dev/gauntlet/server/api/proto/gauntlet/v1"
)

// Conversions between the neutral values and the wire's. Each pair is
// exact: a value survives the round trip (convert_test.go).

func AnalyzeToProto(r *AnalyzeRequest) *pb.AnalyzeRequest {
	out := &pb.AnalyzeRequest{Cwd: r.Cwd, Paths: r.Paths, Format: r.Format, FailOn: r.FailOn,
		NewFromRev: r.NewFromRev, NewFromPatch: r.NewFromPatch, Only: r.Only}
	for _, f := range r.Files {
		out.Files = append(out.Files, &pb.File{Path: f.Path, Content: f.Content})
	}
	return out
}

func AnalyzeFromProto(r *pb.AnalyzeRequest) *AnalyzeRequest {
	out := &AnalyzeRequest{Cwd: r.GetCwd(), Paths: r.GetPaths(), Format: r.GetFormat(), FailOn: r.GetFailOn(),
		NewFromRev: r.GetNewFromRev(), NewFromPatch: r.GetNewFromPatch(), Only: r.GetOnly()}
	for _, f := range r.GetFiles() {
		out.Files = append(out.Files, File{Path: f.GetPath(), Content: f.GetContent()})
	}
	return out
}

func TestsToProto(r *TestsRequest) *pb.RunTestsRequest {
	return &pb.RunTestsRequest{Cwd: r.Cwd, Paths: r.Paths, AffectedBy: r.AffectedBy, Run: r.Run, Coverage: r.Coverage, Format: r.Format}
}

func TestsFromProto(r *pb.RunTestsRequest) *TestsRequest {
	return &TestsRequest{Cwd: r.GetCwd(), Paths: r.GetPaths(), AffectedBy: r.GetAffectedBy(), Run: r.GetRun(), Coverage: r.GetCoverage(), Format: r.GetFormat()}
}

func CoverageToProto(r *CoverageRequest) *pb.CoverageRequest {
	return &pb.CoverageRequest{Cwd: r.Cwd, Paths: r.Paths, Format: r.Format, TestsFor: r.TestsFor}
}

func CoverageFromProto(r *pb.CoverageRequest) *CoverageRequest {
	return &CoverageRequest{Cwd: r.GetCwd(), Paths: r.GetPaths(), Format: r.GetFormat(), TestsFor: r.GetTestsFor()}
}

func VerifyToProto(r *VerifyRequest) *pb.VerifyRequest {
	return &pb.VerifyRequest{Cwd: r.Cwd, Patch: r.Patch, Format: r.Format, Sandbox: r.Sandbox}
}

func VerifyFromProto(r *pb.VerifyRequest) *VerifyRequest {
	return &VerifyRequest{Cwd: r.GetCwd(), Patch: r.GetPatch(), Format: r.GetFormat(), Sandbox: r.GetSandbox()}
}

func FixToProto(r *FixRequest) *pb.FixRequest {
	return &pb.FixRequest{Cwd: r.Cwd, Paths: r.Paths, Apply: r.Apply, MaxAttempts: int32(r.MaxAttempts), Format: r.Format,
		Sandbox: r.Sandbox, NoTests: r.NoTests, Quiet: r.Quiet}
}

func FixFromProto(r *pb.FixRequest) *FixRequest {
	return &FixRequest{Cwd: r.GetCwd(), Paths: r.GetPaths(), Apply: r.GetApply(), MaxAttempts: int(r.GetMaxAttempts()), Format: r.GetFormat(),
		Sandbox: r.GetSandbox(), NoTests: r.GetNoTests(), Quiet: r.GetQuiet()}
}

func ResultToProto(r *Result) *pb.Result {
	o := pb.Outcome_OUTCOME_ERROR
	switch r.Outcome {
	case OK:
		o = pb.Outcome_OUTCOME_OK
	case Findings:
		o = pb.Outcome_OUTCOME_FINDINGS
	}
	return &pb.Result{Outcome: o, ResultJson: r.JSON, Output: r.Output, Root: r.Root, DurationMs: r.Duration.Milliseconds()}
}

func ResultFromProto(r *pb.Result) *Result {
	o := Error
	switch r.GetOutcome() {
	case pb.Outcome_OUTCOME_OK:
		o = OK
	case pb.Outcome_OUTCOME_FINDINGS:
		o = Findings
	}
	return &Result{Outcome: o, JSON: r.GetResultJson(), Output: r.GetOutput(), Root: r.GetRoot(), Duration: time.Duration(r.GetDurationMs()) * time.Millisecond}
}

func ProgressToProto(p analysis.Progress) *pb.Progress {
	return &pb.Progress{Kind: pb.Progress_Kind(p.Kind), Job: p.Job, Title: p.Title, Message: p.Message, Percent: int32(p.Percent), Gate: p.Gate}
}

func ProgressFromProto(p *pb.Progress) analysis.Progress {
	return analysis.Progress{Kind: analysis.ProgressKind(p.GetKind()), Job: p.GetJob(), Title: p.GetTitle(), Message: p.GetMessage(), Percent: int(p.GetPercent()), Gate: p.GetGate()}
}

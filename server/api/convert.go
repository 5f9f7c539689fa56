package api

import (
	"time"

	pb "github.com/gauntlet-dev/gauntlet/server/api/proto/gauntlet/v1"
)

// Conversions between the neutral values and the wire's. Each pair is
// exact: a value survives the round trip (convert_test.go).

func AnalyzeToProto(r *AnalyzeRequest) *pb.AnalyzeRequest {
	out := &pb.AnalyzeRequest{Cwd: r.Cwd, Paths: r.Paths, Format: r.Format, FailOn: r.FailOn,
		NewFromRev: r.NewFromRev, NewFromPatch: optString(r.NewFromPatch), Only: r.Only}
	for _, f := range r.Files {
		out.Files = append(out.Files, &pb.File{Path: f.Path, Content: string(f.Content)})
	}
	return out
}

func AnalyzeFromProto(r *pb.AnalyzeRequest) *AnalyzeRequest {
	out := &AnalyzeRequest{Cwd: r.GetCwd(), Paths: r.GetPaths(), Format: r.GetFormat(), FailOn: r.GetFailOn(),
		NewFromRev: r.GetNewFromRev(), NewFromPatch: optBytes(r.NewFromPatch), Only: r.GetOnly()}
	for _, f := range r.GetFiles() {
		out.Files = append(out.Files, File{Path: f.GetPath(), Content: []byte(f.GetContent())})
	}
	return out
}

func TestsToProto(r *TestsRequest) *pb.RunTestsRequest {
	return &pb.RunTestsRequest{Cwd: r.Cwd, Paths: r.Paths, AffectedBy: optString(r.AffectedBy), Run: r.Run, Coverage: r.Coverage, Format: r.Format}
}

func TestsFromProto(r *pb.RunTestsRequest) *TestsRequest {
	return &TestsRequest{Cwd: r.GetCwd(), Paths: r.GetPaths(), AffectedBy: optBytes(r.AffectedBy), Run: r.GetRun(), Coverage: r.GetCoverage(), Format: r.GetFormat()}
}

func CoverageToProto(r *CoverageRequest) *pb.CoverageRequest {
	return &pb.CoverageRequest{Cwd: r.Cwd, Paths: r.Paths, Format: r.Format, TestsFor: r.TestsFor}
}

func CoverageFromProto(r *pb.CoverageRequest) *CoverageRequest {
	return &CoverageRequest{Cwd: r.GetCwd(), Paths: r.GetPaths(), Format: r.GetFormat(), TestsFor: r.GetTestsFor()}
}

func VerifyToProto(r *VerifyRequest) *pb.VerifyRequest {
	return &pb.VerifyRequest{Cwd: r.Cwd, Patch: string(r.Patch), Format: r.Format, Sandbox: r.Sandbox}
}

func VerifyFromProto(r *pb.VerifyRequest) *VerifyRequest {
	return &VerifyRequest{Cwd: r.GetCwd(), Patch: []byte(r.GetPatch()), Format: r.GetFormat(), Sandbox: r.GetSandbox()}
}

func FixToProto(r *FixRequest) *pb.FixRequest {
	return &pb.FixRequest{Cwd: r.Cwd, Paths: r.Paths, Apply: r.Apply, MaxAttempts: int32(r.MaxAttempts), Format: r.Format,
		Sandbox: r.Sandbox, NoTests: r.NoTests, Quiet: r.Quiet}
}

func FixFromProto(r *pb.FixRequest) *FixRequest {
	return &FixRequest{Cwd: r.GetCwd(), Paths: r.GetPaths(), Apply: r.GetApply(), MaxAttempts: int(r.GetMaxAttempts()), Format: r.GetFormat(),
		Sandbox: r.GetSandbox(), NoTests: r.GetNoTests(), Quiet: r.GetQuiet()}
}

// ResultToProto is r on the wire: its document typed (r.Document, else
// r.JSON read as kind's document).
func ResultToProto(kind DocumentKind, r *Result) (*pb.Result, error) {
	o := pb.Outcome_OUTCOME_ERROR
	switch r.Outcome {
	case OK:
		o = pb.Outcome_OUTCOME_OK
	case Findings:
		o = pb.Outcome_OUTCOME_FINDINGS
	}
	out := &pb.Result{Outcome: o, Output: r.Output, Root: r.Root, DurationMs: r.Duration.Milliseconds()}
	doc := r.Document
	if doc == nil && len(r.JSON) > 0 {
		var err error
		if doc, err = DecodeDocument(kind, r.JSON); err != nil {
			return nil, err
		}
	}
	DocumentToProto(out, doc)
	return out, nil
}

// ResultFromProto is the result of r, with its document and that
// document's JSON as the command line prints it.
func ResultFromProto(r *pb.Result) (*Result, error) {
	o := Error
	switch r.GetOutcome() {
	case pb.Outcome_OUTCOME_OK:
		o = OK
	case pb.Outcome_OUTCOME_FINDINGS:
		o = Findings
	}
	out := &Result{Outcome: o, Output: r.GetOutput(), Root: r.GetRoot(), Duration: time.Duration(r.GetDurationMs()) * time.Millisecond,
		Document: DocumentFromProto(r)}
	if out.Document != nil {
		var err error
		if out.JSON, err = EncodeDocument(out.Document); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// optString and optBytes carry a patch that may be absent: nil is none,
// an empty patch is still a patch.
func optString(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

func optBytes(s *string) []byte {
	if s == nil {
		return nil
	}
	return []byte(*s)
}

func ProgressToProto(p Progress) *pb.Progress {
	return &pb.Progress{Kind: pb.Progress_Kind(p.Kind), Job: p.Job, Title: p.Title, Message: p.Message, Percent: int32(p.Percent), Gate: p.Gate}
}

func ProgressFromProto(p *pb.Progress) Progress {
	return Progress{Kind: ProgressKind(p.GetKind()), Job: p.GetJob(), Title: p.GetTitle(), Message: p.GetMessage(), Percent: int(p.GetPercent()), Gate: p.GetGate()}
}

package api_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/server/api"
	"google.golang.org/protobuf/proto"
)

// roundTrip sends a message through the wire format, as the service does.
func roundTrip[M proto.Message](t *testing.T, m M) M {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	out := m.ProtoReflect().New().Interface().(M)
	if err := proto.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConvertRoundTrip(t *testing.T) {
	ar := &api.AnalyzeRequest{Cwd: "/w/src", Paths: []string{"a", "b"}, Format: "sarif", FailOn: "error", NewFromRev: "HEAD~1", NewFromPatch: []byte("--- a\n"), Only: []string{"syntax"},
		Files: []api.File{{Path: "a/b.go", Content: []byte("package b\n")}}}
	if got := api.AnalyzeFromProto(roundTrip(t, api.AnalyzeToProto(ar))); !reflect.DeepEqual(got, ar) {
		t.Errorf("analyze: %+v", got)
	}
	// An empty patch is still a patch (no changed lines), not "no patch".
	empty := &api.AnalyzeRequest{NewFromPatch: []byte{}}
	if got := api.AnalyzeFromProto(roundTrip(t, api.AnalyzeToProto(empty))); got.NewFromPatch == nil {
		t.Error("an empty --new-from-patch became none")
	}
	if got := api.AnalyzeFromProto(roundTrip(t, api.AnalyzeToProto(&api.AnalyzeRequest{}))); got.NewFromPatch != nil {
		t.Error("no --new-from-patch became one")
	}
	tr := &api.TestsRequest{Cwd: "/w", Paths: []string{"."}, AffectedBy: []byte("diff"), Run: "Add", Coverage: true, Format: "json"}
	if got := api.TestsFromProto(roundTrip(t, api.TestsToProto(tr))); !reflect.DeepEqual(got, tr) {
		t.Errorf("tests: %+v", got)
	}
	cr := &api.CoverageRequest{Cwd: "/w", Paths: []string{"x"}, Format: "lcov", TestsFor: "a.go:3"}
	if got := api.CoverageFromProto(roundTrip(t, api.CoverageToProto(cr))); !reflect.DeepEqual(got, cr) {
		t.Errorf("coverage: %+v", got)
	}
	vr := &api.VerifyRequest{Cwd: "/w", Patch: []byte("p"), Format: "json", Sandbox: "none"}
	if got := api.VerifyFromProto(roundTrip(t, api.VerifyToProto(vr))); !reflect.DeepEqual(got, vr) {
		t.Errorf("verify: %+v", got)
	}
	fr := &api.FixRequest{Cwd: "/w", Paths: []string{"p"}, Apply: true, MaxAttempts: 4, Format: "diff", Sandbox: "bwrap", NoTests: true, Quiet: true}
	if got := api.FixFromProto(roundTrip(t, api.FixToProto(fr))); !reflect.DeepEqual(got, fr) {
		t.Errorf("fix: %+v", got)
	}
	for _, o := range []api.Outcome{api.OK, api.Findings, api.Error} {
		r := &api.Result{Outcome: o, JSON: []byte("{\n  \"diagnostics\": []\n}\n"), Output: []byte("out"), Root: "/w", Duration: 1500 * time.Millisecond}
		pr, err := api.ResultToProto(api.AnalyzeKind, r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := api.ResultFromProto(roundTrip(t, pr))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got.Document.(*api.AnalyzeDocument); !ok {
			t.Errorf("document: %T", got.Document)
		}
		got.Document = nil
		if !reflect.DeepEqual(got, r) {
			t.Errorf("result: %+v", got)
		}
	}
	p := api.Progress{Kind: api.Report, Job: "verify", Title: "t", Message: "gate build", Percent: 60, Gate: "build"}
	if got := api.ProgressFromProto(roundTrip(t, api.ProgressToProto(p))); got != p {
		t.Errorf("progress: %+v", got)
	}
}

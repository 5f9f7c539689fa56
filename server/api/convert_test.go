package api_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/internal/prototest"
	"github.com/gauntlet-dev/gauntlet/server/api"
)

func TestConvertRoundTrip(t *testing.T) {
	ar := &api.AnalyzeRequest{Cwd: "/w/src", Paths: []string{"a", "b"}, Format: "sarif", FailOn: "error", NewFromRev: "HEAD~1", NewFromPatch: []byte("--- a\n"), Only: []string{"syntax"},
		Files: []api.File{{Path: "a/b.go", Content: []byte("package b\n")}}}
	if got := api.AnalyzeFromProto(prototest.RoundTrip(t, api.AnalyzeToProto(ar))); !reflect.DeepEqual(got, ar) {
		t.Errorf("analyze: %+v", got)
	}
	// An empty patch is still a patch (no changed lines), not "no patch".
	empty := &api.AnalyzeRequest{NewFromPatch: []byte{}}
	if got := api.AnalyzeFromProto(prototest.RoundTrip(t, api.AnalyzeToProto(empty))); got.NewFromPatch == nil {
		t.Error("an empty --new-from-patch became none")
	}
	if got := api.AnalyzeFromProto(prototest.RoundTrip(t, api.AnalyzeToProto(&api.AnalyzeRequest{}))); got.NewFromPatch != nil {
		t.Error("no --new-from-patch became one")
	}
	tr := &api.TestsRequest{Cwd: "/w", Paths: []string{"."}, AffectedBy: []byte("diff"), Run: "Add", Coverage: true, Format: "json"}
	if got := api.TestsFromProto(prototest.RoundTrip(t, api.TestsToProto(tr))); !reflect.DeepEqual(got, tr) {
		t.Errorf("tests: %+v", got)
	}
	cr := &api.CoverageRequest{Cwd: "/w", Paths: []string{"x"}, Format: "lcov", TestsFor: "a.go:3"}
	if got := api.CoverageFromProto(prototest.RoundTrip(t, api.CoverageToProto(cr))); !reflect.DeepEqual(got, cr) {
		t.Errorf("coverage: %+v", got)
	}
	vr := &api.VerifyRequest{Cwd: "/w", Patch: []byte("p"), Format: "json", Sandbox: "none"}
	if got := api.VerifyFromProto(prototest.RoundTrip(t, api.VerifyToProto(vr))); !reflect.DeepEqual(got, vr) {
		t.Errorf("verify: %+v", got)
	}
	fr := &api.FixRequest{Cwd: "/w", Paths: []string{"p"}, Apply: true, MaxAttempts: 4, Format: "diff", Sandbox: "bwrap", NoTests: true, Quiet: true}
	if got := api.FixFromProto(prototest.RoundTrip(t, api.FixToProto(fr))); !reflect.DeepEqual(got, fr) {
		t.Errorf("fix: %+v", got)
	}
	for _, o := range []api.Outcome{api.OK, api.Findings, api.Error} {
		r := &api.Result{Outcome: o, JSON: []byte("{\n  \"diagnostics\": []\n}\n"), Output: []byte("out"), Root: "/w", Duration: 1500 * time.Millisecond}
		pr, err := api.ResultToProto(api.AnalyzeKind, r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := api.ResultFromProto(prototest.RoundTrip(t, pr))
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
	p := analysis.Progress{Kind: analysis.ProgressReport, Job: "verify", Title: "t", Message: "gate build", Percent: 60, Gate: "build"}
	if got := api.ProgressFromProto(prototest.RoundTrip(t, api.ProgressToProto(p))); got != p {
		t.Errorf("progress: %+v", got)
	}
}

package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gauntlet-dev/gauntlet/analysis/report"
	"github.com/gauntlet-dev/gauntlet/internal/prototest"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/api"
	pb "github.com/gauntlet-dev/gauntlet/server/api/proto/gauntlet/v1"
	"github.com/gauntlet-dev/gauntlet/server/loop"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// wire sends a command's JSON document as the service does (typed, through
// the wire format) and returns what the client renders from it.
func wire(t *testing.T, kind api.DocumentKind, doc []byte) (*api.Result, *pb.Result) {
	t.Helper()
	pr, err := api.ResultToProto(kind, &api.Result{Outcome: api.Findings, JSON: doc})
	if err != nil {
		t.Fatal(err)
	}
	pr = prototest.RoundTrip(t, pr)
	res, err := api.ResultFromProto(pr)
	if err != nil {
		t.Fatal(err)
	}
	return res, pr
}

// TestDocumentsRoundTrip: each command's JSON document, as gauntlet printed
// it on the examples (testdata/documents: check, test with a failure, with
// coverage, with a patch and its uncovered lines, coverage, --tests-for,
// verify accepted and rejected at the build, tests and coverage gates, fix
// with the analyzers' fixes), comes out of the typed messages byte for
// byte.
func TestDocumentsRoundTrip(t *testing.T) {
	kinds := map[string]api.DocumentKind{"analyze": api.AnalyzeKind, "tests": api.TestsKind, "coverage": api.CoverageKind,
		"coveringtests": api.CoveringTestsKind, "verify": api.VerifyKind, "fix": api.FixKind}
	files, err := filepath.Glob("testdata/documents/*.json")
	if err != nil || len(files) < len(kinds) {
		t.Fatalf("documents: %v %v", files, err)
	}
	seen := map[api.DocumentKind]bool{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		kind, ok := kinds[strings.Split(name, "-")[0]]
		if !ok {
			t.Fatalf("%s: no kind", f)
		}
		seen[kind] = true
		t.Run(name, func(t *testing.T) {
			doc, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res, _ := wire(t, kind, doc)
			if !bytes.Equal(res.JSON, doc) {
				t.Errorf("JSON -> proto -> JSON differs:\n%s\nwant:\n%s", res.JSON, doc)
			}
		})
	}
	if len(seen) != len(kinds) {
		t.Errorf("kinds with a document: %v", seen)
	}
}

// TestDocumentsTyped: the typed messages say what the documents say, for a
// reader that never sees JSON (grpcurl, a bot, lsp --server).
func TestDocumentsTyped(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata/documents", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	_, pr := wire(t, api.VerifyKind, read("verify-bad.json"))
	v := pr.GetVerdict()
	if v.GetStatus() != pb.Verdict_STATUS_REJECTED || v.GetAccepted() || len(v.GetGates()) != 6 {
		t.Fatalf("verdict: %v", v)
	}
	tests := v.GetGates()[4]
	if tests.GetName() != "tests" || tests.GetOk() || len(tests.GetFailed()) == 0 ||
		tests.GetFailed()[0].GetId() != "example.com/gocalc/calc.TestAdd" || tests.GetFailed()[0].GetLine() != 9 ||
		!strings.Contains(tests.GetFailed()[0].GetOutput(), "want 5") {
		t.Errorf("tests gate: %v", tests)
	}
	if _, pr := wire(t, api.VerifyKind, read("verify-good.json")); pr.GetVerdict().GetStatus() != pb.Verdict_STATUS_ACCEPTED {
		t.Errorf("accepted: %v", pr.GetVerdict())
	}

	_, pr = wire(t, api.AnalyzeKind, read("analyze-demo.json"))
	d := pr.GetAnalysis().GetDiagnostics()
	if len(d) == 0 || d[0].GetCode() != "go-println" || d[0].GetRange().GetStart().GetLine() != 9 ||
		len(d[0].GetFixes()) != 1 || d[0].GetFixes()[0].GetEdits()[0].GetPath() != "greet/greet.go" {
		t.Errorf("diagnostics: %v", d)
	}

	_, pr = wire(t, api.TestsKind, read("tests-failing.json"))
	tr := pr.GetTests()
	if tr.GetPassed() || len(tr.GetTests()) == 0 {
		t.Errorf("tests: %v", tr)
	}
	failing := 0
	for _, r := range tr.GetTests() {
		if r.GetStatus() == "fail" && r.GetFile() != "" && r.GetLine() > 0 && r.GetOutput() != "" {
			failing++
		}
	}
	if failing == 0 {
		t.Errorf("no failing test with its place and output: %v", tr)
	}

	_, pr = wire(t, api.FixKind, read("fix-demo.json"))
	fx := pr.GetFix()
	if !fx.GetAccepted() || !strings.Contains(fx.GetPatch(), "+++ b/") || len(fx.GetAttempts()) == 0 || len(fx.GetAttempts()[0].GetGates()) == 0 {
		t.Errorf("fix: %v", fx)
	}
}

// TestDocumentsMirrorEngine: every field the engine's own types put in a
// document (report.JSONReport, server.TestReport and CoverageReport,
// verify.Verdict, loop.Problem and Attempt), each filled in, survives the
// typed messages: a field added to the engine and not to the wire fails
// here, not in a user's hands.
func TestDocumentsMirrorEngine(t *testing.T) {
	// As cmd/gauntlet's own (package main) document types.
	type coveringTests struct {
		Tests       []string `json:"tests"`
		Granularity string   `json:"granularity"`
	}
	type fixDoc struct {
		Accepted bool            `json:"accepted"`
		Model    string          `json:"model"`
		Sandbox  string          `json:"sandbox"`
		Problems []*loop.Problem `json:"problems"`
		Attempts []*loop.Attempt `json:"attempts"`
		Patch    string          `json:"patch"`
		Applied  []string        `json:"applied,omitempty"`
		Errors   []string        `json:"errors,omitempty"`
	}
	noVerdict := &fixDoc{Problems: []*loop.Problem{}, Attempts: []*loop.Attempt{{Problem: 1, N: 1, Source: "model", Error: "the model failed"}}}
	for _, c := range []struct {
		kind api.DocumentKind
		v    any
	}{
		{api.AnalyzeKind, fill(&report.JSONReport{})},
		{api.TestsKind, fill(&server.TestReport{})},
		{api.CoverageKind, fill(&server.CoverageReport{})},
		{api.CoveringTestsKind, fill(&coveringTests{})},
		{api.VerifyKind, fill(&verify.Verdict{})},
		{api.FixKind, fill(&fixDoc{})},
		{api.FixKind, noVerdict}, // its attempt's gates are null
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(c.v); err != nil {
			t.Fatal(err)
		}
		if res, _ := wire(t, c.kind, want.Bytes()); !bytes.Equal(res.JSON, want.Bytes()) {
			t.Errorf("%T: JSON -> proto -> JSON differs:\n%s\nwant:\n%s", c.v, res.JSON, want.Bytes())
		}
	}
}

// fill sets every field that goes into JSON to a value of its own (lists
// of two, HTML characters in strings), and returns v.
func fill(v any) any {
	n := 0
	var set func(reflect.Value)
	set = func(x reflect.Value) {
		n++
		switch x.Kind() {
		case reflect.Pointer:
			x.Set(reflect.New(x.Type().Elem()))
			set(x.Elem())
		case reflect.Struct:
			for i := 0; i < x.NumField(); i++ {
				f := x.Type().Field(i)
				if !f.IsExported() || (f.Tag.Get("json") == "-" && f.Type != reflect.TypeOf(time.Duration(0))) {
					continue
				}
				set(x.Field(i))
			}
		case reflect.Slice:
			x.Set(reflect.MakeSlice(x.Type(), 2, 2))
			for i := 0; i < 2; i++ {
				set(x.Index(i))
			}
		case reflect.Array:
			for i := 0; i < x.Len(); i++ {
				set(x.Index(i))
			}
		case reflect.String:
			x.SetString("s<&>" + strings.Repeat("é", n%3) + string(rune('a'+n%26)))
		case reflect.Bool:
			x.SetBool(true)
		case reflect.Int, reflect.Int64:
			if x.Type() == reflect.TypeOf(time.Duration(0)) {
				x.SetInt(int64(n) * int64(time.Millisecond))
			} else {
				x.SetInt(int64(n))
			}
		case reflect.Float64:
			x.SetFloat(float64(n) + 0.5)
		default:
			panic("fill: " + x.Type().String())
		}
	}
	set(reflect.ValueOf(v).Elem())
	return v
}

// docBackend answers every call with one JSON document.
type docBackend struct{ doc string }

func (b docBackend) result() (*api.Result, error) {
	return &api.Result{Outcome: api.Findings, JSON: []byte(b.doc)}, nil
}
func (b docBackend) Analyze(context.Context, *api.AnalyzeRequest, api.Events) (*api.Result, error) {
	return b.result()
}
func (b docBackend) RunTests(context.Context, *api.TestsRequest, api.Events) (*api.Result, error) {
	return b.result()
}
func (b docBackend) Coverage(context.Context, *api.CoverageRequest, api.Events) (*api.Result, error) {
	return b.result()
}
func (b docBackend) Verify(context.Context, *api.VerifyRequest, api.Events) (*api.Result, error) {
	return b.result()
}
func (b docBackend) Fix(context.Context, *api.FixRequest, api.Events) (*api.Result, error) {
	return b.result()
}

// TestDocumentNotOnTheWire: a document with a field the typed messages do
// not carry fails the call (Internal, naming the field) instead of losing
// the field; a patch that is not UTF-8 is refused by the client, before it
// is sent, in words.
func TestDocumentNotOnTheWire(t *testing.T) {
	c := dial(t, serve(t, docBackend{doc: `{"accepted": true, "gates": [], "verdict_v2": 1}`}, "unix", api.Options{}))
	_, err := c.Verify(context.Background(), &api.VerifyRequest{Patch: []byte("--- a/x\n")}, api.Events{})
	if status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "verdict_v2") {
		t.Errorf("unknown field: %v", err)
	}
	_, err = c.Verify(context.Background(), &api.VerifyRequest{Patch: []byte("--- a/x\n+caf\xe9\n")}, api.Events{})
	if !api.IsRequestError(err) || !strings.Contains(err.Error(), "the patch is not UTF-8") {
		t.Errorf("latin-1 patch: %v", err)
	}
	_, err = c.Analyze(context.Background(), &api.AnalyzeRequest{Files: []api.File{{Path: "a.go", Content: []byte("\xff")}}}, api.Events{})
	if !api.IsRequestError(err) || !strings.Contains(err.Error(), "a.go is not UTF-8") {
		t.Errorf("latin-1 buffer: %v", err)
	}
}

// TestDecodeDocumentStrict: a field a document's types do not have is an
// error, also inside an attempt (which reads itself: loop.Attempt's
// UnmarshalJSON).
func TestDecodeDocumentStrict(t *testing.T) {
	for _, c := range []struct {
		kind api.DocumentKind
		doc  string
	}{
		{api.VerifyKind, `{"accepted": true, "gates": [{"name": "apply", "gate_v2": 1}]}`},
		{api.FixKind, `{"attempts": [{"problem": 1, "duration_ms": 3, "gate_v2": 1}]}`},
	} {
		if _, err := api.DecodeDocument(c.kind, []byte(c.doc)); err == nil || !strings.Contains(err.Error(), "gate_v2") {
			t.Errorf("%s: %v", c.doc, err)
		}
	}
	d, err := api.DecodeDocument(api.FixKind, []byte(`{"attempts": [{"problem": 1, "duration_ms": 3, "model_ms": 2}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if a := d.(*api.FixDocument).Attempts[0]; a.Problem != 1 || a.Duration != 3*time.Millisecond || a.Model != 2*time.Millisecond {
		t.Errorf("attempt: %+v", a)
	}
}

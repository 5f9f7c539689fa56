package wire

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
	pb "github.com/gauntlet-dev/gauntlet/plugins/internal/pluginv1"
)

func TestDescriptionRoundTrip(t *testing.T) {
	in := &Description{Name: "p", Version: "v1.2.3", Analyzers: []AnalyzerInfo{
		{Name: "a", Doc: "does a\n\nmore", URL: "https://example.com/a", Languages: []string{"go", "python"}, Severity: analysis.SeverityError},
		{Name: "b", Severity: analysis.SeverityHint},
		{Name: "c"},
	}}
	out := DescriptionFromProto(testenv.ProtoRoundTrip(t, DescriptionToProto(in)))
	if !reflect.DeepEqual(in, out) {
		t.Errorf("got  %+v\nwant %+v", out, in)
	}
}

func TestRequestRoundTrip(t *testing.T) {
	in := &Request{
		Files: []*analysis.File{
			analysis.NewFile("a/b.go", []byte("package b\n"), 7),
			analysis.NewFile("x.py", []byte("s = '\xff\xfe'\n"), 0), // not UTF-8
			analysis.NewFileLang("view.txt", []byte("tsx, by languageId"), 1, analysis.LanguageNamed("tsx")),
			analysis.NewFile("README", []byte("no language"), 2),
		},
		Analyzers: []string{"a", "b"},
	}
	out := RequestFromProto(testenv.ProtoRoundTrip(t, RequestToProto(in)))
	if !reflect.DeepEqual(in.Analyzers, out.Analyzers) || len(out.Files) != len(in.Files) {
		t.Fatalf("got %+v", out)
	}
	for i, f := range in.Files {
		g := out.Files[i]
		if g.Path != f.Path || string(g.Content) != string(f.Content) || g.Version != f.Version || g.Lang != f.Lang {
			t.Errorf("file %d: got %s %q v%d %v, want %s %q v%d %v", i, g.Path, g.Content, g.Version, g.Lang, f.Path, f.Content, f.Version, f.Lang)
		}
	}
}

func TestResultRoundTrip(t *testing.T) {
	in := &Result{
		Findings: []Finding{
			{Analyzer: "a", Diagnostic: analysis.Diagnostic{Path: "a.go", Start: 3, End: 9, Severity: analysis.SeverityError, Code: "a-sub", Message: "m", URL: "https://u",
				Fixes: []analysis.Fix{
					{Title: "one", Edits: []analysis.TextEdit{{Path: "a.go", Start: 3, End: 9, NewText: "x"}, {Path: "b/c.go", Start: 0, End: 0, NewText: "\xff raw bytes"}}},
					{Title: "delete", Edits: []analysis.TextEdit{{Path: "a.go", Start: 1, End: 2}}},
				}}},
			{Analyzer: "b", Diagnostic: analysis.Diagnostic{Path: "a.go", Start: 0, End: 0, Message: "default severity", Fixes: nil}},
		},
		Errors: []*analysis.AnalyzerError{{Analyzer: "c", Path: "a.go", Err: errString("it broke")}},
	}
	out, err := ResultFromProto(testenv.ProtoRoundTrip(t, ResultToProto(in)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in.Findings, out.Findings) {
		t.Errorf("findings:\ngot  %+v\nwant %+v", out.Findings, in.Findings)
	}
	if len(out.Errors) != 1 || out.Errors[0].Analyzer != "c" || out.Errors[0].Path != "a.go" || out.Errors[0].Err.Error() != "it broke" {
		t.Errorf("errors: %+v", out.Errors)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestSeverityRoundTrip(t *testing.T) {
	for s := analysis.Severity(0); s <= analysis.SeverityHint; s++ {
		if got := SeverityFromProto(SeverityToProto(s)); got != s {
			t.Errorf("%v came back as %v", s, got)
		}
	}
	if got := SeverityToProto(9); got != pb.Severity_SEVERITY_UNSPECIFIED {
		t.Errorf("an unknown severity went out as %v", got)
	}
	if got := SeverityFromProto(9); got != 0 {
		t.Errorf("an unknown severity came in as %v", got)
	}
}

// What must be UTF-8 on the wire is made so; offsets never go negative.
func TestToProtoNeverFails(t *testing.T) {
	d := analysis.Diagnostic{Path: "a.go", Start: -4, End: -9, Message: "bad \xff byte", Code: "c\xfe",
		Fixes: []analysis.Fix{{Title: "t\xff", Edits: []analysis.TextEdit{{Path: "a.go", Start: -1, End: -2}}}}}
	m := testenv.ProtoRoundTrip(t, DiagnosticToProto("a", d))
	got, err := DiagnosticFromProto(m)
	if err != nil {
		t.Fatal(err)
	}
	if got.Start != 0 || got.End != 0 || got.Message != "bad \uFFFD byte" || got.Code != "c\uFFFD" || got.Fixes[0].Title != "t\uFFFD" || got.Fixes[0].Edits[0].End != 0 {
		t.Errorf("got %+v", got)
	}
}

func TestEditPaths(t *testing.T) {
	for _, tt := range []struct {
		path string
		want string // "" means refused
	}{
		{"", "a.go"}, // the diagnostic's own file
		{"a.go", "a.go"},
		{"sub/b.go", "sub/b.go"},
		{"/etc/passwd", ""},
		{"../outside.go", ""},
		{"sub/../../outside.go", ""},
		{"..", ""},
		{"./a.go", ""},
		{`sub\..\..\x`, ""},
	} {
		m := &pb.Diagnostic{Analyzer: "a", Path: "a.go", Fixes: []*pb.Fix{{Title: "f", Edits: []*pb.TextEdit{{Path: tt.path, NewText: []byte("x")}}}}}
		d, err := DiagnosticFromProto(m)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("edit of %q accepted", tt.path)
		case tt.want == "" && !strings.Contains(err.Error(), "outside the workspace"):
			t.Errorf("edit of %q: %v", tt.path, err)
		case tt.want != "" && err != nil:
			t.Errorf("edit of %q: %v", tt.path, err)
		case tt.want != "" && d.Fixes[0].Edits[0].Path != tt.want:
			t.Errorf("edit of %q went to %q, want %q", tt.path, d.Fixes[0].Edits[0].Path, tt.want)
		}
	}
	// A result with such a fix is refused whole, naming the analyzer.
	_, err := ResultFromProto(&pb.AnalyzeResponse{Diagnostics: []*pb.Diagnostic{{Analyzer: "evil", Fixes: []*pb.Fix{{Edits: []*pb.TextEdit{{Path: "/root/.ssh/authorized_keys"}}}}}}})
	if err == nil || !strings.HasPrefix(err.Error(), "analyzer evil: ") {
		t.Errorf("got %v", err)
	}
}

func TestDescriptionCheck(t *testing.T) {
	for _, tt := range []struct {
		d    Description
		want string
	}{
		{Description{Analyzers: []AnalyzerInfo{{Name: "ok", Languages: []string{"go"}}}}, ""},
		{Description{}, "describes no analyzers"},
		{Description{Analyzers: []AnalyzerInfo{{Name: "Bad_Name"}}}, `analyzer name "Bad_Name": want [a-z0-9-]+`},
		{Description{Analyzers: []AnalyzerInfo{{Name: "a"}, {Name: "a"}}}, "analyzer a is described twice"},
		{Description{Analyzers: []AnalyzerInfo{{Name: "a", Languages: []string{"rust"}}}}, `analyzer a: unknown language "rust"`},
	} {
		err := tt.d.Check()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%+v: %v, want %q", tt.d, err, tt.want)
		}
	}
}

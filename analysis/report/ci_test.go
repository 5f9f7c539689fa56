package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// ciInput is a small check result with what the CI formats must get right:
// a character outside the BMP before a finding (bytes, UTF-16 units and code
// points differ), a fix that deletes and one that replaces, a multi-line
// message with the characters GitHub's commands escape, every severity.
func ciInput() *report.Input {
	goSrc := "package p\n\nfunc f() {\n\tx := \"😀\"; fmt.Println(x)\n}\n"
	pySrc := "def f(a=[]):\n    if a == None:\n        pass\n"
	files := map[string]*analysis.File{
		"src/a.go": analysis.NewFile("src/a.go", []byte(goSrc), 0),
		"src/b.py": analysis.NewFile("src/b.py", []byte(pySrc), 0),
	}
	at := func(src, s string) int { return strings.Index(src, s) }
	pl := at(goSrc, "fmt.Println(x)")
	eq := at(pySrc, "==")
	def := at(pySrc, "[]")
	diags := []analysis.Diagnostic{
		{Path: "src/a.go", Start: pl, End: pl + len("fmt.Println(x)"), Severity: analysis.SeverityWarning, Code: "go-println", Source: "gauntlet",
			Message: "fmt.Println left in code", URL: "https://example.org/go-println",
			Fixes: []analysis.Fix{{Title: "Remove the call", Edits: []analysis.TextEdit{{Path: "src/a.go", Start: pl, End: pl + len("fmt.Println(x)")}}}}},
		{Path: "src/a.go", Start: at(goSrc, "}"), End: at(goSrc, "}") + 1, Severity: analysis.SeverityError, Code: "syntax", Source: "gauntlet",
			Message: "50% sure: a, b\nand a second line"},
		{Path: "src/b.py", Start: def, End: def + 2, Severity: analysis.SeverityHint, Code: "py-mutable-default", Source: "gauntlet",
			Message: "mutable default argument"},
		{Path: "src/b.py", Start: eq, End: eq + 2, Severity: analysis.SeverityInfo, Code: "py-eq-none", Source: "team-plugin",
			Message: "compare with None using `is`",
			Fixes:   []analysis.Fix{{Title: "Use is", Edits: []analysis.TextEdit{{Path: "src/b.py", Start: eq, End: eq + 2, NewText: "is"}}}}},
	}
	return &report.Input{
		Diagnostics: diags,
		Files:       files,
		Analyzers: []*analysis.Analyzer{
			{Name: "syntax", Doc: "syntax errors reported by the tree-sitter parser", Severity: analysis.SeverityError},
			{Name: "go-println", Doc: "fmt.Println left in code\nOutput printed with fmt.Println is usually debugging left behind.", URL: "https://example.org/go-println"},
			{Name: "py-eq-none", Doc: "compare with None using is", Severity: analysis.SeverityInfo, URL: "https://docs.astral.sh/ruff/rules/none-comparison/"},
		},
		DisplayPath: func(p string) string { return p },
		RepoPath:    func(p string) string { return "repo/" + p },
		ToolVersion: "1.2.3",
	}
}

func render(t *testing.T, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := report.Write(&b, format, ciInput()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (go test -update rewrites it):\n%s", p, got)
	}
}

func TestSARIF(t *testing.T) {
	out := render(t, "sarif")
	golden(t, "ci.sarif", out)

	// Valid against the OASIS SARIF 2.1.0 schema, formats included.
	validateSARIF(t, out)

	var log report.SARIFLog
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if log.Version != "2.1.0" || !strings.Contains(log.Schema, "sarif-schema-2.1.0") || run.Tool.Driver.Name != "gauntlet" || run.Tool.Driver.Version != "1.2.3" {
		t.Errorf("header: %+v", log)
	}
	// The rules come from the analyzers, plus any code without one.
	var ids []string
	for _, r := range run.Tool.Driver.Rules {
		ids = append(ids, r.ID+"="+r.DefaultConfiguration.Level)
	}
	if got := strings.Join(ids, " "); got != "syntax=error go-println=warning py-eq-none=note py-mutable-default=note" {
		t.Errorf("rules: %s", got)
	}
	r := run.Results[0]
	loc := r.Locations[0].PhysicalLocation
	// `fmt.Println(x)` starts after a tab, `x := "`, the emoji (one code
	// point, four bytes) and `"; `: column 12 in code points (15 in bytes).
	if r.RuleID != "go-println" || loc.ArtifactLocation.URI != "repo/src/a.go" || loc.Region != (report.SARIFRegion{StartLine: 4, StartColumn: 12, EndLine: 4, EndColumn: 26}) {
		t.Errorf("result 0: %+v", r)
	}
	if len(r.Fixes) != 1 || r.Fixes[0].ArtifactChanges[0].Replacements[0].DeletedRegion != loc.Region {
		t.Errorf("fix: %+v", r.Fixes)
	}
	if r.PartialFingerprints["gauntlet/v1"] == "" {
		t.Error("no fingerprint")
	}
}

func TestRDJSON(t *testing.T) {
	out := render(t, "rdjson")
	golden(t, "ci.rdjson", out)
	var doc report.RDJSON
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	d := doc.Diagnostics[0]
	// Columns are 1-based UTF-8 bytes: the emoji counts 4, so 15, not 12.
	if doc.Source.Name != "gauntlet" || d.Location.Path != "src/a.go" || d.Location.Range != (report.Range{Start: report.Pos{Line: 4, Column: 15}, End: report.Pos{Line: 4, Column: 29}}) ||
		d.Severity != "WARNING" || d.Code.Value != "go-println" || d.Code.URL == "" || len(d.Suggestions) != 1 || d.Suggestions[0].Text != "" {
		t.Errorf("%+v", d)
	}
	if s := doc.Diagnostics[3]; s.Severity != "INFO" || s.Suggestions[0].Text != "is" || s.Source == nil || s.Source.Name != "team-plugin" {
		t.Errorf("%+v", s)
	}
}

func TestGitHub(t *testing.T) {
	out := render(t, "github")
	golden(t, "ci.github", out)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	want := []string{
		"::warning file=repo/src/a.go,line=4,col=12,endLine=4,endColumn=26,title=go-println::fmt.Println left in code",
		"::error file=repo/src/a.go,line=5,col=1,endLine=5,endColumn=2,title=syntax::50%25 sure: a, b%0Aand a second line",
		"::notice file=repo/src/b.py,line=1,col=9,endLine=1,endColumn=11,title=py-mutable-default::mutable default argument",
		"::notice file=repo/src/b.py,line=2,col=10,endLine=2,endColumn=12,title=py-eq-none::compare with None using `is`",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", out, strings.Join(want, "\n"))
	}
}

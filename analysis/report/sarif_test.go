package report_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/report"
)

// awkwardInput has a file whose name a URI must escape (space, '#', a
// colon, non-ASCII) with a deletion fix and a replacement fix in it.
func awkwardInput(root string) *report.Input {
	const name = "dir x/my file#1:é.go"
	src := "package p\n\nfunc f() {\n\tprintln(1)\n\tx := 1 == 1\n}\n"
	pl := strings.Index(src, "println(1)")
	eq := strings.Index(src, "1 == 1")
	return &report.Input{
		Files: map[string]*analysis.File{name: analysis.NewFile(name, []byte(src), 0)},
		Diagnostics: []analysis.Diagnostic{
			{Path: name, Start: pl, End: pl + len("println(1)"), Severity: analysis.SeverityWarning, Code: "go-println", Message: "println left in code",
				Fixes: []analysis.Fix{{Title: "Remove the call", Edits: []analysis.TextEdit{{Path: name, Start: pl, End: pl + len("println(1)")}}}}},
			{Path: name, Start: eq, End: eq + len("1 == 1"), Severity: analysis.SeverityError, Code: "self-compare", Message: "comparison of a value with itself",
				Fixes: []analysis.Fix{{Title: "Use true", Edits: []analysis.TextEdit{{Path: name, Start: eq, End: eq + len("1 == 1"), NewText: "true"}}}}},
		},
		RepoRoot: root,
	}
}

func validateSARIF(t *testing.T, out []byte) {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	schema, err := c.Compile("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("SARIF output does not validate: %v", err)
	}
}

// A deletion carries an empty insertedContent, a file name is percent-encoded
// relative to %SRCROOT%, and the schema's uri and uri-reference formats hold.
func TestSARIFURIsAndDeletions(t *testing.T) {
	root := filepath.Join(t.TempDir(), "a repo#2")
	var b bytes.Buffer
	if err := report.Write(&b, "sarif", awkwardInput(root)); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, b.Bytes())
	var log report.SARIFLog
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	base := run.OriginalURIBaseIDs["%SRCROOT%"]
	if want := "file://" + filepath.ToSlash(strings.ReplaceAll(root, "#", "%23")) + "/"; strings.ReplaceAll(base.URI, "%20", " ") != want {
		t.Errorf("%%SRCROOT%% = %q, want %q", base.URI, want)
	}
	loc := run.Results[0].Locations[0].PhysicalLocation.ArtifactLocation
	if loc.URI != "dir%20x/my%20file%231%3A%C3%A9.go" || loc.URIBaseID != "%SRCROOT%" {
		t.Errorf("location: %+v", loc)
	}
	rep := run.Results[0].Fixes[0].ArtifactChanges[0].Replacements[0]
	var compact bytes.Buffer
	if err := json.Compact(&compact, b.Bytes()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(compact.String(), `"insertedContent":{"text":""}`) || rep.InsertedContent.Text != "" {
		t.Errorf("deletion without an empty insertedContent:\n%s", b.String())
	}
}

// reviewdog (the pinned version .ci/run installs) reads every result and
// every suggestion of our SARIF, with a deletion fix and a file name with
// spaces and '#'.
func TestSARIFReviewdog(t *testing.T) {
	rd := testenv.NeedTool(t, "reviewdog")
	for _, withRoot := range []bool{true, false} {
		dir := t.TempDir()
		root := ""
		if withRoot {
			root = dir
		}
		var b bytes.Buffer
		if err := report.Write(&b, "sarif", awkwardInput(root)); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(rd, "-f=sarif", "-reporter=rdjsonl", "-filter-mode=nofilter")
		cmd.Dir = dir
		cmd.Stdin = &b
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("reviewdog: %v\n%s", err, stderr.String())
		}
		type diag struct {
			Message  string `json:"message"`
			Location struct {
				Path  string `json:"path"`
				Range struct {
					Start struct{ Line, Column int }
				} `json:"range"`
			} `json:"location"`
			Suggestions []struct {
				Text string `json:"text"`
			} `json:"suggestions"`
		}
		var got []diag
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			var d diag
			if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
				t.Fatalf("%v: %s", err, sc.Bytes())
			}
			got = append(got, d)
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("reading reviewdog's output: %v", err)
		}
		if len(got) != 2 {
			t.Fatalf("reviewdog read %d results, want 2:\n%s\n%s", len(got), out, stderr.String())
		}
		texts := map[string]string{}
		for _, d := range got {
			if d.Location.Path != "dir x/my file#1:é.go" || len(d.Suggestions) != 1 {
				t.Errorf("root %v: %+v", withRoot, d)
				continue
			}
			texts[d.Message] = d.Suggestions[0].Text
		}
		if s, ok := texts["println left in code"]; !ok || s != "" {
			t.Errorf("deletion suggestion: %q %v", s, ok)
		}
		if texts["comparison of a value with itself"] != "true" {
			t.Errorf("replacement suggestion: %q", texts["comparison of a value with itself"])
		}
	}
}

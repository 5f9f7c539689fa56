package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The findings testdata/checkrules must give, as path:line:rule: its team
// rules (Go, Python, JavaScript), built-in rules (one opt-in, one with a
// stricter severity, one disabled), an inline suppression and an ignored
// directory.
var checkrulesWant = []string{
	"src/app.js:1:js-no-var",
	"src/app.js:3:js-debugger",
	"src/main.go:6:go-println",
	"src/main.go:7:go-todo-panic",
	"src/tool.py:5:py-no-eval",
	"src/tool.py:6:py-bare-except",
}

// findings extracts path:line:rule from each format's output.
func findings(t *testing.T, format, out string) []string {
	t.Helper()
	var got []string
	switch format {
	case "text":
		re := regexp.MustCompile(`^(\S+):(\d+):\d+: \w+: .* \[([a-z0-9-]+)\]$`)
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			m := re.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("text: bad line %q", l)
			}
			got = append(got, m[1]+":"+m[2]+":"+m[3])
		}
	case "json":
		var doc struct {
			Diagnostics []struct {
				Path  string
				Range struct{ Start struct{ Line int } }
				Code  string
			}
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		for _, d := range doc.Diagnostics {
			got = append(got, fmt.Sprintf("%s:%d:%s", d.Path, d.Range.Start.Line, d.Code))
		}
	case "sarif":
		var doc struct {
			Runs []struct {
				Results []struct {
					RuleID    string
					Locations []struct {
						PhysicalLocation struct {
							ArtifactLocation struct{ URI string }
							Region           struct{ StartLine int }
						}
					}
				}
			}
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		for _, r := range doc.Runs[0].Results {
			pl := r.Locations[0].PhysicalLocation
			// SARIF paths are relative to the repository root.
			got = append(got, fmt.Sprintf("%s:%d:%s", strings.TrimPrefix(pl.ArtifactLocation.URI, "cmd/gauntlet/testdata/checkrules/"), pl.Region.StartLine, r.RuleID))
		}
	case "rdjson":
		var doc struct {
			Diagnostics []struct {
				Location struct {
					Path  string
					Range struct{ Start struct{ Line int } }
				}
				Code struct{ Value string }
			}
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		for _, d := range doc.Diagnostics {
			got = append(got, fmt.Sprintf("%s:%d:%s", d.Location.Path, d.Location.Range.Start.Line, d.Code.Value))
		}
	case "github":
		re := regexp.MustCompile(`^::(error|warning|notice) file=cmd/gauntlet/testdata/checkrules/([^,]+),line=(\d+),col=\d+,endLine=\d+,endColumn=\d+,title=([a-z0-9-]+)::`)
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			m := re.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("github: bad line %q", l)
			}
			got = append(got, m[2]+":"+m[3]+":"+m[4])
		}
	}
	sort.Strings(got)
	return got
}

func TestCheckRulesEveryFormat(t *testing.T) {
	for _, format := range []string{"text", "json", "sarif", "rdjson", "github"} {
		t.Run(format, func(t *testing.T) {
			code, out, stderr := gauntlet(t, "testdata/checkrules", "check", "--format", format)
			if code != exitFindings {
				t.Fatalf("exit %d, want 1; stderr: %s", code, stderr)
			}
			if got := findings(t, format, out); strings.Join(got, " ") != strings.Join(checkrulesWant, " ") {
				t.Errorf("got  %v\nwant %v", got, checkrulesWant)
			}
			if format == "sarif" {
				validateSARIF(t, out)
			}
		})
	}
}

func validateSARIF(t *testing.T, out string) {
	t.Helper()
	schema, err := jsonschema.NewCompiler().Compile(filepath.Join(pkgDir, "../../analysis/report/testdata/sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Errorf("SARIF does not validate: %v", err)
	}
}

func TestCheckRulesFailOn(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"check", "--fail-on", "none"}, exitOK},
		{[]string{"check", "--fail-on", "error"}, exitFindings},
		// app.js has an info and a warning finding.
		{[]string{"check", "src/app.js", "--fail-on", "error"}, exitOK},
		{[]string{"check", "src/app.js", "--fail-on", "warning"}, exitFindings},
		{[]string{"check", "src/app.js", "--only", "js-no-var"}, exitOK},
		{[]string{"check", "src/app.js", "--only", "js-no-var", "--fail-on", "info"}, exitFindings},
	} {
		if code, _, stderr := gauntlet(t, "testdata/checkrules", tc.args...); code != tc.want {
			t.Errorf("%q: exit %d, want %d; stderr: %s", tc.args, code, tc.want, stderr)
		}
	}
}

func TestCheckOnly(t *testing.T) {
	code, out, _ := gauntlet(t, "testdata/checkrules", "check", "--only", "go-println,py-no-eval")
	if code != exitFindings || findings(t, "text", out)[0] != "src/main.go:6:go-println" || strings.Count(out, "\n") != 2 {
		t.Errorf("exit %d:\n%s", code, out)
	}
	code, _, stderr := gauntlet(t, "testdata/checkrules", "check", "--only", "nope")
	if code != exitError || !strings.Contains(stderr, `no analyzer or rule "nope"`) {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// A broken rule or an unknown key: exit 2, with FILE:LINE and the rule id or key.
func TestCheckBadConfig(t *testing.T) {
	for _, tc := range []struct{ config, want string }{
		{"rules:\n  - id: go-bad\n    language: go\n    message: m\n    query: (call_expression (nope)) @c\n", ".gauntlet.yaml:5: rule go-bad: bad query at offset 18: invalid node type 'nope'"},
		{"rulez: []\n", ".gauntlet.yaml:1: rulez: unknown key"},
		{"loop:\n  fail_on: sometimes\n", `.gauntlet.yaml:2: loop.fail_on: unknown severity "sometimes"`},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, ".gauntlet.yaml"), []byte(tc.config), 0o644)
		os.WriteFile(filepath.Join(dir, "a.go"), []byte("package a\n"), 0o644)
		t.Chdir(dir)
		var out, errb bytes.Buffer
		code := run([]string{"check"}, &out, &errb)
		if code != exitError || !strings.HasPrefix(errb.String(), tc.want) {
			t.Errorf("exit %d, stderr:\n%s\nwant prefix %s", code, errb.String(), tc.want)
		}
	}
}

// --new-from-rev reports only the findings on lines changed since a
// revision, untracked files included; --new-from-patch the same from a diff.
func TestCheckNewFrom(t *testing.T) {
	testenv.NeedTool(t, "git")
	dir := t.TempDir()
	gitRun := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	write := func(name, content string) {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitRun("init", "-q")
	write(".gauntlet.yaml", "enable: [go-println]\n")
	write("a.go", "package a\n\nimport \"fmt\"\n\nfunc f() {\n\tfmt.Println(1)\n}\n")
	gitRun("add", ".")
	gitRun("commit", "-q", "-m", "base")
	// An edit adds a finding at line 7 beside the old one at line 6, and a
	// new file brings one of its own.
	write("a.go", "package a\n\nimport \"fmt\"\n\nfunc f() {\n\tfmt.Println(1)\n\tfmt.Println(2)\n}\n")
	write("sub/b.go", "package sub\n\nimport \"fmt\"\n\nfunc g() { fmt.Println(3) }\n")
	t.Chdir(dir)

	var out, errb bytes.Buffer
	code := run([]string{"check", "--new-from-rev", "HEAD"}, &out, &errb)
	got := findings(t, "text", out.String())
	if code != exitFindings || strings.Join(got, " ") != "a.go:7:go-println sub/b.go:5:go-println" {
		t.Errorf("exit %d, got %v; stderr %s", code, got, errb.String())
	}
	out.Reset()
	code = run([]string{"check"}, &out, &errb)
	if got := findings(t, "text", out.String()); code != exitFindings || len(got) != 3 {
		t.Errorf("without --new-from-rev: %v", got)
	}

	write("change.diff", gitRun("diff", "HEAD"))
	out.Reset()
	code = run([]string{"check", "--new-from-patch", "change.diff"}, &out, &errb)
	if got := findings(t, "text", out.String()); code != exitFindings || strings.Join(got, " ") != "a.go:7:go-println" {
		t.Errorf("--new-from-patch: exit %d, %v", code, got)
	}

	gitRun("add", ".")
	gitRun("commit", "-q", "-m", "more")
	out.Reset()
	if code := run([]string{"check", "--new-from-rev", "HEAD"}, &out, &errb); code != exitOK || out.Len() != 0 {
		t.Errorf("nothing changed since HEAD: exit %d\n%s", code, out.String())
	}
	errb.Reset()
	if code := run([]string{"check", "--new-from-rev", "no-such-rev"}, &out, &errb); code != exitError || !strings.Contains(errb.String(), "--new-from-rev: git diff:") {
		t.Errorf("bad revision: exit %d: %s", code, errb.String())
	}
}

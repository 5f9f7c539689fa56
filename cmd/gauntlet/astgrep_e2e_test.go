package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// An ast-grep project (testdata/astgrep: sgconfig.yml with ruleDirs,
// utilDirs and testConfigs; rules with patterns, relational and composite
// operators, utils, constraints, files/ignores, fixes; every severity,
// hint and off included; an ast-grep-ignore comment) runs unchanged: `gauntlet check` reports what `ast-grep scan`
// does (rule, range, severity, message, replacement).
func TestAstGrepProjectCheckAgrees(t *testing.T) {
	sg := testenv.NeedTool(t, "ast-grep")
	dir := filepath.Join(pkgDir, "testdata/astgrep")
	cmd := exec.Command(sg, "scan", "--json=stream")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil && cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("ast-grep scan: %v", err)
	}
	sevs := map[string]string{"error": "error", "warning": "warning", "info": "info", "hint": "hint"}
	var want []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m struct {
			File, RuleID, Severity, Message, Replacement string
			Range                                        struct {
				Start, End struct{ Line, Column int }
			}
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("%s:%d:%d-%d:%d %s %s %q fix=%q", m.File, m.Range.Start.Line+1, m.Range.Start.Column+1,
			m.Range.End.Line+1, m.Range.End.Column+1, m.RuleID, sevs[m.Severity], m.Message, m.Replacement))
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading ast-grep's output: %v", err)
	}
	sort.Strings(want)
	if len(want) < 8 {
		t.Fatalf("ast-grep found only %d findings: the project tests too little", len(want))
	}

	code, gout, stderr := gauntlet(t, "testdata/astgrep", "check", "--format", "json", "--fail-on", "error")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1 (error findings); stderr: %s", code, stderr)
	}
	var doc struct {
		Diagnostics []struct {
			Path, Code, Severity, Message string
			Range                         struct{ Start, End struct{ Line, Column int } }
			Fixes                         []struct {
				Edits []struct {
					NewText string `json:"new_text"`
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(gout), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range doc.Diagnostics {
		fix := ""
		if len(d.Fixes) > 0 {
			fix = d.Fixes[0].Edits[0].NewText
		}
		got = append(got, fmt.Sprintf("%s:%d:%d-%d:%d %s %s %q fix=%q", d.Path, d.Range.Start.Line, d.Range.Start.Column,
			d.Range.End.Line, d.Range.End.Column, d.Code, d.Severity, d.Message, fix))
	}
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings differ\n--- ast-grep scan\n%s\n--- gauntlet check\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}

// `gauntlet rules test` runs the project's rule tests (ast-grep's
// id/valid/invalid files under testConfigs) and agrees with `ast-grep
// test`: both pass as written, both fail once a case is wrong.
func TestAstGrepProjectRuleTestsAgree(t *testing.T) {
	sg := testenv.NeedTool(t, "ast-grep")
	bin := gauntletBin(t)
	src := filepath.Join(pkgDir, "testdata/astgrep")
	run := func(dir string, name string, args ...string) (int, string) {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil && cmd.ProcessState == nil {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), string(out)
	}
	if code, out := run(src, sg, "test", "--skip-snapshot-tests"); code != 0 {
		t.Fatalf("ast-grep test: exit %d\n%s", code, out)
	}
	code, out := run(src, bin, "rules", "test")
	if code != exitOK {
		t.Fatalf("gauntlet rules test: exit %d, want 0\n%s", code, out)
	}

	// Wrong cases: valid code that the rule reports, invalid code it does not.
	for _, tc := range []struct{ name, file, old, new, want string }{
		{"wrongly valid", "py-print-literal-test.yml", "  - print(x)\n", "  - print(x)\n  - print('wrongly valid')\n",
			"py-print-literal-test.yml:4: rule py-print-literal: valid code reported"},
		{"wrongly invalid", "no-var-test.yml", "  - \"var a = 1\"\n", "  - \"var a = 1\"\n  - \"let wrongly = 'invalid'\"\n",
			"no-var-test.yml:6: rule no-var: invalid code not reported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			broken := t.TempDir()
			if err := os.CopyFS(broken, os.DirFS(src)); err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(broken, "rule-tests", tc.file)
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(data, []byte(tc.old)) {
				t.Fatalf("%s has no %q", tc.file, tc.old)
			}
			data = bytes.Replace(data, []byte(tc.old), []byte(tc.new), 1)
			if err := os.WriteFile(f, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if code, out := run(broken, sg, "test", "--skip-snapshot-tests"); code == 0 {
				t.Fatalf("ast-grep test passed a wrong case\n%s", out)
			}
			code, out := run(broken, bin, "rules", "test")
			if code != exitFindings || !strings.Contains(out, tc.want) {
				t.Errorf("gauntlet rules test: exit %d, want 1 naming the case (%s)\n%s", code, tc.want, out)
			}
		})
	}
}

// A broken pattern rule is an error naming its file, line and the parse
// problem (check exits 2 on a broken rule, as for query rules; the editor
// keeps the others: TestBrokenPatternRuleKeepsOthers in analysis/rules).
func TestAstGrepBrokenPatternRule(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(pkgDir, "testdata/astgrep"))); err != nil {
		t.Fatal(err)
	}
	bad := "id: bad-pattern\nlanguage: go\nrule:\n  pattern: 'x := fmt.Println($A,'\n"
	if err := os.WriteFile(filepath.Join(dir, "rules/bad.yml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gauntletBin(t), "check", "--fail-on", "none", "src")
	cmd.Dir = dir
	var stdout, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &errb
	_ = cmd.Run()
	code, out, stderr := cmd.ProcessState.ExitCode(), stdout.String(), errb.String()
	if !strings.Contains(stderr, "rules/bad.yml:4: rule bad-pattern: pattern: the pattern does not parse as go") {
		t.Errorf("stderr does not name the broken pattern's file and line:\n%s", stderr)
	}
	if code != exitError {
		t.Errorf("exit %d, want 2\n%s", code, out)
	}
}

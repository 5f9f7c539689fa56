package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/server/model/modeltest"
)

// gitDirs gives dir a .git with info/exclude and hooks, and gitlink -> .git.
func gitDirs(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, ".git", "hooks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".git", "info"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".git", "info", "exclude"), []byte("# exclude\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(".git", filepath.Join(dir, "gitlink")); err != nil {
		t.Fatal(err)
	}
}

// gitEdits are edits that reach .git through a link or a name that a file
// system takes for .git.
var gitEdits = map[string]string{
	"gitlink/info/exclude":     "--- a/gitlink/info/exclude\n+++ b/gitlink/info/exclude\n@@ -1 +1,2 @@\n # exclude\n+*.go\n",
	"gitlink/hooks/pre-commit": newFilePatch("gitlink/hooks/pre-commit", "#!/bin/sh\ntouch /tmp/pwned\n"),
	".GIT/hooks/pre-commit":    newFilePatch(".GIT/hooks/pre-commit", "#!/bin/sh\n"),
	".git./config":             newFilePatch(".git./config", "[core]\n"),
	".git /config":             newFilePatch(".git /config", "[core]\n"),
	".g\u200cit/config":        newFilePatch(".g\u200cit/config", "[core]\n"),
}

func newFilePatch(p, content string) string {
	lines := strings.Split(strings.TrimSuffix(content, "\n"), "\n")
	var b strings.Builder
	b.WriteString("--- /dev/null\n+++ b/" + p + "\n")
	b.WriteString("@@ -0,0 +1," + strconv.Itoa(len(lines)) + " @@\n")
	for _, l := range lines {
		b.WriteString("+" + l + "\n")
	}
	return b.String()
}

// TestVerifyRefusesGitThroughLinksAndLookalikes: an edit of
// gitlink/info/exclude or gitlink/hooks/pre-commit, gitlink being a link
// to .git, and edits of names that case-insensitive or normalising file
// systems take for .git, are refused by the apply gate, and nothing
// changes.
func TestVerifyRefusesGitThroughLinksAndLookalikes(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	dir := gocalcCopy(t, "")
	gitDirs(t, dir)
	for name, p := range gitEdits {
		t.Run(name, func(t *testing.T) {
			code, v, out := verifyPatch(t, dir, p, "--sandbox", "none")
			if code != exitFindings || v.Accepted || v.failedGate() != "apply" {
				t.Fatalf("exit %d accepted %v failed gate %q, want 1 and apply:\n%s", code, v.Accepted, v.failedGate(), out)
			}
			if len(v.Gates[0].Refused) == 0 || !strings.Contains(v.Gates[0].Refused[0].Reason, ".git") {
				t.Errorf("refusal %+v does not name .git", v.Gates[0].Refused)
			}
		})
	}
}

// TestFixApplyRefusesGit: a model's answer that fixes the code and also
// edits .git through gitlink (a link to .git) or creates a hook under a
// lookalike name is refused by the apply gate, and fix --apply writes
// nothing.
func TestFixApplyRefusesGit(t *testing.T) {
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	for _, target := range []string{"gitlink/info/exclude", ".GIT/hooks/pre-commit"} {
		t.Run(target, func(t *testing.T) {
			dir := brokenGocalc(t, "")
			gitDirs(t, dir)
			block := target + "\n```\n<<<<<<< SEARCH\n=======\n#!/bin/sh\ntouch /tmp/pwned\n>>>>>>> REPLACE\n```\n"
			if target == "gitlink/info/exclude" {
				block = target + "\n```\n<<<<<<< SEARCH\n# exclude\n=======\n# exclude\n*.go\n>>>>>>> REPLACE\n```\n"
			}
			srv := modeltest.OpenAI(t, modeltest.Reply{Text: rightFix + "\n" + block})
			gitBefore := treeHash(t, filepath.Join(dir, ".git"))
			code, o, out := runFixJSON(t, dir, srv.Env("gpt-test"), "calc", "--max-attempts", "1", "--apply", "--sandbox", "none")
			if code != exitFindings || o.Accepted || len(o.Applied) > 0 {
				t.Fatalf("exit %d accepted %v applied %v, want 1 and nothing written:\n%s", code, o.Accepted, o.Applied, out)
			}
			if len(o.Attempts) != 1 || o.failedGate(0) != "apply" || !strings.Contains(o.Attempts[0].Reason, ".git") {
				t.Fatalf("attempts %+v, want the apply gate refusing .git", o.Attempts)
			}
			if treeHash(t, filepath.Join(dir, ".git")) != gitBefore {
				t.Error(".git changed")
			}
			if data, _ := os.ReadFile(filepath.Join(dir, "calc", "calc.go")); !strings.Contains(string(data), "clamp(a - b)") {
				t.Error("calc.go was written")
			}
		})
	}
}

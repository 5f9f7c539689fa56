package analysis

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

func walkRel(t *testing.T, root string, paths ...string) []string {
	t.Helper()
	abs, err := Walk(root, paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range abs {
		r, _ := filepath.Rel(root, a)
		out = append(out, filepath.ToSlash(r))
	}
	return out
}

// Walk skips what git ignores: .gitignore at every level (with negation,
// directory-only and anchored patterns), .git/info/exclude, and the global
// excludes file, both git's default path and core.excludesFile; and agrees
// with git itself about every file.
func TestWalkIgnoresAsGit(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	root := filepath.Join(t.TempDir(), "repo")
	testenv.WriteFiles(t, root, map[string]string{
		".git/info/exclude":   "# local excludes\nexcluded.go\n",
		".git/config":         "[core]\n\trepositoryformatversion = 0\n",
		".git/HEAD":           "ref: refs/heads/main\n",
		".gitignore":          "*.gen.go\n/top.py\nbuild/\n!keep.gen.go\n",
		"a.go":                "package a\n",
		"excluded.go":         "package a\n",
		"top.py":              "x = 1\n",
		"x.gen.go":            "package a\n",
		"keep.gen.go":         "package a\n",
		"globally.go":         "package a\n",
		"default_global.js":   "x\n",
		"build/b.go":          "package b\n",
		"sub/top.py":          "x = 1\n",
		"sub/.gitignore":      "*.js\n!keep.js\nlocal/\n",
		"sub/s.js":            "x\n",
		"sub/keep.js":         "x\n",
		"sub/local/l.go":      "package l\n",
		"sub/deeper/d.go":     "package d\n",
		"sub/deeper/y.gen.go": "package d\n",
		"other/build":         "not a directory\n",
		"other/o.go":          "package o\n",
	})
	// git's default global excludes file.
	testenv.WriteFiles(t, home, map[string]string{".config/git/ignore": "default_global.js\n"})
	got := walkRel(t, root, root)
	if want := "a.go globally.go keep.gen.go other/o.go sub/deeper/d.go sub/keep.js sub/top.py"; strings.Join(got, " ") != want {
		t.Errorf("with git's default global excludes:\n got %v\nwant %s", got, want)
	}
	// core.excludesFile in ~/.gitconfig replaces the default path.
	testenv.WriteFiles(t, home, map[string]string{
		".gitconfig":  "[core]\n\texcludesFile = ~/my-excludes\n",
		"my-excludes": "globally.go\n",
	})
	got = walkRel(t, root, root)
	if want := "a.go default_global.js keep.gen.go other/o.go sub/deeper/d.go sub/keep.js sub/top.py"; strings.Join(got, " ") != want {
		t.Errorf("with core.excludesFile:\n got %v\nwant %s", got, want)
	}
	// Walking a subdirectory applies the parents' ignore files too.
	if got := walkRel(t, root, filepath.Join(root, "sub")); strings.Join(got, " ") != "sub/deeper/d.go sub/keep.js sub/top.py" {
		t.Errorf("walking sub: %v", got)
	}

	// git agrees (when installed): the files it lists as untracked and not
	// ignored, of the languages Walk knows, are what Walk lists.
	gitBin, err := exec.LookPath("git")
	if err != nil {
		return
	}
	if err := os.RemoveAll(filepath.Join(root, ".git")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q"}, {"config", "core.excludesFile", filepath.Join(home, "my-excludes")}} {
		if out, err := exec.Command(gitBin, append([]string{"-C", root}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	testenv.WriteFiles(t, root, map[string]string{".git/info/exclude": "excluded.go\n"})
	out, err := exec.Command(gitBin, "-C", root, "ls-files", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatal(err)
	}
	var fromGit []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if LanguageForPath(l) != nil {
			fromGit = append(fromGit, l)
		}
	}
	sort.Strings(fromGit)
	if got := walkRel(t, root, root); strings.Join(got, " ") != strings.Join(fromGit, " ") {
		t.Errorf("Walk and git differ:\nwalk %v\n git %v", got, fromGit)
	}
}

// A file of a git worktree (.git is a file naming its gitdir) honours the
// common git directory's info/exclude.
func TestWalkWorktreeExclude(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", "")
	base := t.TempDir()
	testenv.WriteFiles(t, base, map[string]string{
		"main/.git/info/exclude":           "secret.go\n",
		"main/.git/worktrees/wt/commondir": "../..\n",
		"wt/.git":                          "gitdir: " + filepath.Join(base, "main/.git/worktrees/wt") + "\n",
		"wt/secret.go":                     "package a\n",
		"wt/a.go":                          "package a\n",
	})
	root := filepath.Join(base, "wt")
	if got := walkRel(t, root, root); strings.Join(got, " ") != "a.go" {
		t.Errorf("got %v, want [a.go]", got)
	}
}

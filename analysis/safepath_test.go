package analysis

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGitName(t *testing.T) {
	for _, n := range []string{".git", ".GIT", ".Git", ".git.", ".git ", ".git. . ", ".g\u200cit", ".gi\u200dt", "\ufeff.git", ".g\u00adit", "．ｇｉｔ", "GIT~1", ".git::$INDEX_ALLOCATION"} {
		if !GitName(n) {
			t.Errorf("GitName(%q) = false, want true", n)
		}
	}
	for _, n := range []string{"git", ".github", ".gitignore", "x.git", ".gitx", "..git", ".gi"} {
		if GitName(n) {
			t.Errorf("GitName(%q) = true, want false", n)
		}
	}
}

func TestResolvePath(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	for _, d := range []string{".git/hooks", "sub/deep"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{"gitlink": ".git", "outlink": outside, "inlink": "sub", "dangling": "nowhere/x", "hooks": ".git/hooks"}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	ok := map[string]string{
		"a.go":                             "a.go",
		"sub/deep/new/x.go":                "sub/deep/new/x.go",
		"inlink/deep/y.go":                 "sub/deep/y.go",
		".":                                ".",
		filepath.Join(root, "sub", "z.go"): "sub/z.go",
		".github/workflows/ci.yml":         ".github/workflows/ci.yml",
	}
	for p, want := range ok {
		r, err := ResolvePath(root, p)
		if err != nil || r.Rel != want {
			t.Errorf("ResolvePath(%q) = %q, %v; want %q", p, r.Rel, err, want)
		}
	}
	bad := map[string]string{
		"gitlink/info/exclude":     ".git",
		"gitlink/hooks/pre-commit": ".git",
		"hooks/pre-commit":         ".git",
		".GIT/config":              ".git",
		".git./config":             ".git",
		".git /config":             ".git",
		".g\u200cit/config":        ".git",
		"outlink/bad.go":           "outside",
		"outlink":                  "outside",
		"dangling":                 "nowhere",
		"../x":                     "leaves",
		outside + "/x.go":          "outside",
		"sub/../../x":              "leaves",
	}
	for p, want := range bad {
		if r, err := ResolvePath(root, p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ResolvePath(%q) = %q, %v; want an error saying %q", p, r.Rel, err, want)
		}
	}
}

package analysis

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	gitconfig "github.com/go-git/go-git/v5/plumbing/format/config"
	gi "github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// skipDirs are never walked into.
var skipDirs = map[string]bool{".git": true, ".hg": true, ".svn": true, "vendor": true, "node_modules": true}

// Walk lists the files of known languages under each of paths (files or
// directories, relative to dir or absolute), skipping .git, vendor,
// node_modules, what git ignores (.gitignore files, .git/info/exclude,
// core.excludesFile) and what the ignore globs
// (relative to root) match. It returns absolute paths, sorted and unique.
// A path that does not exist is an error naming it.
func Walk(root string, paths []string, ignore []string) ([]string, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	ignored := func(abs string) bool {
		rel, err := filepath.Rel(root, abs)
		if err != nil || strings.HasPrefix(rel, "..") {
			return false
		}
		rel = filepath.ToSlash(rel)
		for _, g := range ignore {
			if MatchGlob(g, rel) || MatchGlob(strings.TrimSuffix(g, "/")+"/**", rel) {
				return true
			}
		}
		return false
	}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		info, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, unwrapPathError(err))
		}
		if !info.IsDir() {
			// A file named explicitly is checked even if ignored, as linters do.
			if LanguageForPath(abs) != nil {
				add(abs)
			}
			continue
		}
		gi := newGitignore(abs)
		err = filepath.WalkDir(abs, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("%s: %w", fp, unwrapPathError(err))
			}
			if d.IsDir() {
				if fp != abs && (skipDirs[d.Name()] || gi.ignored(fp, true) || ignored(fp)) {
					return filepath.SkipDir
				}
				gi.load(fp)
				return nil
			}
			if !d.Type().IsRegular() || LanguageForPath(fp) == nil || gi.ignored(fp, false) || ignored(fp) {
				return nil
			}
			add(fp)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

// gitignore holds the ignore patterns git would apply below a directory:
// the global excludes file (core.excludesFile, or git's default
// $XDG_CONFIG_HOME/git/ignore), .git/info/exclude, and every .gitignore from
// the repository root down, added as the walk enters each directory.
// Pattern syntax and precedence come from go-git's gitignore package.
type gitignore struct {
	top      string // the repository root; the filesystem root outside one
	patterns []gitignorePattern
}

type gitignorePattern = gi.Pattern

func newGitignore(dir string) *gitignore {
	g := &gitignore{}
	// Parents up to the repository root (the directory holding .git).
	var parents []string
	repo := ""
	for d := dir; ; d = filepath.Dir(d) {
		parents = append(parents, d)
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			repo = d
			break
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	g.top = parents[len(parents)-1]
	if repo != "" {
		common := gitCommonDir(repo)
		g.patterns = append(g.patterns, g.read(excludesFile(common), nil)...)
		g.patterns = append(g.patterns, g.read(filepath.Join(common, "info", "exclude"), nil)...)
	}
	// The parents' .gitignore files; dir's own is loaded by the walk.
	for i := len(parents) - 1; i >= 1; i-- {
		g.load(parents[i])
	}
	return g
}

// segments is abs relative to the top, as path components.
func (g *gitignore) segments(abs string) []string {
	rel, err := filepath.Rel(g.top, abs)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return nil
	}
	return strings.Split(filepath.ToSlash(rel), "/")
}

// read parses an ignore file whose patterns are relative to domain.
func (g *gitignore) read(file string, domain []string) []gitignorePattern {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var ps []gitignorePattern
	// strings.Lines, not a bufio.Scanner: no line is too long to read.
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		ps = append(ps, gi.ParsePattern(line, domain))
	}
	return ps
}

// load adds the .gitignore of dir, if any.
func (g *gitignore) load(dir string) {
	g.patterns = append(g.patterns, g.read(filepath.Join(dir, ".gitignore"), g.segments(dir))...)
}

// ignored applies the patterns; the last match wins.
func (g *gitignore) ignored(abs string, isDir bool) bool {
	segs := g.segments(abs)
	if segs == nil {
		return false
	}
	return gi.NewMatcher(g.patterns).Match(segs, isDir)
}

// gitCommonDir is the git directory holding info/ and config for the
// repository at root: root/.git, or for a worktree (.git is a file naming
// its gitdir) the common directory that gitdir's commondir names.
func gitCommonDir(root string) string {
	dotgit := filepath.Join(root, ".git")
	data, err := os.ReadFile(dotgit)
	if err != nil {
		return dotgit // a directory (or unreadable: nothing found in it)
	}
	gitdir, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir:")
	if !ok {
		return dotgit
	}
	gitdir = strings.TrimSpace(gitdir)
	if !filepath.IsAbs(gitdir) {
		gitdir = filepath.Join(root, gitdir)
	}
	if c, err := os.ReadFile(filepath.Join(gitdir, "commondir")); err == nil {
		common := strings.TrimSpace(string(c))
		if !filepath.IsAbs(common) {
			common = filepath.Join(gitdir, common)
		}
		return filepath.Clean(common)
	}
	return gitdir
}

// excludesFile is the global excludes file git reads for the repository
// whose common git directory is common: core.excludesFile from the system,
// global and repository config files (the last one setting it wins), else
// git's default, $XDG_CONFIG_HOME/git/ignore or ~/.config/git/ignore.
func excludesFile(common string) string {
	home, _ := os.UserHomeDir()
	xdg := os.Getenv("XDG_CONFIG_HOME")
	if xdg == "" && home != "" {
		xdg = filepath.Join(home, ".config")
	}
	configs := []string{"/etc/gitconfig"}
	if xdg != "" {
		configs = append(configs, filepath.Join(xdg, "git", "config"))
	}
	if home != "" {
		configs = append(configs, filepath.Join(home, ".gitconfig"))
	}
	if g := os.Getenv("GIT_CONFIG_GLOBAL"); g != "" {
		configs = append(configs[:1], g)
	}
	configs = append(configs, filepath.Join(common, "config"))
	file := ""
	for _, c := range configs {
		data, err := os.ReadFile(c)
		if err != nil {
			continue
		}
		cfg := gitconfig.New()
		if err := gitconfig.NewDecoder(bytes.NewReader(data)).Decode(cfg); err != nil {
			continue
		}
		if v := cfg.Section("core").Options.Get("excludesfile"); v != "" {
			file = v
		}
	}
	if file == "" {
		if xdg == "" {
			return ""
		}
		return filepath.Join(xdg, "git", "ignore")
	}
	if rest, ok := strings.CutPrefix(file, "~/"); ok && home != "" {
		file = filepath.Join(home, rest)
	}
	return file
}

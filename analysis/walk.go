package analysis

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// skipDirs are never walked into.
var skipDirs = map[string]bool{".git": true, ".hg": true, ".svn": true, "vendor": true, "node_modules": true}

// Walk lists the files of known languages under each of paths (files or
// directories, relative to dir or absolute), skipping .git, vendor,
// node_modules, what .gitignore files ignore and what the ignore globs
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

// gitignore holds the .gitignore patterns met on the way down, including those
// of the parent directories up to the repository root.
type gitignore struct {
	rules []ignoreRule
}

type ignoreRule struct {
	base    string // directory of the .gitignore, absolute
	pattern string
	negate  bool
	dirOnly bool
}

func newGitignore(dir string) *gitignore {
	g := &gitignore{}
	// Parents up to the repository root (the directory holding .git).
	var parents []string
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		parents = append(parents, d)
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil || d == filepath.Dir(d) {
			break
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		parents = nil
	}
	for i := len(parents) - 1; i >= 0; i-- {
		g.load(parents[i])
	}
	return g
}

func (g *gitignore) load(dir string) {
	data, err := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := ignoreRule{base: dir}
		if strings.HasPrefix(line, "!") {
			r.negate, line = true, line[1:]
		}
		line = strings.TrimPrefix(line, "\\")
		if strings.HasSuffix(line, "/") {
			r.dirOnly, line = true, strings.TrimSuffix(line, "/")
		}
		if strings.Contains(line, "/") {
			// Anchored to the .gitignore's directory.
			line = strings.TrimPrefix(line, "/")
		} else {
			line = "**/" + line
		}
		r.pattern = line
		g.rules = append(g.rules, r)
	}
}

// ignored applies the rules in order; the last match wins.
func (g *gitignore) ignored(abs string, isDir bool) bool {
	out := false
	for _, r := range g.rules {
		if r.dirOnly && !isDir {
			continue
		}
		rel, err := filepath.Rel(r.base, abs)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		if matchSegs(strings.Split(r.pattern, "/"), strings.Split(path.Clean(filepath.ToSlash(rel)), "/")) {
			out = !r.negate
		}
	}
	return out
}

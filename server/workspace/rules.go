package workspace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/rules"
	"github.com/gauntlet-dev/gauntlet/analysis/rules/builtin"
)

// loadRuleSet finds the configuration from the current directory and
// compiles every rule it can test: all the built-in rules (opt-in or
// disabled ones included) and the configuration's own.
func loadRuleSet(stderr io.Writer) (*config.Config, *rules.Set, bool) {
	cfg, err := config.Find(".")
	if err != nil {
		PrintErrors(stderr, err)
		return nil, nil, false
	}
	set, err := rules.Compile(append(builtin.Rules(), cfg.Rules...))
	if err != nil {
		PrintErrors(stderr, err)
		return nil, nil, false
	}
	return cfg, set, true
}

// RulesTest is gauntlet rules test's work: the rule test files paths name
// (none: the built-in packs' tests and the test files beside the
// configuration and its rule files) run against the rules of the
// configuration found from the current directory.
func RulesTest(paths []string, stdout, stderr io.Writer) int {
	cfg, set, ok := loadRuleSet(stderr)
	if !ok {
		return exitError
	}
	var tests []config.RuleTest
	var files []string
	if len(paths) == 0 {
		tests = append(tests, builtin.Tests()...)
		files = defaultTestFiles(cfg)
	} else {
		for _, p := range paths {
			fsFiles, err := testFiles(p)
			if err != nil {
				fmt.Fprintf(stderr, "gauntlet rules test: %v\n", err)
				return exitError
			}
			if len(fsFiles) == 0 {
				fmt.Fprintf(stderr, "gauntlet rules test: %s: no *_test.yaml files\n", p)
				return exitError
			}
			files = append(files, fsFiles...)
		}
	}
	var loadErrs []error
	for _, f := range files {
		ts, err := config.LoadTests(f)
		if err != nil {
			loadErrs = append(loadErrs, err)
			continue
		}
		tests = append(tests, ts...)
	}
	if len(loadErrs) > 0 {
		PrintErrors(stderr, errors.Join(loadErrs...))
		return exitError
	}
	res := set.Test(context.Background(), tests)
	for _, f := range res.Failures {
		fmt.Fprintln(stdout, f)
	}
	if len(res.Failures) > 0 {
		fmt.Fprintf(stderr, "FAIL: %d failures in %d rule test cases\n", len(res.Failures), res.Cases)
		return exitFindings
	}
	fmt.Fprintf(stderr, "ok: %d rule test cases\n", res.Cases)
	return exitOK
}

// testFiles lists the rule test files a PATH names: the file itself, or the
// *_test.yaml and *_test.yml files under a directory.
func testFiles(p string) ([]string, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	var out []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != p && (d.Name() == ".git" || d.Name() == "node_modules" || d.Name() == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if config.IsTestFile(d.Name()) {
			out = append(out, path)
		}
		return nil
	})
	return out, err
}

// defaultTestFiles are the test files beside the configuration and its rule files.
func defaultTestFiles(cfg *config.Config) []string {
	if cfg.Path == "" {
		return nil
	}
	dirs := map[string]bool{cfg.Dir: true}
	for _, f := range cfg.RuleFiles {
		dirs[filepath.Dir(f)] = true
	}
	out := append([]string(nil), cfg.RuleTestFiles...) // an ast-grep project's testConfigs
	for d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !e.IsDir() && config.IsTestFile(e.Name()) {
				out = append(out, filepath.Join(d, e.Name()))
			}
		}
	}
	sort.Strings(out)
	return out
}

// RulesList is gauntlet rules list's work: every rule the configuration
// found from the current directory can run, and whether it is on.
func RulesList(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "gauntlet rules list: unexpected argument %q\n", args[0])
		return exitError
	}
	cfg, set, ok := loadRuleSet(stderr)
	if !ok {
		return exitError
	}
	on := map[string]bool{}
	for _, r := range builtin.Select(cfg) {
		on[r.ID] = true
	}
	for _, r := range cfg.Rules {
		on[r.ID] = !cfg.Disabled(r.ID, false)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLANGUAGES\tSEVERITY\tSTATUS\tDEFINED AT")
	for _, a := range set.Analyzers() {
		src, _ := set.Rule(a.Name)
		sev := a.Severity
		if s, ok := cfg.Severity[a.Name]; ok {
			sev = s
		}
		status := "on"
		switch {
		case on[a.Name]:
		case builtin.OptIn(a.Name):
			status = "off (opt-in: enable it)"
		default:
			status = "off (disabled)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Name, strings.Join(a.Languages, ","), sev, status, src.Pos)
	}
	if err := tw.Flush(); err != nil {
		return exitError
	}
	return exitOK
}

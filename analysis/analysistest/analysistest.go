// Package analysistest runs an analyzer over testdata files and checks its
// diagnostics against expectations written inline, as in
// golang.org/x/tools/go/analysis/analysistest: a comment
//
//	// want "regexp"     (or  # want "regexp"  in Python)
//
// on a line expects one diagnostic starting on that line whose message
// matches the regexp; several quoted regexps expect several diagnostics.
// Every diagnostic must be expected and every expectation met.
package analysistest

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

var wantRE = regexp.MustCompile(`(?://|#)\s*want((?:\s+"(?:[^"\\]|\\.)*")+)`)
var quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// Run checks analyzers against every file of a known language under dir and
// returns the diagnostics it found, for further checks.
func Run(t *testing.T, dir string, analyzers ...*analysis.Analyzer) []analysis.Diagnostic {
	t.Helper()
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := analysis.Walk(dir, []string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no testdata files under %s", dir)
	}
	var all []analysis.Diagnostic
	for _, abs := range files {
		content, err := os.ReadFile(abs)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, abs)
		f := analysis.NewFile(filepath.ToSlash(rel), content, 1)
		diags, errs := analysis.Run(context.Background(), f, analyzers)
		for _, e := range errs {
			t.Errorf("%s: %v", rel, e)
		}
		check(t, f, diags)
		all = append(all, diags...)
	}
	return all
}

func check(t *testing.T, f *analysis.File, diags []analysis.Diagnostic) {
	t.Helper()
	want := map[int][]*regexp.Regexp{}
	for i, line := range strings.Split(string(f.Content), "\n") {
		m := wantRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		for _, q := range quotedRE.FindAllString(m[1], -1) {
			s, err := strconv.Unquote(q)
			if err != nil {
				t.Fatalf("%s:%d: bad want %s: %v", f.Path, i+1, q, err)
			}
			re, err := regexp.Compile(s)
			if err != nil {
				t.Fatalf("%s:%d: bad want regexp %q: %v", f.Path, i+1, s, err)
			}
			want[i+1] = append(want[i+1], re)
		}
	}
	m := f.Mapper()
	for _, d := range diags {
		line := m.Line(d.Start) + 1
		res := want[line]
		found := -1
		for i, re := range res {
			if re.MatchString(d.Message) {
				found = i
				break
			}
		}
		if found < 0 {
			t.Errorf("%s:%d: unexpected diagnostic [%s]: %s", f.Path, line, d.Code, d.Message)
			continue
		}
		want[line] = append(res[:found], res[found+1:]...)
	}
	var lines []int
	for l, res := range want {
		if len(res) > 0 {
			lines = append(lines, l)
		}
	}
	sort.Ints(lines)
	for _, l := range lines {
		for _, re := range want[l] {
			t.Errorf("%s:%d: no diagnostic matching %q", f.Path, l, re)
		}
	}
}

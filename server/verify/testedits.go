package verify

// Tests are evidence: an edit that changes or deletes a test that existed
// before it is listed in the verdict (tests_changed), the original
// versions of those tests run against the edited code too, and with
// TestEditsRefuse the tests gate rejects the edit.

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// Test edit policies (Options.TestEdits).
const (
	// TestEditsReport lists the tests an edit changes and runs their
	// original versions; they do not reject it (a person's edit may change
	// behaviour on purpose). verify's default.
	TestEditsReport = ""
	// TestEditsAllow is loop.allow_test_edits: true: as TestEditsReport,
	// and the closed loop lets a fix change tests.
	TestEditsAllow = "allow"
	// TestEditsRefuse rejects an edit that changes or deletes a test that
	// existed before it (verify --no-test-edits, loop.allow_test_edits:
	// false, and the closed loop unless allowed).
	TestEditsRefuse = "refuse"
)

// TestChange is a test that existed before the edit and that the edit
// changes or deletes, and how its original version fares against the
// edited code. Its JSON form is part of `gauntlet verify --format json`.
type TestChange struct {
	ID     string `json:"id"`
	File   string `json:"file"` // before the edit
	Line   int    `json:"line"` // of its declaration, before the edit
	Change string `json:"change"`
	// Via are the helpers of the test files (functions, tables, fixtures,
	// setup) whose change changes the test; empty when its own code
	// changed.
	Via []string `json:"via,omitempty"`
	// Original is how the test as it was fares against the edited code:
	// pass, fail, error, skip, or "not run: why".
	Original string `json:"original,omitempty"`
	Output   string `json:"output,omitempty"` // its output when it failed

	endLine int
}

// Changes of TestChange.Change.
const (
	TestChanged = "changed"
	TestDeleted = "deleted"
)

// findTestEdits lists the tests the edit changes or deletes: the syntax
// trees of the test files it touches, before and after, compared.
func (r *run) findTestEdits(ctx context.Context, v *Verdict) {
	var files []testrun.EditedFile
	for _, c := range r.changes {
		files = append(files, testrun.EditedFile{Old: c.oldPath, New: c.newPath})
	}
	edits := testrun.EditedTests(ctx, r.base, r.after, files)
	if len(edits) == 0 {
		return
	}
	suite := testrun.New(r.base, r.opts.Tests, r.suiteOptions()...)
	declared := map[string][]testrun.Test{}
	for _, e := range edits {
		if _, ok := declared[e.File]; !ok {
			declared[e.File], _ = suite.TestsInFile(ctx, e.File)
		}
		tc := TestChange{ID: e.File + "::" + e.Name, File: e.File, Line: e.Line, Change: TestChanged, Via: e.Via, endLine: e.EndLine}
		if e.Deleted {
			tc.Change = TestDeleted
		}
		for _, t := range declared[e.File] {
			if t.Line == e.Line {
				tc.ID = t.ID
				break
			}
		}
		v.TestsChanged = append(v.TestsChanged, tc)
	}
}

// refusedTestEdits are the test changes the options refuse: all of them
// with TestEditsRefuse, but those of tests that hold one of TestEditsAt.
func (r *run) refusedTestEdits(v *Verdict) []TestChange {
	if r.opts.TestEdits != TestEditsRefuse {
		return nil
	}
	var out []TestChange
	for _, tc := range v.TestsChanged {
		allowed := false
		for _, l := range r.opts.TestEditsAt {
			if l.Path == tc.File && l.Start <= tc.endLine && l.End >= tc.Line {
				allowed = true
			}
		}
		if !allowed {
			out = append(out, tc)
		}
	}
	return out
}

// testsGateChecked is the tests gate, which first refuses an edit of the
// tests when the options say so.
func (r *run) testsGateChecked(v *Verdict) func(context.Context, *Gate) {
	return func(ctx context.Context, g *Gate) {
		refused := r.refusedTestEdits(v)
		if len(refused) == 0 {
			r.testGate(ctx, g)
			return
		}
		for _, tc := range refused {
			g.Refused = append(g.Refused, Refusal{Path: tc.File, Reason: tc.reason()})
		}
		fail(g, "the edit %s, not the code (loop.allow_test_edits: true allows edits of tests)", refused[0].reason())
	}
}

func (tc TestChange) reason() string {
	verb := "changes"
	if tc.Change == TestDeleted {
		verb = "deletes"
	}
	s := fmt.Sprintf("%s the test %s", verb, tc.ID)
	if len(tc.Via) > 0 {
		s += " (through " + strings.Join(tc.Via, ", ") + ")"
	}
	return s
}

// runOriginals runs the original versions of the changed tests against the
// edited code: the workspace after the edit with each changed test's file
// as it was before (a file the edit renamed goes back to its old name), in
// the same shadow and sandbox as the tests gate.
func (r *run) runOriginals(ctx context.Context, v *Verdict) {
	if len(v.TestsChanged) == 0 {
		return
	}
	g := v.Gate(GateTests)
	if g == nil || g.Skipped || g.Error != "" || len(g.Refused) > 0 {
		for i := range v.TestsChanged {
			v.TestsChanged[i].Original = "not run: the tests gate did not run"
		}
		return
	}
	snap := r.after
	restored := map[string]bool{}
	for _, tc := range v.TestsChanged {
		if restored[tc.File] {
			continue
		}
		restored[tc.File] = true
		f, err := r.base.File(tc.File)
		if err != nil {
			continue
		}
		snap = snap.With(analysis.NewFile(tc.File, f.Content, 0))
		for _, c := range r.changes {
			if c.oldPath == tc.File && c.newPath != "" && c.newPath != tc.File {
				snap = snap.Without(c.newPath)
			}
		}
	}
	notRun := func(why string) {
		for i := range v.TestsChanged {
			if v.TestsChanged[i].Original == "" {
				v.TestsChanged[i].Original = "not run: " + why
			}
		}
	}
	sh, err := r.ensureShadow()
	if err != nil {
		notRun(err.Error())
		return
	}
	if err := sh.refill(snap); err != nil {
		notRun("shadow copy: " + err.Error())
		return
	}
	limit := r.testLimit()
	tctx, cancel := context.WithTimeout(ctx, limit+testGrace)
	defer cancel()
	settings, sbOpts := r.sandboxedSettings(limit, sh.writableDir())
	suite := testrun.New(sh.runSnapshot(), settings, sbOpts...)
	want := map[string]bool{}
	for _, tc := range v.TestsChanged {
		want[tc.ID] = true
	}
	var tests []testrun.Test
	files := make([]string, 0, len(restored))
	for p := range restored {
		files = append(files, p)
	}
	sort.Strings(files)
	for _, p := range files {
		ts, err := suite.TestsInFile(ctx, p)
		if err != nil {
			continue
		}
		for _, t := range ts {
			if want[t.ID] && t.Kind != testrun.KindBenchmark {
				tests = append(tests, t)
			}
		}
	}
	if len(tests) == 0 {
		notRun("no runner knows these tests")
		return
	}
	out, err := suite.Run(tctx, tests, testrun.RunOptions{})
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		for i := range v.TestsChanged {
			v.TestsChanged[i].Original, v.TestsChanged[i].Output = string(testrun.Error), err.Error()
		}
		return
	}
	byID := map[string]testrun.Result{}
	for _, res := range out.Results {
		byID[res.ID] = res
	}
	for i := range v.TestsChanged {
		tc := &v.TestsChanged[i]
		res, ok := byID[tc.ID]
		if !ok {
			if tc.Original == "" {
				tc.Original = "not run: not a test the runner knows"
			}
			continue
		}
		tc.Original = string(res.Status)
		if res.Status == testrun.Fail || res.Status == testrun.Error {
			tc.Output = res.Output
		}
	}
}

// writeTestsChanged writes the changed tests for a person.
func (v *Verdict) writeTestsChanged(b *strings.Builder) {
	for _, tc := range v.TestsChanged {
		fmt.Fprintf(b, "test %s: %s (%s:%d)", tc.Change, tc.ID, tc.File, tc.Line)
		if len(tc.Via) > 0 {
			fmt.Fprintf(b, " through %s", strings.Join(tc.Via, ", "))
		}
		switch tc.Original {
		case "":
		case string(testrun.Pass):
			b.WriteString("; its original version passes against the edited code")
		case string(testrun.Fail):
			b.WriteString("; its original version FAILS against the edited code")
		case string(testrun.Error):
			b.WriteString("; its original version does not run against the edited code")
		case string(testrun.Skip):
			b.WriteString("; its original version is skipped against the edited code")
		default:
			b.WriteString("; original version " + tc.Original)
		}
		b.WriteString("\n")
		writeIndented(b, "     ", tc.Output)
	}
}

// testEditsOf is the policy of .gauntlet.yaml's loop.allow_test_edits
// (nil: not set).
func testEditsOf(allow *bool) string {
	switch {
	case allow == nil:
		return TestEditsReport
	case *allow:
		return TestEditsAllow
	}
	return TestEditsRefuse
}

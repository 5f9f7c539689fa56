package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/patch"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// testJSON is the output of gauntlet test --format json.
type testJSON = server.TestReport

// TestRequestError says what is wrong with a test request's flags.
func TestRequestError(req *api.TestsRequest) error {
	if f := orDefault(req.Format, "text"); f != "text" && f != "json" {
		return fmt.Errorf("--format: unknown format %q (want text|json)", f)
	}
	if req.Run != "" {
		if _, err := regexp.Compile(req.Run); err != nil {
			return fmt.Errorf("--run: %v", err)
		}
	}
	return nil
}

// Test is gauntlet test's work, for the command line and the server.
func Test(ctx context.Context, c *Call, req *api.TestsRequest) int {
	return testIn(ctx, c, req, "")
}

// testIn is Test; for a served request (c.untrusted) the tests of an
// --affected-by patch run as verify runs them, in sandbox, the mode the
// operator's policy gave the request. The person at the command line runs
// their own patch's tests as their own tests.
func testIn(ctx context.Context, c *Call, req *api.TestsRequest, sandbox string) int {
	stderr := c.stderr
	fail := func(err error) int {
		fmt.Fprintf(stderr, "gauntlet test: %v\n", err)
		return exitError
	}
	if err := TestRequestError(req); err != nil {
		return fail(err)
	}
	var re *regexp.Regexp
	if req.Run != "" {
		re = regexp.MustCompile(req.Run)
	}
	var diff []*patch.File
	if req.AffectedBy != nil {
		var err error
		if diff, err = patch.Parse(req.AffectedBy); err != nil {
			return fail(fmt.Errorf("--affected-by: %w", err))
		}
	}
	ws, disk, rels, err := c.openTests(req.Paths)
	if err != nil {
		return fail(err)
	}
	defer ws.close()
	head, base := disk, disk
	if diff != nil {
		if diff, err = rebasePatch(ws, diff); err != nil {
			return fail(err)
		}
		if base, head, err = patchSides(disk, diff); err != nil {
			return fail(err)
		}
	}
	opts := server.TestOptions{Paths: rels, Base: base, Patch: diff, Match: re, Coverage: req.Coverage,
		Settings: testSettings(ws.cfg), Display: ws.display, Progress: c.testProgress("tests")}
	if c.untrusted && diff != nil {
		mode, err := sandboxMode(c, ws.cfg, sandbox, true)
		if err != nil {
			return fail(err)
		}
		vopts := verify.FromConfig(ws.cfg)
		vopts.Sandbox = mode
		opts.Sandbox = &vopts
	}
	res, err := ws.engine.RunTests(ctx, head, opts)
	if err != nil {
		return fail(err)
	}
	c.setResult(res)
	if orDefault(req.Format, "text") == "json" {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(res); err != nil {
			return fail(err)
		}
	} else {
		writeTestText(c.stdout, *res, diff != nil)
	}
	if len(res.UncoveredChanges) > 0 {
		var parts []string
		for _, u := range res.UncoveredChanges {
			parts = append(parts, testrun.Lines{Path: u.Path, Start: u.Lines[0], End: u.Lines[1]}.String())
		}
		fmt.Fprintf(stderr, "gauntlet test: no test covers the changed lines %s\n", strings.Join(parts, ", "))
	}
	if !res.Passed {
		return exitFindings
	}
	return exitOK
}

// testProgress passes a test run's progress on as the call's.
func (c *Call) testProgress(job string) func(analysis.Progress) {
	if c.progress == nil {
		return nil
	}
	return func(p analysis.Progress) {
		p.Job = job
		c.report(p)
	}
}

func writeTestText(w io.Writer, res testJSON, affected bool) {
	counts := map[testrun.Status]int{}
	for _, r := range res.Tests {
		counts[r.Status]++
		label := map[testrun.Status]string{testrun.Pass: "ok  ", testrun.Fail: "FAIL", testrun.Skip: "skip", testrun.Error: "ERR "}[r.Status]
		fmt.Fprintf(w, "%s %s (%dms)\n", label, r.ID, r.Duration)
		if r.Output != "" && (r.Status == testrun.Fail || r.Status == testrun.Error) {
			for _, l := range strings.Split(r.Output, "\n") {
				fmt.Fprintf(w, "     %s\n", l)
			}
		}
	}
	if res.Coverage != nil {
		fmt.Fprintf(w, "coverage: %.1f%% of statements\n", res.Coverage.Percent)
	}
	if affected {
		fmt.Fprintf(w, "selected %d of %d tests\n", len(res.Selected), res.TotalTests)
		for _, p := range res.CommentsOnly {
			fmt.Fprintf(w, "only comments change in %s: no test is affected\n", p)
		}
		for _, u := range res.UncoveredChanges {
			fmt.Fprintf(w, "not covered by any test: %s:%d-%d\n", u.Path, u.Lines[0], u.Lines[1])
		}
	}
	line := fmt.Sprintf("%d passed, %d failed", counts[testrun.Pass], counts[testrun.Fail]+counts[testrun.Error])
	if counts[testrun.Skip] > 0 {
		line += fmt.Sprintf(", %d skipped", counts[testrun.Skip])
	}
	fmt.Fprintln(w, line)
}

// relPaths turns paths as typed at the call's directory into snapshot
// paths; each must exist.
func (c *Call) relPaths(snap *analysis.Snapshot, paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		abs := c.abs(p)
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("%s: %w", p, errors.Unwrap(err))
		}
		rel, err := snap.Rel(abs)
		if err != nil {
			return nil, err
		}
		out = append(out, rel)
	}
	return out, nil
}

// rebasePatch makes the patch's paths relative to the workspace root. git
// writes them relative to the repository's top; plain diff relative to where
// it ran: the first directory (workspace root, current directory, repository
// top) in which the patch's files exist wins.
func rebasePatch(ws *workspace, files []*patch.File) ([]*patch.File, error) {
	cands := []string{ws.root, ws.cwd}
	for d := ws.cwd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			cands = append(cands, d)
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	for _, dir := range cands {
		ok := true
		for _, f := range files {
			p := f.NewPath
			if p == "" {
				p = f.OldPath
			}
			_, err1 := os.Stat(filepath.Join(dir, filepath.FromSlash(f.OldPath)))
			_, err2 := os.Stat(filepath.Join(dir, filepath.FromSlash(p)))
			if err1 != nil && err2 != nil && f.Status != patch.Added {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		rel, err := filepath.Rel(ws.root, dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		rel = filepath.ToSlash(rel)
		for _, f := range files {
			if f.OldPath != "" {
				f.OldPath = path.Join(rel, f.OldPath)
			}
			if f.NewPath != "" {
				f.NewPath = path.Join(rel, f.NewPath)
			}
		}
		return files, nil
	}
	return nil, fmt.Errorf("--affected-by: the patch's files are not in the workspace %s", ws.root)
}

// patchSides returns the workspace before and after the patch. When the
// files on disk already hold the change (git diff of a dirty tree), disk is
// the after side and the before side is the patch reverted in memory; when
// they do not yet, disk is the before side and the after side is the patch
// applied in memory. The disk is never written.
func patchSides(disk *analysis.Snapshot, files []*patch.File) (base, head *analysis.Snapshot, err error) {
	read := func(p string) ([]byte, bool) {
		data, err := os.ReadFile(disk.Abs(p))
		return data, err == nil
	}
	// Is the change already on disk?
	base = disk
	revertErr := func() error {
		for _, f := range files {
			if f.Binary {
				continue
			}
			switch f.Status {
			case patch.Added:
				if _, ok := read(f.NewPath); !ok {
					return fmt.Errorf("%s is not on disk", f.NewPath)
				}
				base = base.Without(f.NewPath)
			case patch.Deleted:
				if _, ok := read(f.OldPath); ok {
					return fmt.Errorf("%s is still on disk", f.OldPath)
				}
				old, err := f.Revert(nil)
				if err != nil {
					return err
				}
				base = base.With(analysis.NewFile(f.OldPath, old, 0))
			default:
				cur, ok := read(f.NewPath)
				if !ok {
					return fmt.Errorf("%s is not on disk", f.NewPath)
				}
				old, err := f.Revert(cur)
				if err != nil {
					return err
				}
				if f.Status == patch.Renamed {
					base = base.Without(f.NewPath)
				}
				base = base.With(analysis.NewFile(f.OldPath, old, 0))
			}
		}
		return nil
	}()
	if revertErr == nil {
		return base, disk, nil
	}
	head = disk
	for _, f := range files {
		if f.Binary {
			return nil, nil, fmt.Errorf("--affected-by: %s: a binary change must already be on disk", f.Path())
		}
		switch f.Status {
		case patch.Added:
			data, err := f.Apply(nil)
			if err != nil {
				return nil, nil, fmt.Errorf("--affected-by: %w", err)
			}
			head = head.With(analysis.NewFile(f.NewPath, data, 0))
		case patch.Deleted:
			head = head.Without(f.OldPath)
		default:
			cur, ok := read(f.OldPath)
			if !ok {
				return nil, nil, fmt.Errorf("--affected-by: %s is not in the workspace", f.OldPath)
			}
			data, err := f.Apply(cur)
			if err != nil {
				return nil, nil, fmt.Errorf("--affected-by: the patch matches the workspace neither before nor after the change (%v; %v)", revertErr, err)
			}
			if f.Status == patch.Renamed {
				head = head.Without(f.OldPath)
			}
			head = head.With(analysis.NewFile(f.NewPath, data, 0))
		}
	}
	return disk, head, nil
}

package workspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/loop"
	"github.com/gauntlet-dev/gauntlet/server/model"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// FixRequestCheck validates a fix request's flags and returns the sandbox
// mode.
func FixRequestCheck(req *api.FixRequest) (string, error) {
	switch orDefault(req.Format, "text") {
	case "text", "json", "diff", "rdjson":
	default:
		return "", fmt.Errorf("--format: unknown format %q (want text|json|diff|rdjson)", req.Format)
	}
	if req.MaxAttempts < 0 {
		return "", fmt.Errorf("--max-attempts: %d is negative", req.MaxAttempts)
	}
	mode, err := verify.ParseSandbox(req.Sandbox)
	if err != nil {
		return "", fmt.Errorf("--sandbox: %v", err)
	}
	return mode, nil
}

// Fix is gauntlet fix's work, for the command line and the server.
func Fix(ctx context.Context, c *Call, req *api.FixRequest) int {
	stdout, stderr := c.stdout, c.stderr
	fail := func(err error) int {
		fmt.Fprintf(stderr, "gauntlet fix: %v\n", err)
		return exitError
	}
	if _, err := FixRequestCheck(req); err != nil {
		return fail(err)
	}
	quiet := req.Quiet
	ws, paths, ok := c.openAnalyzed(req.Paths, nil)
	if !ok {
		return exitError
	}
	defer ws.close()
	m, spec, err := model.Open(ws.cfg.Model)
	if err != nil {
		return fail(err)
	}
	mode, err := sandboxMode(c, ws.cfg, req.Sandbox, m != nil)
	if err != nil {
		return fail(err)
	}
	ws.engine.SetLoop(loopSettings(ws.cfg, loopAsk{model: m, sandbox: mode, maxAttempts: req.MaxAttempts, pathPrefix: ws.repoPrefix()}))
	if ws.cfg.Loop.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, ws.cfg.Loop.Timeout)
		defer cancel()
	}

	snap := analysis.NewSnapshot(ws.root)
	files, err := ws.files(snap, c.absAll(paths))
	if err != nil {
		return fail(err)
	}
	scope := loop.Scope{Files: files}
	if !req.NoTests {
		if scope.Tests, err = c.relPaths(snap, paths); err != nil {
			return fail(err)
		}
	}
	progress := func(e analysis.Progress) {
		e.Job = "fix"
		c.report(e)
		if quiet {
			return
		}
		switch {
		case e.Kind == analysis.ProgressBegin:
			fmt.Fprintf(stderr, "gauntlet fix: %s\n", e.Title)
		case e.Kind == analysis.ProgressReport && !strings.Contains(e.Message, "verifying ("):
			fmt.Fprintf(stderr, "gauntlet fix: %s\n", e.Message)
		}
	}
	if !quiet {
		fmt.Fprintf(stderr, "gauntlet fix: looking for findings and failing tests in %s\n", strings.Join(paths, " "))
	}
	problems, errs := ws.engine.Problems(ctx, snap, scope)
	if ctx.Err() != nil {
		return fail(ctx.Err())
	}
	for _, err := range errs {
		var ae *analysis.AnalyzerError
		if !errors.As(err, &ae) { // analyzer failures were printed once already
			fmt.Fprintf(stderr, "gauntlet fix: %v\n", err)
		}
	}
	res := &loop.Result{}
	var runErr error
	if len(problems) > 0 {
		res, runErr = ws.engine.Fix(ctx, snap, problems, progress)
		if res == nil {
			return fail(runErr)
		}
	}
	out := api.FixDocument{Accepted: res.Accepted(), Model: spec.String(), Sandbox: verify.Effective(mode), Problems: res.Problems, Attempts: res.Attempts, Patch: res.Patch, Errors: res.Errors}
	if out.Problems == nil {
		out.Problems = []*loop.Problem{}
	}
	if out.Attempts == nil {
		out.Attempts = []*loop.Attempt{}
	}
	var applyErr error
	if req.Apply && res.Accepted() {
		out.Applied, applyErr = writeChanges(ws.root, res.Changes)
	}
	c.setResult(out)
	switch orDefault(req.Format, "text") {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return fail(err)
		}
	case "diff":
		io.WriteString(stdout, res.Patch)
	case "rdjson":
		if err := writeFixRDJSON(stdout, out); err != nil {
			return fail(err)
		}
	default:
		writeFixText(stdout, ws, out, req.Apply)
	}
	switch {
	case runErr != nil:
		return fail(runErr)
	case applyErr != nil:
		return fail(applyErr)
	case res.Accepted():
		return exitOK
	case len(res.Errors) > 0:
		for _, e := range res.Errors {
			fmt.Fprintf(stderr, "gauntlet fix: %s\n", e)
		}
		return exitError
	case len(errs) > 0:
		// Problems may be missing (tests that did not run, an analyzer that
		// failed): neither "nothing to fix" nor "no fix" would be true.
		fmt.Fprintln(stderr, "gauntlet fix: the problems found are incomplete (see above) and none was fixed")
		return exitError
	case len(problems) == 0:
		if !quiet {
			fmt.Fprintln(stderr, "gauntlet fix: nothing to fix")
		}
		return exitOK
	}
	return exitFindings
}

// repoPrefix is the workspace's directory relative to the top of its git
// repository ("" at the top, or outside a repository): patches name files
// from there, as git diff does, so that git apply takes them.
func (ws *workspace) repoPrefix() string {
	for d := ws.root; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			rel, err := filepath.Rel(d, ws.root)
			if err != nil || rel == "." {
				return ""
			}
			return filepath.ToSlash(rel)
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

func writeFixText(w io.Writer, ws *workspace, out api.FixDocument, applied bool) {
	var b strings.Builder
	where := func(p *loop.Problem) string {
		if p.Kind == loop.KindTest {
			s := fmt.Sprintf("test %s fails", p.Test)
			if p.Path != "" {
				s += fmt.Sprintf(" (code under test: %s:%d)", ws.display(p.Path), p.Line)
			}
			return s
		}
		if p.Kind == loop.KindInstruction {
			return fmt.Sprintf("%s:%d: %s", ws.display(p.Path), p.Line, p.Instruction)
		}
		return fmt.Sprintf("%s:%d:%d: %s [%s] %s", ws.display(p.Path), p.Line, p.Column, p.Severity, p.Code, p.Message)
	}
	if len(out.Problems) == 0 {
		b.WriteString("nothing to fix: no error or warning findings, no failing tests\n")
	}
	for i, p := range out.Problems {
		fmt.Fprintf(&b, "%d. %s\n", i+1, where(p))
		for _, a := range out.Attempts {
			if a.Problem != i+1 {
				continue
			}
			src := a.Source
			if a.Title != "" {
				src += fmt.Sprintf(" %q", a.Title)
			}
			switch {
			case a.Accepted:
				fmt.Fprintf(&b, "   attempt %d (%s): accepted: %s\n", a.N, src, a.PassedGates())
			case a.Error != "":
				fmt.Fprintf(&b, "   attempt %d (%s): error: %s\n", a.N, src, a.Error)
			default:
				fmt.Fprintf(&b, "   attempt %d (%s): rejected by %s\n", a.N, src, a.Reason)
			}
		}
		switch p.Status {
		case "fixed":
			fmt.Fprintf(&b, "   fixed\n")
		case "fixed-earlier":
			fmt.Fprintf(&b, "   fixed by the fix of problem %d\n", out.Attempts[p.FixedBy-1].Problem)
		case "not-fixed":
			if p.Note != "" {
				fmt.Fprintf(&b, "   no fix: %s\n", p.Note)
			} else {
				fmt.Fprintf(&b, "   no fix\n")
			}
		case "error":
			fmt.Fprintf(&b, "   not fixed: an error stopped the attempts\n")
		default:
			fmt.Fprintf(&b, "   not attempted\n")
		}
	}
	fixed := 0
	for _, p := range out.Problems {
		if p.Status == loop.Fixed || p.Status == loop.FixedEarlier {
			fixed++
		}
	}
	if len(out.Problems) > 0 {
		fmt.Fprintf(&b, "\n%d of %d problems fixed (model: %s, sandbox: %s)\n", fixed, len(out.Problems), out.Model, out.Sandbox)
	}
	if out.Patch != "" {
		b.WriteString("\nThe verified patch:\n\n")
		b.WriteString(out.Patch)
		if applied {
			fmt.Fprintf(&b, "\napplied to %s\n", strings.Join(out.Applied, ", "))
		} else {
			b.WriteString("\nnot applied: run gauntlet fix --apply to write it, or save it and use git apply\n")
		}
	}
	io.WriteString(w, b.String())
}

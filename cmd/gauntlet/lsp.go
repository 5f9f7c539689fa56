package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	"github.com/gauntlet-dev/gauntlet/analysis/rules"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
	"github.com/gauntlet-dev/gauntlet/lsp"
	"github.com/gauntlet-dev/gauntlet/plugins"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/model"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

func init() {
	register(&command{name: "lsp", summary: "serve the Language Server Protocol on stdin and stdout", flags: lspCommand,
		long: "Speaks LSP on stdin and stdout until the editor sends exit."})
}

// lspSandbox is gauntlet lsp's --sandbox.
var lspSandbox string

func lspCommand(fs *pflag.FlagSet) workFunc {
	maxSize := fs.Int64("max-message-size", lsp.MaxMessageSize, "largest message body accepted, in `BYTES`")
	quiet := fs.Bool("quiet", false, "log only to the editor (window/logMessage), not to stderr")
	fs.StringVar(&lspSandbox, "sandbox", "", "how edited code runs (`MODE`): auto|bwrap|none (default: loop.sandbox of .gauntlet.yaml, else auto); a model's edits need bubblewrap unless it is none")
	serverAddr := serverFlag(fs)
	return func(args []string, stdout, stderr io.Writer) int {
		if _, err := verify.ParseSandbox(lspSandbox); err != nil {
			fmt.Fprintf(stderr, "gauntlet lsp: --sandbox: %v\n", err)
			return exitError
		}
		if len(args) > 0 {
			fmt.Fprintf(stderr, "gauntlet lsp: unexpected argument %q (the editor starts the server; it takes no paths)\n", args[0])
			return exitError
		}
		var log io.Writer = stderr
		if *quiet {
			log = io.Discard
		}
		var srv *lsp.Server
		plugs := &lspPlugins{log: log, show: func(err error) { srv.ShowError(err) }}
		defer plugs.close()
		engine := server.New(
			server.WithAnalyzers(syntax.Analyzer),
			server.WithErrorHandler(func(err error) {
				// The plugin host shows its own failures, with the plugin's last error.
				var pe *plugins.Error
				if !errors.As(err, &pe) {
					srv.ShowError(err)
				}
			}),
			server.WithFilter(analysis.Suppress),
		)
		var answers lsp.Engine = engine
		var remote *remoteEngine
		if *serverAddr != "" {
			c, err := dialServer(*serverAddr)
			if err != nil {
				fmt.Fprintf(stderr, "gauntlet lsp: --server: %v\n", err)
				return exitError
			}
			defer c.Close()
			remote = &remoteEngine{Engine: engine, backend: c, addr: *serverAddr, show: func(err error) { srv.ShowError(err) }}
			answers = remote
		}
		srv = lsp.New(answers,
			lsp.WithLog(log),
			lsp.WithMaxMessageSize(*maxSize),
			lsp.WithVersion(version),
			lsp.WithReload(func(ctx context.Context, root string) ([]*analysis.Analyzer, []string, error) {
				if remote != nil {
					remote.setRoot(root)
				}
				return loadLSPConfig(ctx, root, engine, plugs, func(err error) { srv.ShowError(err) })
			}),
			lsp.WithTests(func(root string) lsp.TestRunner { return newLSPTests(root) }),
		)
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return srv.Serve(ctx, stdio{in: os.Stdin, out: stdout})
	}
}

// stdio joins the process's standard input and output into one connection.
type stdio struct {
	in  *os.File
	out io.Writer
}

func (s stdio) Read(p []byte) (int, error)  { return s.in.Read(p) }
func (s stdio) Write(p []byte) (int, error) { return s.out.Write(p) }
func (s stdio) Close() error                { return s.in.Close() }

// loadLSPConfig loads the .gauntlet.yaml of the editor's workspace (or the
// defaults) and compiles its rules, as gauntlet check does, and gives the
// engine the closed loop's settings (the model, the gates); the server calls
// it at initialize and when the file or a rule file is saved. A model that
// cannot be opened is shown, and fixes then come from the analyzers alone.
func loadLSPConfig(ctx context.Context, root string, engine *server.Engine, plugs *lspPlugins, show func(error)) ([]*analysis.Analyzer, []string, error) {
	cfg, err := config.Find(root)
	if err != nil {
		return nil, nil, configProblems(err)
	}
	// Rules that compile are used even when others do not: one broken rule
	// must not silence the rest; the broken ones are shown on their lines.
	set, rulesErr := rules.ForConfig(cfg)
	if rulesErr != nil && set == nil {
		return nil, nil, configProblems(rulesErr)
	}
	m, _, err := model.Open(cfg.Model)
	if err != nil {
		show(fmt.Errorf("no model for gauntlet.fix (the analyzers' own fixes still are): %w", err))
		m = nil
	}
	// The operator's sandbox (--sandbox, else loop.sandbox); the model's
	// edits need bubblewrap unless it says none: without it, fixes come
	// from the analyzers alone.
	vopts := verify.FromConfig(cfg)
	setting := lspSandbox
	if setting == "" {
		setting = cfg.Loop.Sandbox
	}
	vopts.Sandbox, _ = verify.ParseSandbox(setting)
	if m != nil {
		mode, err := verify.ForModelEdits(vopts.Sandbox)
		if err != nil {
			show(fmt.Errorf("no model for gauntlet.fix (the analyzers' own fixes still are): %w", err))
			m = nil
		} else {
			vopts.Sandbox = mode
		}
	}
	engine.SetLoop(server.Loop{Model: m, Verify: vopts, MaxAttempts: cfg.Loop.MaxAttempts})
	as := append(cfg.Apply([]*analysis.Analyzer{syntax.Analyzer}, true), set.Analyzers()...)
	pas, err := plugs.analyzers(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	as = append(as, cfg.Apply(pas, false)...)
	if err := uniqueNames(as); err != nil {
		return nil, nil, err
	}
	files := append([]string{filepath.Join(root, config.FileName)}, cfg.RuleFiles...)
	if cfg.Path != "" {
		files = append(files, cfg.Path)
	}
	if rulesErr != nil {
		return as, files, configProblems(rulesErr)
	}
	return as, files, nil
}

// configProblems turns configuration and rule errors into problems the LSP
// shows on their lines; other errors pass through.
func configProblems(err error) error {
	var ps []lsp.ConfigProblem
	var ce config.Errors
	var re rules.Errors
	switch {
	case errors.As(err, &ce):
		for _, e := range ce {
			ps = append(ps, lsp.ConfigProblem{Path: absPath(e.Pos.File), Line: e.Pos.Line, Message: e.Error()})
		}
	case errors.As(err, &re):
		for _, e := range re {
			ps = append(ps, lsp.ConfigProblem{Path: absPath(e.Pos.File), Line: e.Pos.Line, Message: e.Error()})
		}
	default:
		return err
	}
	return &lsp.ProblemsError{Problems: ps}
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// lspTests runs the workspace's tests for the server's code lenses and
// gauntlet.runTests, through analysis/testrun.
type lspTests struct {
	snap     *analysis.Snapshot
	settings testrun.Settings
	err      error
}

func newLSPTests(root string) *lspTests {
	settings, err := testSettings(root)
	return &lspTests{snap: analysis.NewSnapshot(root), settings: settings, err: err}
}

func (t *lspTests) TestsInFile(ctx context.Context, f *analysis.File) ([]testrun.Test, error) {
	if t.err != nil {
		return nil, t.err
	}
	// The open buffer, not the file on disk: lenses sit on the lines shown.
	suite := testrun.New(t.snap.With(f), t.settings)
	tests, err := suite.TestsInFile(ctx, f.Path)
	if err != nil {
		return nil, err
	}
	out := make([]testrun.Test, 0, len(tests))
	for _, x := range tests {
		if x.Kind != testrun.KindTest && x.Kind != "" {
			continue
		}
		out = append(out, x)
	}
	return out, nil
}

func (t *lspTests) Run(ctx context.Context, ids []string, progress func(string, int)) (string, bool, error) {
	r, err := t.Report(ctx, ids, progress)
	return r.Summary, r.Passed, err
}

// Report runs the tests and says which failed, for the editor's
// failing-test diagnostics.
func (t *lspTests) Report(ctx context.Context, ids []string, progress func(string, int)) (lsp.TestReport, error) {
	if t.err != nil {
		return lsp.TestReport{}, t.err
	}
	suite := testrun.New(t.snap, t.settings, testrun.WithProgress(func(p analysis.Progress) {
		if p.Kind == analysis.ProgressReport {
			progress(p.Message, p.Percent)
		}
	}))
	out, err := suite.RunIDs(ctx, ids, testrun.RunOptions{})
	if err != nil {
		return lsp.TestReport{}, err
	}
	counts := map[testrun.Status]int{}
	for _, r := range out.Results {
		counts[r.Status]++
	}
	summary := fmt.Sprintf("%d passed, %d failed", counts[testrun.Pass], counts[testrun.Fail]+counts[testrun.Error])
	if n := counts[testrun.Skip]; n > 0 {
		summary += fmt.Sprintf(", %d skipped", n)
	}
	rep := lsp.TestReport{Passed: out.Passed()}
	for _, r := range out.Results {
		rep.Ran = append(rep.Ran, r.ID)
	}
	said := map[string]bool{} // a package's build failure fails each of its tests
	for _, r := range out.Failed() {
		summary += "; " + string(r.Status) + ": " + r.ID
		if msg := buildMessage(r); r.Status == testrun.Error && msg != "" && !said[msg] {
			said[msg] = true
			summary += ": " + msg
		}
		rep.Failures = append(rep.Failures, r.AsFailure())
	}
	rep.Summary = summary
	return rep, nil
}

// buildMessage is the first line of a test's output that is not a header
// ("# pkg", "FAIL pkg [build failed]"): for a test that could not run, the
// compiler's message, as `gauntlet test` shows it.
func buildMessage(r testrun.Result) string {
	for _, l := range strings.Split(r.Output, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "FAIL") || strings.HasPrefix(l, "---") {
			continue
		}
		return l
	}
	return ""
}

// Coverage builds (or loads from the cache: only packages whose inputs
// changed run again) the workspace's per-test coverage map, for
// gauntlet.coverage's lenses and uncovered-line hints.
func (t *lspTests) Coverage(ctx context.Context, progress func(string, int)) (lsp.CoverageView, error) {
	if t.err != nil {
		return nil, t.err
	}
	suite := testrun.New(t.snap, t.settings, testrun.WithProgress(func(p analysis.Progress) {
		if p.Kind == analysis.ProgressReport {
			progress(p.Message, p.Percent)
		}
	}))
	m, err := suite.Map(ctx)
	if err != nil {
		return nil, err
	}
	return &lspCoverage{t: t, m: m, profile: m.Profile()}, nil
}

type lspCoverage struct {
	t       *lspTests
	m       *coverage.Map
	profile *coverage.Profile
}

func (c *lspCoverage) Functions(ctx context.Context, f *analysis.File) ([]lsp.FunctionCoverage, error) {
	// The open buffer, not the file on disk: lenses sit on the lines shown.
	fns, err := testrun.New(c.t.snap.With(f), c.t.settings).Functions(ctx, c.m, f.Path)
	if err != nil {
		return nil, err
	}
	out := make([]lsp.FunctionCoverage, 0, len(fns))
	for _, fn := range fns {
		out = append(out, lsp.FunctionCoverage{Start: fn.Start, Tests: len(fn.Tests), Percent: fn.Percent})
	}
	return out, nil
}

func (c *lspCoverage) Uncovered(f *analysis.File) [][2]int {
	if pf := c.profile.Files[f.Path]; pf != nil {
		return pf.Uncovered()
	}
	return nil
}

func (c *lspCoverage) Summary() string {
	return fmt.Sprintf("%d tests · %.1f%% of statements covered", len(c.m.Tests), c.profile.Percent())
}

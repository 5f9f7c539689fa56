package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
	"github.com/gauntlet-dev/gauntlet/lsp"
	"github.com/gauntlet-dev/gauntlet/lsp/adapter"
	"github.com/gauntlet-dev/gauntlet/plugins"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/verify"
	"github.com/gauntlet-dev/gauntlet/server/workspace"
)

func init() {
	register(&command{name: "lsp", summary: "serve the Language Server Protocol on stdin and stdout", flags: lspCommand,
		long: "Speaks LSP on stdin and stdout until the editor sends exit."})
}

func lspCommand(fs *pflag.FlagSet) workFunc {
	maxSize := fs.Int64("max-message-size", lsp.MaxMessageSize, "largest message body accepted, in `BYTES`")
	quiet := fs.Bool("quiet", false, "log only to the editor (window/logMessage), not to stderr")
	sandbox := fs.String("sandbox", "", "how edited code runs (`MODE`): auto|bwrap|none (default: loop.sandbox of .gauntlet.yaml, else auto); a model's edits need bubblewrap unless it is none")
	serverAddr := serverFlag(fs)
	return func(args []string, stdout, stderr io.Writer) int {
		if _, err := verify.ParseSandbox(*sandbox); err != nil {
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
		show := func(err error) { srv.ShowError(err) }
		engine := server.New(
			server.WithAnalyzers(syntax.Analyzer),
			server.WithErrorHandler(func(err error) {
				// The plugin host shows its own failures, with the plugin's last error.
				if pe := (*plugins.Error)(nil); !errors.As(err, &pe) {
					srv.ShowError(err)
				}
			}),
			server.WithFilter(analysis.Suppress),
		)
		var answers lsp.Engine = engine
		var remote *workspace.RemoteEngine
		if *serverAddr != "" {
			c, err := dialServer(*serverAddr)
			if err != nil {
				fmt.Fprintf(stderr, "gauntlet lsp: --server: %v\n", err)
				return exitError
			}
			defer c.Close()
			remote = workspace.NewRemoteEngine(engine, c, *serverAddr, show)
			answers = remote
		}
		// Plugins show their own failures and stay while their configuration does.
		ws := workspace.NewEditor(engine, *sandbox, workspace.Options{Plugins: plugins.LoadShowing(show)}, log, show)
		defer ws.Close()
		srv = lsp.New(answers,
			lsp.WithLog(log),
			lsp.WithMaxMessageSize(*maxSize),
			lsp.WithVersion(version),
			lsp.WithReload(func(ctx context.Context, root string) ([]*analysis.Analyzer, []string, error) {
				if remote != nil {
					remote.SetRoot(root)
				}
				as, files, err := ws.Load(ctx, root)
				return as, files, adapter.ConfigProblems(err)
			}),
			lsp.WithTests(adapter.NewTests),
		)
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return srv.Serve(ctx, adapter.Stdio(os.Stdin, stdout))
	}
}

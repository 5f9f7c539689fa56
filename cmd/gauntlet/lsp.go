package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gauntlet-dev/gauntlet/analysis/syntax"
	"github.com/gauntlet-dev/gauntlet/lsp"
	"github.com/gauntlet-dev/gauntlet/server"
)

func init() {
	register(&command{name: "lsp", summary: "serve the Language Server Protocol on stdin and stdout", run: runLSP})
}

func runLSP(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lsp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	maxSize := fs.Int64("max-message-size", lsp.MaxMessageSize, "largest message body accepted, in bytes")
	quiet := fs.Bool("quiet", false, "log only to the editor (window/logMessage), not to stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gauntlet lsp [--max-message-size N] [--quiet]\n\nSpeaks LSP on stdin and stdout until the editor sends exit.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gauntlet lsp: unexpected argument %q (the editor starts the server; it takes no paths)\n", fs.Arg(0))
		return exitError
	}
	var log io.Writer = stderr
	if *quiet {
		log = io.Discard
	}
	var srv *lsp.Server
	engine := server.New(
		server.WithAnalyzers(syntax.Analyzer),
		server.WithErrorHandler(func(err error) { srv.ShowError(err) }),
	)
	srv = lsp.New(engine,
		lsp.WithLog(log),
		lsp.WithMaxMessageSize(*maxSize),
		lsp.WithVersion(version),
	)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return srv.Serve(ctx, stdio{in: os.Stdin, out: stdout})
}

// stdio joins the process's standard input and output into one connection.
type stdio struct {
	in  *os.File
	out io.Writer
}

func (s stdio) Read(p []byte) (int, error)  { return s.in.Read(p) }
func (s stdio) Write(p []byte) (int, error) { return s.out.Write(p) }
func (s stdio) Close() error                { return s.in.Close() }

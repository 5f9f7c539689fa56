package main

import (
	"github.com/gauntlet-dev/gauntlet/server/workspace"
	mcptools "github.com/gauntlet-dev/gauntlet/server/workspace/mcp"

	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

func init() {
	register(&command{name: "mcp", summary: "serve the engine as MCP tools for agents, on stdio", flags: mcpCommand,
		long: "Speaks the Model Context Protocol on stdin and stdout (newline-delimited JSON-RPC) with the tools\n" +
			"check, verify, affected_tests, tests_for_line and fix. Each tool's result is the JSON document of\n" +
			"the command of the same work (gauntlet check --format json, ...); a tool that cannot do its work\n" +
			"answers with an error result, and the server goes on."})
}

func mcpCommand(fs *pflag.FlagSet) workFunc {
	rootFlag := fs.String("root", ".", "the workspace (`DIR`) the tools answer for; tool paths are relative to it")
	sandbox := fs.String("sandbox", "", "how edited code runs (`MODE`): auto|bwrap|none (default: loop.sandbox of .gauntlet.yaml, else auto); a tool call may only ask for stricter (with --server, the server decides)")
	serverAddr := serverFlag(fs)
	return func(args []string, stdout, stderr io.Writer) int {
		if len(args) > 0 {
			fmt.Fprintf(stderr, "gauntlet mcp: unexpected argument %q\n", args[0])
			return exitError
		}
		root, err := filepath.Abs(*rootFlag)
		if err != nil {
			fmt.Fprintf(stderr, "gauntlet mcp: %v\n", err)
			return exitError
		}
		if _, err := verify.ParseSandbox(*sandbox); err != nil {
			fmt.Fprintf(stderr, "gauntlet mcp: --sandbox: %v\n", err)
			return exitError
		}
		var b api.Backend
		if *serverAddr != "" {
			c, err := dialServer(*serverAddr)
			if err != nil {
				fmt.Fprintf(stderr, "gauntlet mcp: --server: %v\n", err)
				return exitError
			}
			defer c.Close()
			b = c
		} else {
			lb := workspace.NewBackend(root, *sandbox, stderr, options())
			defer lb.Close()
			b = lb
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		s := mcptools.NewServer(b, root, version)
		if err := s.Run(ctx, mcptools.Stdio(os.Stdin, os.Stdout)); err != nil && ctx.Err() == nil {
			fmt.Fprintf(stderr, "gauntlet mcp: %v\n", err)
			return exitError
		}
		return exitOK
	}
}

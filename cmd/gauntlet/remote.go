package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/api/client"
	"github.com/gauntlet-dev/gauntlet/server/workspace"
)

// serverFlag adds --server to a command: its work is then done by a
// running `gauntlet serve`, with the same output and exit status.
func serverFlag(fs *pflag.FlagSet) *string {
	return fs.String("server", "", "let the engine of a running gauntlet serve at `ADDR` (unix:PATH or tcp:HOST:PORT) do the work; same output and exit status (token: GAUNTLET_TOKEN or GAUNTLET_TOKEN_FILE; TLS: GAUNTLET_TLS_CA=FILE or GAUNTLET_TLS=1)")
}

// dialServer connects to a server with the token and TLS settings of the
// environment: GAUNTLET_TOKEN or GAUNTLET_TOKEN_FILE, and GAUNTLET_TLS_CA (a
// PEM file of the certificates to trust) or GAUNTLET_TLS=1 (the system's).
func dialServer(addr string) (*client.Client, error) {
	var opts []client.Option
	token, err := tokenFromEnv()
	if err != nil {
		return nil, err
	}
	if token != "" {
		opts = append(opts, client.WithToken(token))
	}
	if ca := os.Getenv("GAUNTLET_TLS_CA"); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("GAUNTLET_TLS_CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("GAUNTLET_TLS_CA: %s holds no PEM certificate", ca)
		}
		opts = append(opts, client.WithTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	} else if os.Getenv("GAUNTLET_TLS") == "1" {
		opts = append(opts, client.WithTLS(&tls.Config{MinVersion: tls.VersionTLS12}))
	}
	return client.Dial(addr, opts...)
}

// tokenFromEnv reads GAUNTLET_TOKEN, else the file GAUNTLET_TOKEN_FILE names.
func tokenFromEnv() (string, error) {
	if t := os.Getenv("GAUNTLET_TOKEN"); t != "" {
		return t, nil
	}
	if f := os.Getenv("GAUNTLET_TOKEN_FILE"); f != "" {
		return readToken(f)
	}
	return "", nil
}

// readToken reads a token file: its first line, trimmed.
func readToken(name string) (string, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	t, _, _ := strings.Cut(string(data), "\n")
	t = strings.TrimSpace(t)
	if t == "" {
		return "", fmt.Errorf("token file %s is empty", name)
	}
	return t, nil
}

// dispatch does a command's work on req until an interrupt or SIGTERM
// cancels it. With a server address, the server does it (onServer, *cwd,
// req's Cwd, set to this process's directory): its log lines go to stderr
// as they come, its output to stdout, and its outcome is the exit status,
// as if the command had run here. Without, local does it here, with progress
// on a terminal when progress names the command.
func dispatch[R any](addr string, stdout, stderr io.Writer, progress string, req R, cwd *string,
	onServer func(api.Backend, context.Context, R, api.Events) (*api.Result, error),
	local func(context.Context, *workspace.Call, R) int) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if addr == "" {
		c := localCall(stdout, stderr)
		if progress != "" {
			var done func()
			c, done = workspace.WithTerminalProgress(c, progress)
			defer done()
		}
		return local(ctx, c, req)
	}
	c, err := dialServer(addr)
	if err != nil {
		fmt.Fprintf(stderr, "gauntlet: --server: %v\n", err)
		return exitError
	}
	defer c.Close()
	if *cwd, err = os.Getwd(); err != nil {
		fmt.Fprintf(stderr, "gauntlet: %v\n", err)
		return exitError
	}
	res, err := onServer(c, ctx, req, api.Events{Log: func(line string) { fmt.Fprintln(stderr, line) }})
	if err != nil {
		fmt.Fprintf(stderr, "gauntlet: --server %s: %s\n", addr, workspace.RemoteError(err))
		return exitError
	}
	stdout.Write(res.Output)
	return int(res.Outcome)
}

// readInput reads a file named on the command line; "-" is standard input.
func readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}

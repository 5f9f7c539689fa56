package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/verify"
	"github.com/gauntlet-dev/gauntlet/server/workspace"
)

func init() {
	register(&command{name: "serve", summary: "serve the engine over gRPC (gauntlet.v1.Engine) for assistants, bots and --server", flags: serveCommand,
		long: "Serves the engine as the gRPC service gauntlet.v1.Engine (with server reflection and the standard\n" +
			"health service) until SIGTERM or SIGINT, which drain the calls in flight, remove the socket and\n" +
			"exit 0. The default socket is in a folder only you can enter; a tcp listener requires a bearer\n" +
			"token (GAUNTLET_TOKEN or --token-file)."})
}

func serveCommand(fs *pflag.FlagSet) workFunc {
	listen := fs.String("listen", "", "where to listen (`ADDR`): unix:PATH or tcp:HOST:PORT (default unix:"+api.DefaultSocket()+")")
	rootFlag := fs.String("root", ".", "the directory (`DIR`) the server answers for: requests must stay under it")
	tokenFile := fs.String("token-file", "", "read the bearer token from `FILE` (else GAUNTLET_TOKEN); required for tcp")
	tlsCert := fs.String("tls-cert", "", "serve TLS with this certificate (PEM `FILE`)")
	tlsKey := fs.String("tls-key", "", "the certificate's private key (PEM `FILE`)")
	maxJobs := fs.Int("max-jobs", 0, "`N` long jobs (tests, coverage, verify, fix) that run at once; more wait (default: the number of CPUs)")
	maxAnalyses := fs.Int("max-analyses", 0, "`N` analyses (check) that run at once, each on every core; more wait (default: the number of CPUs)")
	maxCall := fs.Duration("max-call-time", api.DefaultMaxCallTime, "`DURATION` bound of a call that comes without a deadline")
	sandbox := fs.String("sandbox", "", "how edited code runs (`MODE`): auto|bwrap|none (default: loop.sandbox of .gauntlet.yaml, else auto); requests may only ask for stricter")
	drain := fs.Duration("drain", 30*time.Second, "on SIGTERM, how long (`DURATION`) calls in flight may take to finish before they are cancelled")
	return func(args []string, stdout, stderr io.Writer) int {
		fail := func(err error) int {
			fmt.Fprintf(stderr, "gauntlet serve: %v\n", err)
			return exitError
		}
		if len(args) > 0 {
			return fail(fmt.Errorf("unexpected argument %q", args[0]))
		}
		root, err := filepath.Abs(*rootFlag)
		if err != nil {
			return fail(err)
		}
		if st, err := os.Stat(root); err != nil || !st.IsDir() {
			return fail(fmt.Errorf("--root %s: not a directory", *rootFlag))
		}
		if *listen == "" {
			*listen = "unix:" + api.DefaultSocket()
		}
		addr, err := api.ParseAddress(*listen)
		if err != nil {
			return fail(fmt.Errorf("--listen: %v", err))
		}
		opts := api.Options{MaxJobs: *maxJobs, MaxAnalyses: *maxAnalyses, MaxCallTime: *maxCall}
		if *tokenFile != "" {
			if opts.Token, err = readToken(*tokenFile); err != nil {
				return fail(err)
			}
		} else {
			opts.Token = os.Getenv("GAUNTLET_TOKEN")
		}
		if addr.Network == "tcp" && opts.Token == "" {
			return fail(api.ErrNoToken)
		}
		if (*tlsCert == "") != (*tlsKey == "") {
			return fail(fmt.Errorf("--tls-cert and --tls-key go together"))
		}
		if *tlsCert != "" {
			cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
			if err != nil {
				return fail(fmt.Errorf("--tls-cert/--tls-key: %v", err))
			}
			opts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}

		if _, err := verify.ParseSandbox(*sandbox); err != nil {
			return fail(fmt.Errorf("--sandbox: %v", err))
		}
		b := workspace.NewBackend(root, *sandbox, stderr, options())
		defer b.Close()
		srv := api.NewServer(b, opts)
		l, err := api.Listen(addr)
		if err != nil {
			return fail(err)
		}
		if addr.Network == "unix" {
			defer os.Remove(addr.Addr)
		}
		shown := addr
		if addr.Network == "tcp" {
			shown.Addr = l.Addr().String() // the port, when :0 asked for any
		}
		sec := ""
		if opts.TLS != nil {
			sec = ", TLS"
		}
		if opts.Token != "" {
			sec += ", bearer token required"
		}
		fmt.Fprintf(stderr, "gauntlet serve: listening on %s (root %s%s)\n", shown, root, sec)

		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
		defer signal.Stop(sigs)
		done := make(chan error, 1)
		go func() { done <- srv.Serve(l) }()
		select {
		case err := <-done:
			if err != nil {
				return fail(err)
			}
			return exitOK
		case s := <-sigs:
			fmt.Fprintf(stderr, "gauntlet serve: %v: draining calls in flight (at most %v)\n", s, *drain)
		}
		srv.Health.Shutdown() // load balancers stop sending calls
		stopped := make(chan struct{})
		go func() { srv.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(*drain):
			fmt.Fprintln(stderr, "gauntlet serve: calls still running after the drain time: cancelling them")
			srv.Stop()
			<-stopped
		case <-sigs:
			fmt.Fprintln(stderr, "gauntlet serve: second signal: cancelling the calls in flight")
			srv.Stop()
			<-stopped
		}
		fmt.Fprintln(stderr, "gauntlet serve: stopped")
		return exitOK
	}
}

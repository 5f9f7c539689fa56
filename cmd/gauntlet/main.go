// Command gauntlet serves IDE coding assistants: tree-sitter analysis, test
// running and coverage, and a closed loop that verifies every proposed edit.
// Each subcommand lives in its own file and registers itself in commands;
// cli.go turns them into a github.com/spf13/cobra command tree.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"github.com/gauntlet-dev/gauntlet/plugins"
	"github.com/gauntlet-dev/gauntlet/server/workspace"
	"github.com/spf13/pflag"
)

// Exit statuses shared by every subcommand.
const (
	exitOK       = 0 // success, nothing at or above the threshold
	exitFindings = 1 // findings, a rejected edit, failing tests
	exitError    = 2 // bad flags, unreadable input, a component that did not run
)

// failer returns a command's report of an error that ends it: the error
// on stderr, after "gauntlet CMD: ", and exit status 2.
func failer(stderr io.Writer, cmd string) func(err error) int {
	return func(err error) int {
		fmt.Fprintf(stderr, "gauntlet %s: %v\n", cmd, err)
		return exitError
	}
}

// workFunc is a command's work: it gets the positional arguments once its
// flags are parsed and returns the process exit status.
type workFunc func(args []string, stdout, stderr io.Writer) int

// command is one subcommand.
type command struct {
	name    string
	args    string // the positional arguments of the usage line, e.g. "[PATH...]"
	summary string
	long    string // the help text after the summary (optional)
	// Exactly one of run, flags and sub: run for a command without flags;
	// flags declares the command's flags on fs and returns its work, which
	// reads them; sub for a command made of subcommands (plugins list, ...).
	run   workFunc
	flags func(fs *pflag.FlagSet) workFunc
	sub   []*command
}

var commands = map[string]*command{}

// register adds a subcommand; a duplicate name is a programming error.
func register(c *command) {
	if commands[c.name] != nil {
		panic("gauntlet: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func main() {
	if path := os.Getenv("GAUNTLET_CPUPROFILE"); path != "" {
		// For measuring a command in place (bench/): the profile of the run.
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			code := run(os.Args[1:], os.Stdout, os.Stderr)
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// options is what the commands give the workspace layer: the plugin loader
// (only cmd links the plugin host) and the version.
func options() workspace.Options {
	return workspace.Options{Plugins: plugins.Load, Version: version}
}

// localCall is a call of the command line: the process's directory and
// streams.
func localCall(stdout, stderr io.Writer) *workspace.Call {
	return workspace.Local(stdout, stderr, options())
}

// Command gauntlet serves IDE coding assistants: tree-sitter analysis, test
// running and coverage, and a closed loop that verifies every proposed edit.
// Each subcommand lives in its own file and registers itself in commands.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sort"

	"github.com/gauntlet-dev/gauntlet/analysis/redact"
)

// Exit statuses shared by every subcommand.
const (
	exitOK       = 0 // success, nothing at or above the threshold
	exitFindings = 1 // findings, a rejected edit, failing tests
	exitError    = 2 // bad flags, unreadable input, a component that did not run
)

// command is one subcommand. run gets the arguments after the command's name
// and returns the process exit status.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
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

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitError
		}
		return exitOK
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(stdout, "gauntlet", version)
		return exitOK
	}
	c := commands[args[0]]
	if c == nil {
		fmt.Fprintf(stderr, "gauntlet: unknown command %q\n", args[0])
		usage(stderr)
		return exitError
	}
	if args[0] != "lsp" {
		// Belt and braces: no secret value of the environment reaches the
		// terminal or a client, whatever printed it (lsp frames its
		// messages by length, and its content comes redacted from the
		// sources: test output, model answers).
		red := redact.Default()
		if !red.Empty() {
			so, se := red.Writer(stdout), red.Writer(stderr)
			defer se.Close()
			defer so.Close()
			stdout, stderr = so, se
		}
	}
	return c.run(args[1:], stdout, stderr)
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: gauntlet COMMAND [ARGS]\n\ncommands:")
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}

package main

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/agnivade/levenshtein"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gauntlet-dev/gauntlet/analysis/redact"
	"github.com/gauntlet-dev/gauntlet/server/workspace"
)

// run parses the command line with cobra and runs the command it names;
// it returns the process exit status: help and completion 0, the command's
// own status, 2 for a bad command line (unknown command or flag, with a
// suggestion when one is near).
func run(args []string, stdout, stderr io.Writer) int {
	code := exitOK
	root := newRootCmd(stdout, stderr, &code)
	if len(args) == 0 {
		root.SetOut(stderr)
		root.Usage()
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
			stdout, stderr = so, workspace.ThroughFilter(se, stderr)
			root = newRootCmd(stdout, stderr, &code)
		}
	}
	root.SetArgs(normalizeArgs(root, args))
	c, err := root.ExecuteC()
	if err != nil {
		name := "gauntlet"
		if c != nil {
			name = c.CommandPath()
		}
		fmt.Fprintf(stderr, "%s: %s\n", name, strings.TrimRight(err.Error(), "\n"))
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", name)
		return exitError
	}
	return code
}

// newRootCmd builds the command tree from commands; the work of the command
// that runs stores its exit status in *code.
func newRootCmd(stdout, stderr io.Writer, code *int) *cobra.Command {
	root := &cobra.Command{
		Use:   "gauntlet",
		Short: "static analysis, tests, coverage and verified edits for coding assistants",
		Long: "gauntlet serves IDE coding assistants: tree-sitter static analysis, test running and\n" +
			"coverage, and a closed loop in which every proposed edit must pass parse, analyzers,\n" +
			"build, the tests that cover it and a coverage check before anyone sees it.\n\n" +
			"Exit status: 0 clean or accepted, 1 findings, a rejected edit or failing tests, 2 error.",
		Version:       version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("gauntlet {{.Version}}\n")
	root.SetFlagErrorFunc(flagError)
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		root.AddCommand(cobraCommand(commands[n], stdout, stderr, code))
	}
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "print the version",
		Args:  cobra.NoArgs,
		Run:   func(c *cobra.Command, _ []string) { fmt.Fprintln(stdout, "gauntlet", version) },
	})
	return root
}

// cobraCommand turns one command (and its subcommands) into a cobra command.
func cobraCommand(cmd *command, stdout, stderr io.Writer, code *int) *cobra.Command {
	c := &cobra.Command{
		Use:   strings.TrimSpace(cmd.name + " " + cmd.args),
		Short: cmd.summary,
		Long:  cmd.summary,
	}
	if cmd.long != "" {
		c.Long = cmd.summary + "\n\n" + strings.TrimRight(cmd.long, "\n")
	}
	if c.Long != "" {
		c.Long = strings.ToUpper(c.Long[:1]) + c.Long[1:]
	}
	work := cmd.run
	if cmd.flags != nil {
		work = cmd.flags(c.Flags())
		completeValues(c)
	}
	if work != nil {
		c.Run = func(_ *cobra.Command, args []string) { *code = work(args, stdout, stderr) }
		return c
	}
	for _, s := range cmd.sub {
		c.AddCommand(cobraCommand(s, stdout, stderr, code))
	}
	// A command of subcommands run alone, or with an unknown one, is a usage
	// error (cobra would print its help and exit 0).
	c.Args = cobra.ArbitraryArgs
	c.SuggestionsMinimumDistance = 2
	c.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return fmt.Errorf("a subcommand is required: %s", strings.Join(subNames(c), ", "))
		}
		msg := fmt.Sprintf("unknown subcommand %q", args[0])
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
		}
		return errors.New(msg)
	}
	return c
}

// flagValues finds the values a flag's usage lists ("output FORMAT: text|json").
var flagValues = regexp.MustCompile(`: ([a-z]+(?:\|[a-z]+)+)\b`)

// completeValues completes each flag whose usage lists its values with
// those values: the usage stays the one place they are written.
func completeValues(c *cobra.Command) {
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if m := flagValues.FindStringSubmatch(f.Usage); m != nil {
			c.RegisterFlagCompletionFunc(f.Name, cobra.FixedCompletions(strings.Split(m[1], "|"), cobra.ShellCompDirectiveNoFileComp))
		}
	})
}

func subNames(c *cobra.Command) []string {
	var out []string
	for _, s := range c.Commands() {
		if s.IsAvailableCommand() {
			out = append(out, s.Name())
		}
	}
	return out
}

// flagError adds to pflag's "unknown flag" the nearest flags of the command,
// by cobra's own measure (SuggestionsMinimumDistance, or a prefix).
func flagError(c *cobra.Command, err error) error {
	msg := err.Error()
	name, ok := strings.CutPrefix(msg, "unknown flag: --")
	if !ok {
		return err
	}
	dist := c.SuggestionsMinimumDistance
	if dist <= 0 {
		dist = 2
	}
	var near []string
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		if levenshtein.ComputeDistance(strings.ToLower(name), f.Name) <= dist || strings.HasPrefix(f.Name, strings.ToLower(name)) {
			near = append(near, "--"+f.Name)
		}
	})
	if len(near) == 0 {
		return err
	}
	sort.Strings(near)
	return fmt.Errorf("%w\n\nDid you mean this?\n\t%s", err, strings.Join(near, "\n\t"))
}

// normalizeArgs keeps the single-dash long flags that Go's flag package
// accepted (`gauntlet check -format json`, `-help`) working under pflag,
// which reads `-format` as the shorthands -f -o -r...: a single-dash word
// naming a long flag of the command becomes `--word`. Words after `--`, and
// the value of a flag that takes one, are left as they are.
func normalizeArgs(root *cobra.Command, args []string) []string {
	out := make([]string, 0, len(args))
	c := root
	positional := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			if !positional {
				if sub := findSub(c, a); sub != nil {
					c = sub
				} else {
					positional = true
				}
			}
			out = append(out, a)
			continue
		}
		long := strings.HasPrefix(a, "--")
		name := strings.TrimLeft(a, "-")
		name, _, hasValue := strings.Cut(name, "=")
		if !long && len(name) > 1 {
			if name == "help" || name == "version" && c == root || lookupFlag(c, name) != nil {
				a = "-" + a
				long = true
			}
		}
		out = append(out, a)
		if f := lookupFlag(c, name); long && f != nil && !hasValue && f.NoOptDefVal == "" && i+1 < len(args) {
			// The next word is this flag's value, even if it starts with a dash.
			i++
			out = append(out, args[i])
		}
	}
	return out
}

func findSub(c *cobra.Command, name string) *cobra.Command {
	for _, s := range c.Commands() {
		if s.Name() == name || s.HasAlias(name) {
			return s
		}
	}
	return nil
}

func lookupFlag(c *cobra.Command, name string) *pflag.Flag {
	if f := c.Flags().Lookup(name); f != nil {
		return f
	}
	return c.InheritedFlags().Lookup(name)
}

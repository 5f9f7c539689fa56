package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/plugins"
	"github.com/gauntlet-dev/gauntlet/server/workspace"
)

func init() {
	register(&command{name: "plugins", summary: "list and check analyzer plugins (plugins list, plugins check)", long: pluginsHelp, sub: []*command{
		{name: "list", summary: "start each configured plugin and list its version, analyzers, languages and status", run: pluginsCommand("list", listPlugins)},
		{name: "check", summary: "start each plugin: verify its sha256, handshake and description; exit 1 if any fails", run: pluginsCommand("check", checkPlugins)},
	}})
}

const pluginsHelp = `Plugins are configured in .gauntlet.yaml (see docs/plugins.md):

  plugins:
    - name: todo-owner
      path: bin/todo-owner   # relative to the configuration file
      sha256: 3f5a...        # optional: refuse a binary that does not match
      timeout: 10s           # start-up and each call
`

// pluginSpecs reads the plugins configured in the .gauntlet.yaml found from
// the current directory up, and names that file ("" when there is none).
func pluginSpecs() ([]plugins.Spec, string, error) {
	cfg, err := config.Find(".")
	if err != nil {
		return nil, "", err
	}
	return plugins.SpecsOf(cfg), cfg.Path, nil
}

// pluginsCommand is `gauntlet plugins CMD`: it starts the configured plugins
// and gives report their statuses, or says there are none.
func pluginsCommand(cmd string, report func(sts []plugins.Status, stdout, stderr io.Writer) int) workFunc {
	return func(args []string, stdout, stderr io.Writer) int {
		if len(args) > 0 {
			fmt.Fprintln(stderr, "usage: gauntlet plugins "+cmd)
			return exitError
		}
		specs, cfgPath, err := pluginSpecs()
		if err != nil {
			workspace.PrintErrors(stderr, err)
			return exitError
		}
		h, err := plugins.NewHost(specs)
		if err != nil {
			fmt.Fprintf(stderr, "gauntlet plugins %s: %s: %v\n", cmd, cfgPath, err)
			return exitError
		}
		defer h.Close()
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		_ = h.Start(ctx) // each failure is in its plugin's Status
		stop()
		sts := h.Status()
		if len(sts) == 0 {
			fmt.Fprintln(stdout, noPlugins(cfgPath))
			return exitOK
		}
		return report(sts, stdout, stderr)
	}
}

func listPlugins(sts []plugins.Status, stdout, _ io.Writer) int {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tANALYZERS\tLANGUAGES\tSTATUS")
	for _, st := range sts {
		var names, langs []string
		all := false
		for _, a := range st.Analyzers {
			names = append(names, a.Name)
			all = all || len(a.Languages) == 0
			langs = append(langs, a.Languages...)
		}
		slices.Sort(langs)
		langs = slices.Compact(langs)
		if all {
			langs = []string{"all"}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", st.Name, orDash(st.Version), orDash(strings.Join(names, ",")), orDash(strings.Join(langs, ",")), statusText(st))
	}
	tw.Flush()
	return exitOK
}

func checkPlugins(sts []plugins.Status, stdout, stderr io.Writer) int {
	failed := 0
	for _, st := range sts {
		if st.State != plugins.StateRunning {
			failed++
			fmt.Fprintf(stdout, "FAIL %s: %v\n", st.Name, st.Err)
			continue
		}
		var names []string
		for _, a := range st.Analyzers {
			names = append(names, a.Name)
		}
		pin := "sha256 verified"
		if st.SHA256 == "" {
			pin = "not pinned"
			if sum, err := plugins.Digest(st.Path); err == nil {
				pin = "not pinned; to pin it: sha256: " + sum
			}
		}
		fmt.Fprintf(stdout, "ok   %s %s: %s (%s)\n", st.Name, orDash(st.Version), strings.Join(names, ", "), pin)
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "gauntlet plugins check: %d of %d plugins failed\n", failed, len(sts))
		return exitFindings
	}
	return exitOK
}

func noPlugins(cfgPath string) string {
	if cfgPath == "" {
		return "no plugins: no " + config.FileName + " found from here up"
	}
	return "no plugins configured in " + cfgPath
}

func statusText(st plugins.Status) string {
	switch st.State {
	case plugins.StateRunning:
		return "ok"
	case plugins.StateStopped:
		return "stopped"
	}
	return fmt.Sprintf("%s: %v", st.State, st.Err)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

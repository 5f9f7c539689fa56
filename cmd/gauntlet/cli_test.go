package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
	"github.com/spf13/cobra"
)

// allCommands is every command of the tree (help and completion included),
// as the words typed after gauntlet.
func allCommands(t *testing.T) [][]string {
	t.Helper()
	code := 0
	root := newRootCmd(io.Discard, io.Discard, &code)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	var out [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, s := range c.Commands() {
			p := append(append([]string(nil), path...), s.Name())
			out = append(out, p)
			walk(s, p)
		}
	}
	walk(root, nil)
	if len(out) < 15 {
		t.Fatalf("only %d commands: %v", len(out), out)
	}
	return out
}

func TestHelpEveryCommand(t *testing.T) {
	for _, words := range allCommands(t) {
		for _, help := range []string{"--help", "-h", "-help"} {
			var out, errb bytes.Buffer
			code := run(append(append([]string(nil), words...), help), &out, &errb)
			name := "gauntlet " + strings.Join(words, " ")
			if code != exitOK || errb.Len() > 0 || !strings.Contains(out.String(), "Usage:") || !strings.Contains(out.String(), name) {
				t.Errorf("%s %s: exit %d, stderr %q, stdout:\n%s", name, help, code, errb.String(), out.String())
			}
		}
	}
}

func TestHelpCommand(t *testing.T) {
	for _, words := range allCommands(t) {
		if words[0] == "help" {
			continue
		}
		var viaFlag, viaHelp, errb bytes.Buffer
		run(append(append([]string(nil), words...), "--help"), &viaFlag, &errb)
		code := run(append([]string{"help"}, words...), &viaHelp, &errb)
		if code != exitOK || errb.Len() > 0 || viaHelp.String() != viaFlag.String() {
			t.Errorf("gauntlet help %s: exit %d, stderr %q, stdout differs from --help:\n%s", strings.Join(words, " "), code, errb.String(), viaHelp.String())
		}
	}
	// The top level: help on stdout, exit 0; no command at all is a usage error.
	for _, args := range [][]string{{"help"}, {"--help"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != exitOK || !strings.Contains(out.String(), "Available Commands:") {
			t.Errorf("%v: exit %d, stdout %q", args, code, out.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run(nil, &out, &errb); code != exitError || out.Len() > 0 || !strings.Contains(errb.String(), "Usage:") {
		t.Errorf("no arguments: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

var serverFlagLine = regexp.MustCompile(`(?m)^\s+--server\b`)

// The usage of every flag is generated: placeholders from pflag, every
// value of every format.
func TestFlagUsageGenerated(t *testing.T) {
	for _, words := range allCommands(t) {
		var out, errb bytes.Buffer
		run(append(append([]string(nil), words...), "--help"), &out, &errb)
		if serverFlagLine.MatchString(out.String()) && !strings.Contains(out.String(), "--server ADDR ") {
			t.Errorf("%v: --server without its ADDR placeholder:\n%s", words, out.String())
		}
		if strings.Contains(out.String(), "-server gauntlet") {
			t.Errorf("%v: --server's placeholder taken from its text:\n%s", words, out.String())
		}
	}
	var out, errb bytes.Buffer
	run([]string{"fix", "--help"}, &out, &errb)
	for _, want := range []string{"--format FORMAT", "rdjson", "--sandbox MODE", "--max-attempts N", "--apply"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("fix --help lacks %q:\n%s", want, out.String())
		}
	}
}

func TestFlagUnknownAndCommandUnknown(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"chek"}, []string{`unknown command "chek"`, "Did you mean this?", "check"}},
		{[]string{"check", "--formt", "json"}, []string{"unknown flag: --formt", "Did you mean this?", "--format"}},
		{[]string{"verify", "--pach", "x.diff"}, []string{"unknown flag: --pach", "--patch"}},
		{[]string{"plugins", "lst"}, []string{`unknown subcommand "lst"`, "list"}},
		{[]string{"rules"}, []string{"a subcommand is required: list, test"}},
		{[]string{"check", "--no-such-thing"}, []string{"unknown flag: --no-such-thing", "gauntlet check --help"}},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		if code != exitError || out.Len() > 0 {
			t.Errorf("%v: exit %d, stdout %q", tc.args, code, out.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(errb.String(), w) {
				t.Errorf("%v: stderr lacks %q:\n%s", tc.args, w, errb.String())
			}
		}
	}
}

// The single-dash long flags of Go's flag package keep working.
func TestFlagSingleDash(t *testing.T) {
	code, out, stderr := gauntlet(t, "testdata/check", "check", "src", "-format", "json", "-fail-on=none")
	if code != exitOK || !strings.HasPrefix(strings.TrimSpace(out), "{") {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, stderr, out)
	}
	// A value that starts with a dash stays a value; after -- nothing is a flag.
	args := normalizeArgs(newRootCmd(io.Discard, io.Discard, new(int)), []string{"test", "-run", "-format", "-coverage", ".", "--", "-format"})
	want := []string{"test", "--run", "-format", "--coverage", ".", "--", "-format"}
	if strings.Join(args, " ") != strings.Join(want, " ") {
		t.Errorf("normalizeArgs = %q, want %q", args, want)
	}
}

func TestCompletionScripts(t *testing.T) {
	bin := gauntletBin(t)
	// bash: the script loads and registers the completion.
	cmd := exec.Command("bash", "-c", `source <("$0" completion bash) && complete -p gauntlet`, bin)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "gauntlet") {
		t.Errorf("bash: %v\n%s", err, out)
	}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		cmd := exec.Command(bin, "completion", shell)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		script, err := cmd.Output()
		if err != nil || len(script) < 100 || stderr.Len() > 0 {
			t.Errorf("completion %s: %v, %d bytes, stderr %q", shell, err, len(script), stderr.String())
			continue
		}
		// zsh and fish parse the script (CI installs them).
		check := map[string][]string{"zsh": {"zsh", "-n"}, "fish": {"fish", "--no-execute"}}[shell]
		if check == nil {
			continue
		}
		if _, err := testenv.LookTool(check[0]); err != nil {
			if testenv.InCI() {
				testenv.NeedTool(t, check[0])
			}
			t.Logf("no %s: its script is generated, not parsed", check[0])
			continue
		}
		f := filepath.Join(t.TempDir(), "gauntlet."+shell)
		if err := os.WriteFile(f, script, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(check[0], append(check[1:], f)...).CombinedOutput(); err != nil {
			t.Errorf("%s does not parse the script: %v\n%s", shell, err, out)
		}
	}
	// The completions themselves: commands, flags, a format's values.
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "ch"}, []string{"check"}},
		{[]string{"__complete", "check", "--f"}, []string{"--format", "--fail-on"}},
		{[]string{"__complete", "plugins", ""}, []string{"list", "check"}},
		{[]string{"__complete", "check", "--format", ""}, []string{"sarif", "rdjson"}},
		{[]string{"__complete", "fix", "--format", ""}, []string{"rdjson", "diff"}},
	} {
		out, err := exec.Command(bin, tc.args...).Output()
		for _, w := range tc.want {
			if err != nil || !strings.Contains(string(out), w+"\t") && !strings.Contains(string(out), w+"\n") {
				t.Errorf("%v: %v, lacks %q:\n%s", tc.args, err, w, out)
			}
		}
	}
}

// verify, test and coverage show their progress on stderr when it is a
// terminal, and nothing when it is not.
func TestProgressOnTerminal(t *testing.T) {
	bin := gauntletBin(t)
	dir := gocalcCopy(t, "")
	env := append(os.Environ(), "TERM=dumb")
	if err := os.WriteFile(filepath.Join(dir, "decl.diff"), []byte(declEdit), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want *regexp.Regexp
	}{
		{[]string{"verify", "--patch", "decl.diff"}, regexp.MustCompile(`gauntlet verify: \[ *\d+%\] gate build`)},
		{[]string{"test", "./calc"}, regexp.MustCompile(`gauntlet test: Running \d+ tests`)},
		{[]string{"coverage"}, regexp.MustCompile(`gauntlet coverage: Building the coverage map: \d+ tests in \d+ packages`)},
	} {
		// Each run builds its own coverage map, with its progress.
		env := append(env, "GAUNTLET_CACHE="+t.TempDir())
		// stderr on a pseudo-terminal.
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, tc.args...)
		cmd.Dir, cmd.Env = dir, env
		var stdout bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, tty
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		tty.Close()
		var term bytes.Buffer
		done := make(chan struct{})
		go func() { io.Copy(&term, ptmx); close(done) }() // ends with EIO once the child exits
		err = cmd.Wait()
		<-done
		ptmx.Close()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		if !tc.want.Match(term.Bytes()) {
			t.Errorf("%v on a terminal: exit %v, no %s in stderr:\n%s", tc.args, err, tc.want, term.String())
		}
		// stderr on a pipe: the same run says nothing of its progress.
		cmd = exec.Command(bin, tc.args...)
		cmd.Dir, cmd.Env = dir, append(env, "GAUNTLET_CACHE="+t.TempDir())
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		cmd.Run()
		if tc.want.Match(stderr.Bytes()) || strings.Contains(stderr.String(), "gauntlet "+tc.args[0]+": [") {
			t.Errorf("%v on a pipe: progress in stderr:\n%s", tc.args, stderr.String())
		}
	}
}

// Every command and flag the README and the docs show exists in the binary.
func TestDocCommandsExist(t *testing.T) {
	code := 0
	root := newRootCmd(io.Discard, io.Discard, &code)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	files, _ := filepath.Glob(filepath.Join(pkgDir, "..", "..", "docs", "*.md"))
	files = append(files, filepath.Join(pkgDir, "..", "..", "README.md"))
	inline := regexp.MustCompile("`(gauntlet [^`]+)`")
	inBlock := regexp.MustCompile(`(?:^|[\s|$(])(gauntlet [a-z][a-z-]*(?:\s.*)?)$`)
	checked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel(filepath.Join(pkgDir, "..", ".."), f)
		fenced := false
		for i, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				fenced = !fenced
				continue
			}
			var uses []string
			if fenced {
				if m := inBlock.FindStringSubmatch(line); m != nil {
					uses = append(uses, m[1])
				}
			} else {
				for _, m := range inline.FindAllStringSubmatch(line, -1) {
					uses = append(uses, m[1])
				}
			}
			for _, use := range uses {
				for _, msg := range docUseError(root, use) {
					t.Errorf("%s:%d: %s: %s", name, i+1, use, msg)
				}
				checked++
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d uses of gauntlet found in the docs", checked)
	}
}

// docUseError checks one `gauntlet CMD [SUB] ... --flag` of the docs against
// the command tree: the command exists and takes each --flag shown.
func docUseError(root *cobra.Command, use string) []string {
	// A comment or the next command of a pipeline ends the use.
	for _, sep := range []string{" #", " | ", "; ", " && "} {
		use, _, _ = strings.Cut(use, sep)
	}
	words := strings.Fields(use)[1:]
	c := root
	var errs []string
	for i, w := range words {
		w = strings.TrimRight(w, ")`,.")
		if strings.ToUpper(w) == w && !strings.HasPrefix(w, "-") {
			continue // a placeholder: PATH..., COMMAND, FILE:LINE
		}
		if i == 0 || c != root && c.HasSubCommands() && !strings.HasPrefix(w, "-") {
			// `rules test\|list`: each alternative must be a subcommand.
			var next *cobra.Command
			for _, alt := range strings.Split(strings.ReplaceAll(w, `\|`, "|"), "|") {
				sub := findSub(c, strings.Trim(alt, "[]"))
				if sub == nil {
					errs = append(errs, "no command "+alt)
				} else if next == nil {
					next = sub
				}
			}
			if next == nil {
				return errs
			}
			c = next
			continue
		}
		if !strings.HasPrefix(w, "--") {
			continue
		}
		flag := strings.Trim(w, "[]()`.,")
		flag, _, _ = strings.Cut(flag, "=")
		if flag = strings.TrimPrefix(flag, "--"); flag == "" {
			continue
		}
		if flag != "help" && lookupFlag(c, flag) == nil {
			errs = append(errs, c.CommandPath()+" has no flag --"+flag)
		}
	}
	return errs
}

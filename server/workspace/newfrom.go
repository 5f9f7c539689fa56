package workspace

import (
	"bytes"
	"fmt"
	"math"
	"os/exec"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/patch"
)

// changedLines is the set of lines a change adds or modifies, by snapshot
// path: `check --new-from-rev` and `--new-from-patch` keep only the findings
// that start on one of them.
type changedLines map[string][]patch.Range

// wholeFile marks a file that is new in its entirety (untracked by git).
var wholeFile = []patch.Range{{Start: 1, End: math.MaxInt}}

// has reports whether the 1-based line of path changed.
func (c changedLines) has(path string, line int) bool {
	for _, r := range c[path] {
		if r.Start <= line && line < r.End {
			return true
		}
	}
	return false
}

// filter keeps the diagnostics that start on a changed line.
func (c changedLines) filter(files map[string]*analysis.File, diags []analysis.Diagnostic) []analysis.Diagnostic {
	var out []analysis.Diagnostic
	for _, d := range diags {
		f := files[d.Path]
		if f == nil {
			continue
		}
		if c.has(d.Path, f.Mapper().Line(d.Start)+1) {
			out = append(out, d)
		}
	}
	return out
}

// changedFromDiff reads a unified diff whose paths are relative to the
// workspace root.
func changedFromDiff(data []byte) (changedLines, error) {
	files, err := patch.Parse(data)
	if err != nil {
		return nil, err
	}
	out := changedLines{}
	for _, f := range files {
		if f.Status == patch.Deleted || f.NewPath == "" {
			continue
		}
		out[f.NewPath] = append(out[f.NewPath], f.NewRanges()...)
	}
	return out, nil
}

// changedSinceRev asks git what changed in the workspace since rev: the
// working tree against rev (`git diff -U0 REV`, staged and unstaged edits
// alike), plus untracked files, which are new in full.
func changedSinceRev(root, rev string) (changedLines, error) {
	if strings.HasPrefix(rev, "-") {
		return nil, fmt.Errorf("%q is not a revision", rev)
	}
	diff, err := git(root, "diff", "--no-color", "--no-ext-diff", "--no-renames", "--relative", "-U0", rev, "--")
	if err != nil {
		return nil, err
	}
	out, err := changedFromDiff(diff)
	if err != nil {
		return nil, fmt.Errorf("reading git diff: %v", err)
	}
	untracked, err := git(root, "ls-files", "--others", "--exclude-standard", "-z")
	if err != nil {
		return nil, err
	}
	for _, p := range bytes.Split(untracked, []byte{0}) {
		if len(p) > 0 {
			out[string(p)] = wholeFile
		}
	}
	return out, nil
}

// git runs a git command in dir and returns its output; a failure carries
// git's own message.
func git(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return out, nil
}

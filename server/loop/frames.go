package loop

// This file locates a failing test's problem by evidence: the frames of
// its failure's stack or trace, mapped to the project's files and kept
// only where the failing test ran (its coverage), rather than by the words
// of its output.

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis/coverage"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// frame is one place of a stack or trace: a path as the output wrote it
// (absolute, relative, or a bare file name) and a 1-based line.
type frame struct {
	path string
	line int
}

var (
	// pyFrame is CPython's traceback line: File "x.py", line 12, in f.
	pyFrame = regexp.MustCompile(`File "([^"]+)", line (\d+)`)
	// fileLine is path:line as Go stacks and test logs, testify's Error
	// Trace, pytest's long tracebacks and JavaScript stacks ("at f
	// (/p/a.js:12:5)", "file:///p/a.mjs:3:1") write it.
	fileLine = regexp.MustCompile(`(?:file://)?((?:[A-Za-z]:)?[^\s:()'"\[\]<>]*?\.(?:go|py|pyi|js|jsx|mjs|cjs|ts|tsx|mts|cts)):(\d+)`)
)

// stackFrames lists the frames of a failure's output, innermost first.
// Go stacks, testify's Error Trace and JavaScript stacks list the innermost
// frame first; Python's tracebacks list it last, so they are reversed.
func stackFrames(output string) []frame {
	var out []frame
	python := false
	for _, l := range strings.Split(output, "\n") {
		if m := pyFrame.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[2])
			out = append(out, frame{m[1], n})
			python = true
			continue
		}
		for _, m := range fileLine.FindAllStringSubmatch(l, -1) {
			n, err := strconv.Atoi(m[2])
			if err != nil || n < 1 {
				continue
			}
			if strings.HasSuffix(m[1], ".py") || strings.HasSuffix(m[1], ".pyi") {
				python = true
			}
			out = append(out, frame{m[1], n})
		}
	}
	if python {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

// projectPath maps a frame's path to one of the project's files (workspace
// paths): the one that shares the longest whole-component suffix with it,
// the frame's path being either longer (absolute, under any copy of the
// workspace) or shorter (a bare file name, as Go's test log writes).
func projectPath(p string, files []string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	best, bestLen := "", 0
	for _, f := range files {
		var n int
		switch {
		case p == f:
			n = len(f) + 1
		case strings.HasSuffix(p, "/"+f):
			n = len(f)
		case strings.HasSuffix(f, "/"+p):
			n = len(p)
		default:
			continue
		}
		if n > bestLen {
			best, bestLen = f, n
		}
	}
	return best
}

// ranLine reports whether the test ran line of file, by the per-test map.
func ranLine(m *coverage.Map, id, file string, line int) bool {
	tc := m.Tests[id]
	if tc == nil {
		return false
	}
	blocks := m.Files[file]
	for _, bi := range tc.Covers[file] {
		if bi < len(blocks) && blocks[bi].StartLine <= line && line <= blocks[bi].EndLine {
			return true
		}
	}
	return false
}

// deepestFrame is the innermost frame of output in the project's code
// outside the tests that the failing test id ran, by the map; ok is false
// when the output has none.
func deepestFrame(m *coverage.Map, id, output string) (file string, line int, ok bool) {
	tc := m.Tests[id]
	if tc == nil {
		return "", 0, false
	}
	var files []string
	for f := range tc.Covers {
		if !testrun.IsTestFile(f) {
			files = append(files, f)
		}
	}
	for _, fr := range stackFrames(output) {
		f := projectPath(fr.path, files)
		if f != "" && ranLine(m, id, f, fr.line) {
			return f, fr.line, true
		}
	}
	return "", 0, false
}

package verify

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
)

// workspacePaths rewrites the paths of the shadow copy in the verdict's
// evidence (compiler output, test output, details) as workspace-relative
// ones: the shadow lives under the user's cache, which is no business of
// the model's, nor of the person reading the verdict.
func (v *Verdict) workspacePaths(dir string) {
	if dir == "" {
		return
	}
	dirs := []string{dir}
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != dir {
		dirs = append(dirs, real)
	}
	rel := func(s string) string {
		for _, d := range dirs {
			s = strings.ReplaceAll(s, "file://"+d+"/", "")
			s = strings.ReplaceAll(s, d+string(filepath.Separator), "")
			s = strings.ReplaceAll(s, d, ".")
		}
		return s
	}
	fixFindings := func(fs []Finding) {
		for i := range fs {
			fs[i].Path, fs[i].Message = rel(fs[i].Path), rel(fs[i].Message)
		}
	}
	fixTests := func(ts []testrun.Failure) {
		for i := range ts {
			ts[i].File, ts[i].Output = rel(ts[i].File), rel(ts[i].Output)
		}
	}
	for _, g := range v.Gates {
		g.Detail, g.Error, g.Output = rel(g.Detail), rel(g.Error), rel(g.Output)
		for i := range g.Refused {
			g.Refused[i].Reason = rel(g.Refused[i].Reason)
		}
		for i := range g.Commands {
			g.Commands[i] = rel(g.Commands[i])
		}
		for i := range g.AnalyzerErrors {
			g.AnalyzerErrors[i] = rel(g.AnalyzerErrors[i])
		}
		fixFindings(g.Findings)
		fixFindings(g.Errors)
		fixFindings(g.PreexistingErrors)
		fixTests(g.Failed)
		fixTests(g.Preexisting)
	}
}

var (
	// pytestWhere is the line that ends a frame of pytest's long
	// traceback: "pkg/mod.py:12: in collapse" or "pkg/mod.py:12: TypeError".
	pytestWhere = regexp.MustCompile(`^([^\s:]+\.py):(\d+):(?: |$)`)
	// pytestSeparator separates the frames ("_ _ _ _") and the tests
	// ("____ test_x ____").
	pytestSeparator = regexp.MustCompile(`^(_ )+_?\s*$|^_{3,}`)
)

// DedupeOutputs shows each function's code once across the outputs of
// several failing tests: a frame of a pytest traceback whose code an
// earlier output already showed keeps only its failing line (">") and its
// error lines ("E "), and says where the rest is. Six tests failing in one
// function show it once, not six times.
func DedupeOutputs(ids, outputs []string) []string {
	shown := map[string]string{} // "path:line" -> the test whose output showed it
	out := make([]string, len(outputs))
	for k, o := range outputs {
		lines := strings.Split(o, "\n")
		var b []string
		start := 0 // the first line of the current frame in lines
		for i, l := range lines {
			if pytestSeparator.MatchString(l) {
				b = append(b, lines[start:i+1]...)
				start = i + 1
				continue
			}
			m := pytestWhere.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			frame := lines[start:i]
			key := m[1] + ":" + m[2]
			code := 0
			for _, f := range frame {
				if strings.HasPrefix(f, "    ") || strings.HasPrefix(f, ">") {
					code++
				}
			}
			if first, ok := shown[key]; ok && code > 3 {
				for _, f := range frame {
					if strings.HasPrefix(f, ">") || strings.HasPrefix(f, "E ") {
						b = append(b, f)
					}
				}
				b = append(b, fmt.Sprintf("(the code around %s is shown in the output of %s)", key, first))
			} else {
				b = append(b, frame...)
				if _, ok := shown[key]; !ok && code > 0 {
					shown[key] = ids[k]
				}
			}
			b = append(b, l)
			start = i + 1
		}
		b = append(b, lines[start:]...)
		out[k] = strings.Join(b, "\n")
	}
	return out
}

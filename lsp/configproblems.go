package lsp

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// ConfigProblem is a problem on one line of a configuration or rule file: a
// rule that does not compile, an unknown key.
type ConfigProblem struct {
	Path    string // absolute
	Line    int    // 1-based; 0 for the whole file
	Message string
}

// ProblemsError is what a ReloadFunc returns when parts of the configuration
// are broken. If the ReloadFunc also returns analyzers (the rules that did
// compile), the server uses them: one broken rule never silences the others.
// Either way each problem is shown on its line of its file, and once with
// window/showMessage.
type ProblemsError struct {
	Problems []ConfigProblem
}

func (e *ProblemsError) Error() string {
	var lines []string
	for _, p := range e.Problems {
		lines = append(lines, fmt.Sprintf("%s:%d: %s", p.Path, p.Line, p.Message))
	}
	return strings.Join(lines, "; ")
}

// publishConfigProblems puts each problem on its line of its file, and
// clears the files that had problems at the last reload and have none now.
func (s *Server) publishConfigProblems(err error) {
	byPath := map[string][]ConfigProblem{}
	var pe *ProblemsError
	if errors.As(err, &pe) {
		for _, p := range pe.Problems {
			byPath[p.Path] = append(byPath[p.Path], p)
		}
	}
	s.mu.Lock()
	enc := s.enc
	stale := s.configProblems
	s.configProblems = map[string]bool{}
	for p := range byPath {
		s.configProblems[p] = true
	}
	s.mu.Unlock()
	paths := make([]string, 0, len(byPath)+len(stale))
	for p := range byPath {
		paths = append(paths, p)
	}
	for p := range stale {
		if byPath[p] == nil {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, path := range paths {
		content, _ := os.ReadFile(path)
		f := analysis.NewFileLang(path, content, 0, nil)
		m := f.Mapper()
		var diags []analysis.Diagnostic
		for _, p := range byPath[path] {
			start, end, _ := lineSpan(m, p.Line)
			diags = append(diags, analysis.Diagnostic{Path: path, Start: start, End: end, Severity: analysis.SeverityError, Code: "config", Source: "gauntlet", Message: p.Message})
		}
		s.notify("textDocument/publishDiagnostics", publishDiagnosticsParams{
			URI:         pathURI(path),
			Diagnostics: toDiagnostics(f, diags, enc),
		})
	}
}

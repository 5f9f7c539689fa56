package api

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/gauntlet-dev/gauntlet/analysis/report"
)

// The commands' JSON documents as Go values: field for field (and in the
// same order) what `gauntlet COMMAND --format json` prints, so that
// EncodeDocument of a decoded document gives back the same bytes. They
// mirror the engine's types (server.TestReport, verify.Verdict,
// loop.Problem and Attempt...) instead of using them so that package api
// and its client stay free of the engine; documents_test.go keeps the two
// in step.

// Document is one of *AnalyzeDocument, *TestsDocument, *CoverageDocument,
// *CoveringTestsDocument, *VerifyDocument and *FixDocument.
type Document interface{ isDocument() }

// DocumentKind says which command's document a call's JSON is.
type DocumentKind int

const (
	AnalyzeKind       DocumentKind = iota + 1 // gauntlet check
	TestsKind                                 // gauntlet test
	CoverageKind                              // gauntlet coverage
	CoveringTestsKind                         // gauntlet coverage --tests-for
	VerifyKind                                // gauntlet verify
	FixKind                                   // gauntlet fix
)

// DecodeDocument reads a command's JSON document.
func DecodeDocument(kind DocumentKind, data []byte) (Document, error) {
	var d Document
	switch kind {
	case AnalyzeKind:
		d = &AnalyzeDocument{}
	case TestsKind:
		d = &TestsDocument{}
	case CoverageKind:
		d = &CoverageDocument{}
	case CoveringTestsKind:
		d = &CoveringTestsDocument{}
	case VerifyKind:
		d = &VerifyDocument{}
	case FixKind:
		d = &FixDocument{}
	default:
		return nil, fmt.Errorf("unknown document kind %d", kind)
	}
	// Strict: a field the wire's messages do not carry would be lost
	// without a word (documents_test.go keeps them in step).
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(d); err != nil {
		return nil, fmt.Errorf("reading the result document: %w", err)
	}
	return d, nil
}

// EncodeDocument writes a document as the command line does: indented by
// two spaces, HTML characters as they are, a newline at the end.
func EncodeDocument(d Document) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// AnalyzeDocument is `gauntlet check --format json`.
type AnalyzeDocument struct {
	Diagnostics []Diagnostic `json:"diagnostics"`
}

// The analysis document is analysis/report's own (report.ToJSON), which
// needs no more of the engine than package analysis.

// Diagnostic is a finding: path relative to the request's cwd, 1-based
// lines and byte columns.
type Diagnostic = report.JSONDiagnostic

// Pos is a 1-based line and byte column.
type Pos = report.Pos

// Range is a pair of positions.
type Range = report.Range

// Fix is a suggested fix; its edits may change other files.
type Fix = report.JSONFix

// TextEdit replaces a range of a file.
type TextEdit = report.JSONEdit

// TestsDocument is `gauntlet test --format json`.
type TestsDocument struct {
	Passed           bool              `json:"passed"`
	TotalTests       int               `json:"total_tests"`
	Selected         []string          `json:"selected"`
	Tests            []TestResult      `json:"tests"`
	Coverage         *CoverageDocument `json:"coverage,omitempty"`
	UncoveredChanges []LineRange       `json:"uncovered_changes,omitempty"`
	CommentsOnly     []string          `json:"comments_only,omitempty"`
}

// TestResult is one test's outcome.
type TestResult struct {
	ID       string `json:"id"`
	Package  string `json:"package"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Status   string `json:"status"`
	Duration int64  `json:"duration_ms"`
	Output   string `json:"output"`
}

// LineRange is lines [start, end] of a file, as gauntlet test writes it.
type LineRange struct {
	Path  string `json:"path"`
	Lines [2]int `json:"lines"`
}

// CoverageDocument is `gauntlet coverage --format json`.
type CoverageDocument struct {
	Percent     float64        `json:"percent"`
	Files       []FileCoverage `json:"files"`
	Map         string         `json:"map,omitempty"`
	Granularity string         `json:"granularity,omitempty"`
}

// FileCoverage is one file's statement coverage and uncovered lines.
type FileCoverage struct {
	Path      string   `json:"path"`
	Percent   float64  `json:"percent"`
	Uncovered [][2]int `json:"uncovered"`
}

// CoveringTestsDocument is `gauntlet coverage --tests-for --format json`.
type CoveringTestsDocument struct {
	Tests       []string `json:"tests"`
	Granularity string   `json:"granularity"`
}

// VerifyDocument is `gauntlet verify --format json`: the verdict.
type VerifyDocument struct {
	Accepted     bool         `json:"accepted"`
	Gates        []*Gate      `json:"gates"`
	Duration     int64        `json:"duration_ms"`
	Files        []string     `json:"files"`
	Sandbox      string       `json:"sandbox"`
	TestsChanged []TestChange `json:"tests_changed,omitempty"`
}

// Gate is one gate's outcome and evidence.
type Gate struct {
	Name              string           `json:"name"`
	OK                bool             `json:"ok"`
	Skipped           bool             `json:"skipped"`
	Duration          int64            `json:"duration_ms"`
	Detail            string           `json:"detail"`
	Error             string           `json:"error,omitempty"`
	Refused           []Refusal        `json:"refused,omitempty"`
	Findings          []Finding        `json:"findings,omitempty"`
	AnalyzerErrors    []string         `json:"analyzer_errors,omitempty"`
	Commands          []string         `json:"commands,omitempty"`
	Errors            []Finding        `json:"errors,omitempty"`
	PreexistingErrors []Finding        `json:"preexisting_errors,omitempty"`
	Output            string           `json:"output,omitempty"`
	Selected          []string         `json:"selected,omitempty"`
	Passed            int              `json:"passed,omitempty"`
	Failed            []TestFailure    `json:"failed,omitempty"`
	Preexisting       []TestFailure    `json:"preexisting,omitempty"`
	Uncovered         []Lines          `json:"uncovered,omitempty"`
	Coverage          []CoverageChange `json:"coverage,omitempty"`
}

// Refusal is a path the apply gate refused.
type Refusal struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Finding is a diagnostic or a compiler error at a 1-based line and byte
// column.
type Finding struct {
	Path     string `json:"path"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity,omitempty"`
	Code     string `json:"code,omitempty"`
	Message  string `json:"message"`
}

// TestFailure is a failing test and its trimmed output.
type TestFailure struct {
	ID     string `json:"id"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Status string `json:"status"`
	Output string `json:"output"`
}

// Lines is lines [Start, End] of a file, as verify writes them.
type Lines struct {
	Path  string `json:"path"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// CoverageChange is a changed file's coverage before and after the edit.
type CoverageChange struct {
	Path   string  `json:"path"`
	Before float64 `json:"before"`
	After  float64 `json:"after"`
}

// TestChange is a test the edit changes or deletes.
type TestChange struct {
	ID       string   `json:"id"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Change   string   `json:"change"`
	Via      []string `json:"via,omitempty"`
	Original string   `json:"original,omitempty"`
	Output   string   `json:"output,omitempty"`
}

// FixDocument is `gauntlet fix --format json`.
type FixDocument struct {
	Accepted bool       `json:"accepted"`
	Model    string     `json:"model"`
	Sandbox  string     `json:"sandbox"`
	Problems []*Problem `json:"problems"`
	Attempts []*Attempt `json:"attempts"`
	Patch    string     `json:"patch"`
	Applied  []string   `json:"applied,omitempty"`
	Errors   []string   `json:"errors,omitempty"`
}

// Problem is one thing the loop set out to fix.
type Problem struct {
	Kind        string `json:"kind"`
	Path        string `json:"path"`
	Line        int    `json:"line"`
	Column      int    `json:"column"`
	Code        string `json:"code,omitempty"`
	Severity    string `json:"severity,omitempty"`
	Message     string `json:"message,omitempty"`
	Test        string `json:"test,omitempty"`
	TestFile    string `json:"test_file,omitempty"`
	TestLine    int    `json:"test_line,omitempty"`
	Output      string `json:"output,omitempty"`
	Instruction string `json:"instruction,omitempty"`
	Status      string `json:"status"`
	FixedBy     int    `json:"fixed_by,omitempty"`
	Note        string `json:"note,omitempty"`
}

// Attempt is one proposed edit and its verdict.
type Attempt struct {
	Problem  int     `json:"problem"`
	N        int     `json:"attempt"`
	Source   string  `json:"source"`
	Title    string  `json:"title,omitempty"`
	Answer   string  `json:"answer,omitempty"`
	Edit     string  `json:"edit"`
	Gates    []*Gate `json:"gates"`
	Accepted bool    `json:"accepted"`
	Reason   string  `json:"reason,omitempty"`
	Error    string  `json:"error,omitempty"`
	Duration int64   `json:"duration_ms"`
	Model    int64   `json:"model_ms"`
}

func (*AnalyzeDocument) isDocument()       {}
func (*TestsDocument) isDocument()         {}
func (*CoverageDocument) isDocument()      {}
func (*CoveringTestsDocument) isDocument() {}
func (*VerifyDocument) isDocument()        {}
func (*FixDocument) isDocument()           {}

// MarshalJSON writes the attempt as the engine's loop.Attempt does: through
// json.Marshal, which escapes <, > and & even where the document around it
// does not.
func (a *Attempt) MarshalJSON() ([]byte, error) {
	type plain Attempt
	return json.Marshal((*plain)(a))
}

package api

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/gauntlet-dev/gauntlet/analysis/report"
	"github.com/gauntlet-dev/gauntlet/analysis/testrun"
	"github.com/gauntlet-dev/gauntlet/server"
	"github.com/gauntlet-dev/gauntlet/server/loop"
	"github.com/gauntlet-dev/gauntlet/server/verify"
)

// The commands' JSON documents as Go values: field for field (and in the
// same order) what `gauntlet COMMAND --format json` prints, so that
// EncodeDocument of a decoded document gives back the same bytes. They are
// the engine's own types where it has them (server.TestReport,
// verify.Verdict...); documents_test.go checks that every field they put
// in a document survives the typed messages.

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

// The other documents are made of the engine's own result types (package
// server's TestReport and CoverageReport, verify.Verdict, loop.Problem and
// Attempt): their fields exist once, and a field tagged json:"-" is not
// carried. The documents that are an engine type are defined types over it
// (its fields, not its methods) so that they can be Documents; the fix and
// --tests-for documents, which package workspace puts together, are
// defined here.

// TestsDocument is `gauntlet test --format json`.
type TestsDocument server.TestReport

// TestResult is one test's outcome.
type TestResult = testrun.Result

// LineRange is lines [start, end] of a file, as gauntlet test writes it.
type LineRange = server.LineRange

// CoverageDocument is `gauntlet coverage --format json`.
type CoverageDocument server.CoverageReport

// FileCoverage is one file's statement coverage and uncovered lines.
type FileCoverage = server.FileCoverage

// VerifyDocument is `gauntlet verify --format json`: the verdict.
type VerifyDocument verify.Verdict

// Gate is one gate's outcome and evidence.
type Gate = verify.Gate

// Refusal is a path the apply gate refused.
type Refusal = verify.Refusal

// Finding is a diagnostic or a compiler error at a 1-based line and byte
// column.
type Finding = verify.Finding

// TestFailure is a failing test and its trimmed output.
type TestFailure = testrun.Failure

// Lines is lines [Start, End] of a file, as verify writes them.
type Lines = testrun.Lines

// CoverageChange is a changed file's coverage before and after the edit.
type CoverageChange = verify.FileCoverage

// TestChange is a test the edit changes or deletes.
type TestChange = verify.TestChange

// CoveringTestsDocument is `gauntlet coverage --tests-for --format json`.
type CoveringTestsDocument struct {
	Tests []string `json:"tests"`
	// Granularity is "test" when each test's coverage is its own, "file"
	// when some is its test file's.
	Granularity string `json:"granularity"`
}

// FixDocument is `gauntlet fix --format json`.
type FixDocument struct {
	Accepted bool       `json:"accepted"`
	Model    string     `json:"model"`   // "openai:NAME", ..., or "none"
	Sandbox  string     `json:"sandbox"` // where the edits' builds and tests ran: "bwrap" or "none"
	Problems []*Problem `json:"problems"`
	Attempts []*Attempt `json:"attempts"`
	Patch    string     `json:"patch"`
	Applied  []string   `json:"applied,omitempty"` // with --apply: the files written
	Errors   []string   `json:"errors,omitempty"`
}

// Problem is one thing the loop set out to fix.
type Problem = loop.Problem

// Attempt is one proposed edit and its verdict.
type Attempt = loop.Attempt

func (*AnalyzeDocument) isDocument()       {}
func (*TestsDocument) isDocument()         {}
func (*CoverageDocument) isDocument()      {}
func (*CoveringTestsDocument) isDocument() {}
func (*VerifyDocument) isDocument()        {}
func (*FixDocument) isDocument()           {}

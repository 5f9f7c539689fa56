// Package api serves the engine over gRPC: the service gauntlet.v1.Engine
// (proto/gauntlet/v1/engine.proto), with server reflection and the standard
// health service, a bearer token and TLS for tcp listeners, and a bound on
// every call. `gauntlet serve` runs it; package client calls it.
//
// The service is a translation layer only. The work is done by a Backend,
// which gauntlet's command line provides (it loads configuration, rules and
// plugins, and answers with the engine's methods); a call's request and
// result are the neutral Go values below, and protobuf types stop here.
// The client implements Backend too, so a command runs the same way against
// its own engine and against a server.
package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// Outcome is the command line's exit status as a value.
type Outcome int

const (
	OK       Outcome = 0 // exit 0: clean, accepted, passed
	Findings Outcome = 1 // exit 1: findings, a rejected edit, failing tests
	Error    Outcome = 2 // exit 2: the job could not do its work
)

func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case Findings:
		return "findings"
	case Error:
		return "error"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// Result ends every call.
type Result struct {
	Outcome Outcome
	// JSON is the command's JSON document, as `--format json` prints it
	// (a client renders it from Document).
	JSON []byte
	// Document is that document as a Go value; a Backend may leave it nil
	// (the service then reads JSON), a client sets it from the wire's
	// typed messages. Nil when the job could not do its work.
	Document Document
	// Output is what the command prints on stdout in the requested format.
	Output []byte
	// Root is the workspace root the call ran in.
	Root     string
	Duration time.Duration
}

// Events receives what a call reports while it runs. Nil fields discard.
type Events struct {
	Progress func(analysis.Progress)
	// Log hears each line the command line prints on stderr (no newline).
	Log func(line string)
}

// AnalyzeRequest asks for findings (gauntlet check). Paths are as typed at
// Cwd: relative to it, or absolute; Cwd empty is the server's root.
type AnalyzeRequest struct {
	Cwd          string
	Paths        []string
	Format       string // text (empty), json, sarif, rdjson, github
	FailOn       string // error, warning (empty), info, hint, none
	NewFromRev   string
	NewFromPatch []byte
	Only         []string
	// Files are open buffers, analysed with this content instead of the
	// disk's; they need not exist on disk.
	Files []File
}

// File is a file's content at a path (as typed at Cwd).
type File struct {
	Path    string
	Content []byte
}

// TestsRequest asks to run tests (gauntlet test).
type TestsRequest struct {
	Cwd        string
	Paths      []string
	AffectedBy []byte // a unified diff: only the tests it affects
	Run        string // a regular expression over names and ids
	Coverage   bool
	Format     string // text (empty) or json
}

// CoverageRequest asks for per-file coverage, or with TestsFor
// ("FILE:LINE") the tests that cover a line (gauntlet coverage).
type CoverageRequest struct {
	Cwd      string
	Paths    []string
	Format   string // text (empty), json, lcov
	TestsFor string
}

// VerifyRequest asks whether an edit passes the gates (gauntlet verify).
type VerifyRequest struct {
	Cwd     string
	Patch   []byte // a unified diff, or SEARCH/REPLACE blocks
	Format  string // text (empty) or json
	Sandbox string // "" (the server's setting), auto, bwrap, none: only stricter than the server's
	// NoTestEdits rejects an edit that changes or deletes a test that
	// existed before it (local only: not yet a field of the gRPC message).
	NoTestEdits bool
}

// FixRequest asks the closed loop to fix findings and failing tests
// (gauntlet fix).
type FixRequest struct {
	Cwd         string
	Paths       []string
	Apply       bool
	MaxAttempts int
	Format      string // text (empty), json, diff
	Sandbox     string // as VerifyRequest's
	NoTests     bool
	Quiet       bool
}

// Backend does the work of each call. A job that cannot do its work (bad
// configuration, unreadable input) is a Result with Outcome Error and its
// reasons in the log, as on the command line; an error return means the
// call itself failed: cancelled, past its deadline, or a RequestError.
type Backend interface {
	Analyze(ctx context.Context, req *AnalyzeRequest, ev Events) (*Result, error)
	RunTests(ctx context.Context, req *TestsRequest, ev Events) (*Result, error)
	Coverage(ctx context.Context, req *CoverageRequest, ev Events) (*Result, error)
	Verify(ctx context.Context, req *VerifyRequest, ev Events) (*Result, error)
	Fix(ctx context.Context, req *FixRequest, ev Events) (*Result, error)
}

// RequestError is a request the server refuses (a directory outside its
// root): gRPC's InvalidArgument.
type RequestError struct{ Msg string }

func (e *RequestError) Error() string { return e.Msg }

// Refuse returns a RequestError.
func Refuse(format string, args ...any) error {
	return &RequestError{Msg: fmt.Sprintf(format, args...)}
}

// PermissionError is a request that asks for something the server's
// operator does not allow (a looser sandbox); gRPC's PermissionDenied.
type PermissionError struct{ Msg string }

func (e *PermissionError) Error() string { return e.Msg }

// Deny returns a PermissionError.
func Deny(format string, args ...any) error {
	return &PermissionError{Msg: fmt.Sprintf(format, args...)}
}

// IsRequestError reports whether err is a refused request.
func IsRequestError(err error) bool {
	var re *RequestError
	return errors.As(err, &re)
}

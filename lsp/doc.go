// Package lsp provides gauntlet's Language Server Protocol front end: the
// base protocol on stdio (a framing codec that survives malformed input),
// the lifecycle, incremental document sync over analysis.File.Edit,
// diagnostics published per document version, code actions from the
// analyzers' fixes, code lenses, and work done progress; and the closed
// loop (fix.go: "Fix with model (verified)" and gauntlet.fix, whose
// accepted fix goes out with workspace/applyEdit only against the version
// it was verified on) and the verifier (verify.go: gauntlet.verifyEdit and
// "Verify unsaved changes").
//
// It translates only: every answer comes from a server.Engine, and every
// position is converted between LSP's (line, character) and byte offsets by
// analysis.Mapper, in positions.go. cmd/gauntlet's `gauntlet lsp` serves it
// on stdin and stdout.
//
// The wire types come from github.com/sourcegraph/go-lsp where it has them
// and from protocol.go (LSP 3.17 additions) where it does not; the JSON-RPC
// connection is github.com/sourcegraph/jsonrpc2 over this package's Stream.
package lsp

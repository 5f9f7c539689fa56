// Package analysis provides gauntlet's core values and the engine that reads code:
// immutable workspace snapshots, tree-sitter parsing (incremental and bounded in
// time), the language registry, byte-offset text edits, diagnostics, and the
// Analyzer / Pass pair that every analyzer — built-in, YAML rule or plugin — is
// expressed as.
//
// It imports nothing else of gauntlet's. The LSP server, the command line, the
// closed loop and the plugin host all speak these types.
package analysis

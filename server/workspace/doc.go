// Package workspace is the engine assembled for one workspace, the layer
// under every front end: the command line (check, test, coverage, verify,
// fix, rules), gauntlet serve's api.Backend, gauntlet mcp (through that
// Backend) and gauntlet lsp. It finds the configuration (.gauntlet.yaml
// from a directory up), builds the analyzer set from it in one way
// (assemble), derives the closed loop's and the tests' settings from it in
// one place (loopSettings, testSettings), and keeps the
// configuration-keyed, reference-counted cache of compiled rules and
// started plugins that a server shares between requests and an editor
// session (Editor) between configuration reloads.
//
// A command's work is a function of a Call (Check, Test, Coverage,
// Verify, Fix): the command line makes one from the process (Local), the
// Backend one per request, so both print the same bytes. Plugins start
// through the PluginLoader of Options, which cmd/gauntlet provides: the
// dependency policy (deps_test.go) keeps server/* from importing plugins.
package workspace

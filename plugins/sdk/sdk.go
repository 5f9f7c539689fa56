// Package sdk is what a Go analyzer plugin for gauntlet is written with. A
// plugin's main calls Serve with ordinary *analysis.Analyzer values, the same
// values gauntlet runs in process:
//
//	func main() { sdk.Serve(todoowner.Analyzer) }
//
// Serve speaks gauntlet's plugin protocol (go-plugin over gRPC) on the
// plugin's side: it parses each file with the same tree-sitter grammars as
// gauntlet, runs analysis.Run, and sends the findings back. Authors never
// see protobuf or go-plugin types. Package sdktest tests a plugin's
// analyzers through the protocol, in process.
package sdk

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/plugins/internal/serve"
	"github.com/gauntlet-dev/gauntlet/plugins/internal/wire"
)

// Serve serves analyzers as a gauntlet plugin until gauntlet stops it. The
// plugin's name is its executable's; its version is the main module's
// version (or VCS revision) from the build information. Analyzers that
// cannot be served (no Run, a name that is not [a-z0-9-]+ or is given twice,
// an unknown language) are reported on standard error, and the process
// exits with status 1. Run by hand, outside gauntlet, the plugin says so and
// exits with status 1.
//
// Nothing may be written to standard output before Serve: go-plugin reads
// its first line as the handshake. After Serve, writes to os.Stdout and
// os.Stderr reach gauntlet's log under the plugin's name.
func Serve(analyzers ...*analysis.Analyzer) {
	name := filepath.Base(os.Args[0])
	svc, err := serve.New(name, version(), analyzers)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: cannot serve its analyzers: %v\n", name, err)
		os.Exit(1)
	}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.Plugins(svc),
		GRPCServer:       wire.NewServer,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:   name,
			Level:  hclog.Warn,
			Output: os.Stderr,
		}),
	})
}

// version is the main module's version, else its VCS revision, else "".
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && dirty {
		rev += "+dirty"
	}
	return rev
}

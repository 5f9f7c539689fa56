// Package sdktest tests a plugin's analyzers through gauntlet's plugin
// protocol without building or starting a process. Analyzers serves them
// over an in-process gRPC connection (go-plugin's TestPluginGRPCConn) and
// returns the analyzers gauntlet's host would make of them, so a test runs
// the SDK, the protocol and the conversions both ways:
//
//	func TestPlugin(t *testing.T) {
//		analysistest.Run(t, "testdata", sdktest.Analyzers(t, todoowner.Analyzer)...)
//	}
package sdktest

import (
	"context"
	"testing"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/plugins/internal/serve"
	"github.com/gauntlet-dev/gauntlet/plugins/internal/wire"
)

// Analyzers serves analyzers as a plugin and returns gauntlet's view of
// them: *analysis.Analyzer values whose Run calls the plugin side over gRPC.
// Their Source is "sdktest". Analyzers that the SDK would refuse to serve
// fail the test. The connection closes when the test ends.
func Analyzers(t testing.TB, analyzers ...*analysis.Analyzer) []*analysis.Analyzer {
	t.Helper()
	svc, err := serve.New("sdktest", "", analyzers)
	if err != nil {
		t.Fatalf("sdktest: the SDK would refuse these analyzers: %v", err)
	}
	client, server := goplugin.TestPluginGRPCConn(t, false, wire.Plugins(svc)[wire.ProtocolVersion])
	t.Cleanup(func() {
		_ = client.Close()
		server.Stop()
	})
	raw, err := client.Dispense(wire.PluginName)
	if err != nil {
		t.Fatalf("sdktest: dispense: %v", err)
	}
	c := raw.(*wire.Client)
	desc, err := c.Describe(context.Background())
	if err != nil {
		t.Fatalf("sdktest: describe: %v", err)
	}
	if err := desc.Check(); err != nil {
		t.Fatalf("sdktest: describe: %v", err)
	}
	var out []*analysis.Analyzer
	for _, info := range desc.Analyzers {
		out = append(out, wire.NewAnalyzer("sdktest", info, func(pass *analysis.Pass) error {
			return wire.Call(pass.Context, c, info, pass)
		}))
	}
	return out
}

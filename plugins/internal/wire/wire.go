// Package wire is the Go side of the plugin protocol, shared by the host
// (package plugins) and the SDK (package sdk): the go-plugin handshake and
// plugin set, the Analyzer service's gRPC client and server, and the
// conversions between its protobuf messages and gauntlet's analysis values.
// Nothing outside plugins/ sees a protobuf or go-plugin type.
package wire

import (
	"context"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/gauntlet-dev/gauntlet/analysis"
	pb "github.com/gauntlet-dev/gauntlet/plugins/proto/gauntlet/plugin/v1"
)

// The handshake. A plugin process finds MagicCookieKey=MagicCookieValue in
// its environment (go-plugin's check that it was started by gauntlet and not
// by hand) and answers on its first line of standard output with
//
//	1|ProtocolVersion|unix|SOCKET|grpc|SERVER-CERT
//
// These values are part of the contract with plugins written in any
// language: docs/plugins.md repeats them. A new, incompatible protocol gets
// the next version in Plugins, and the host may speak both.
const (
	MagicCookieKey   = "GAUNTLET_PLUGIN"
	MagicCookieValue = "gauntlet.plugin.v1.Analyzer"
	ProtocolVersion  = 1
	// PluginName is the key of the one plugin in the set.
	PluginName = "analyzer"
)

// Handshake is go-plugin's handshake configuration for gauntlet's plugins.
// Its ProtocolVersion is unset: the versions are those of Plugins.
var Handshake = goplugin.HandshakeConfig{
	MagicCookieKey:   MagicCookieKey,
	MagicCookieValue: MagicCookieValue,
}

// Service is the Analyzer service in gauntlet's own types. The SDK
// implements it; the host calls it through Client.
type Service interface {
	Describe(ctx context.Context) (*Description, error)
	Analyze(ctx context.Context, req *Request) (*Result, error)
}

// Description is what Describe returns.
type Description struct {
	Name      string
	Version   string
	Analyzers []AnalyzerInfo
}

// AnalyzerInfo describes one analyzer of a plugin.
type AnalyzerInfo struct {
	Name      string
	Doc       string
	URL       string
	Languages []string
	Severity  analysis.Severity // 0 means warning
}

// Request asks for Analyzers (all when empty) to run over Files.
type Request struct {
	Files     []*analysis.File
	Analyzers []string
}

// Result is what Analyze returns: findings, each with the analyzer that
// reported it, and the analyzers that failed on a file.
type Result struct {
	Findings []Finding
	Errors   []*analysis.AnalyzerError
}

// Finding is a diagnostic and the analyzer that reported it (its Code may
// differ from the analyzer's name).
type Finding struct {
	Analyzer   string
	Diagnostic analysis.Diagnostic
}

// Plugins is the plugin set for every protocol version, for go-plugin's
// VersionedPlugins on both sides. impl is nil on the host's side.
func Plugins(impl Service) map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{
		ProtocolVersion: {PluginName: &GRPCPlugin{Impl: impl}},
	}
}

// Flow-control windows large enough for a whole source file, so that
// sending one does not wait for window updates (gRPC's default is 64 KB).
const window = 4 << 20

// NewServer makes the plugin's gRPC server (go-plugin's ServeConfig.GRPCServer).
func NewServer(opts []grpc.ServerOption) *grpc.Server {
	return grpc.NewServer(append(opts, grpc.InitialWindowSize(window), grpc.InitialConnWindowSize(window))...)
}

// DialOptions are the host's gRPC options (go-plugin's GRPCDialOptions).
var DialOptions = []grpc.DialOption{grpc.WithInitialWindowSize(window), grpc.WithInitialConnWindowSize(window)}

// GRPCPlugin is the go-plugin Plugin that serves or dispenses the Analyzer
// service over gRPC.
type GRPCPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	Impl Service // the plugin's side only
}

// GRPCServer registers the Analyzer service (plugin side).
func (p *GRPCPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterAnalyzerServer(s, &server{impl: p.Impl})
	return nil
}

// GRPCClient returns a *Client (host side).
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &Client{rpc: pb.NewAnalyzerClient(c)}, nil
}

// Client calls a plugin's Analyzer service; it implements Service.
type Client struct {
	rpc pb.AnalyzerClient
}

// Describe asks the plugin for its name, version and analyzers.
func (c *Client) Describe(ctx context.Context) (*Description, error) {
	resp, err := c.rpc.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return nil, err
	}
	return DescriptionFromProto(resp), nil
}

// Analyze runs the plugin's analyzers over files.
func (c *Client) Analyze(ctx context.Context, req *Request) (*Result, error) {
	resp, err := c.rpc.Analyze(ctx, RequestToProto(req))
	if err != nil {
		return nil, err
	}
	return ResultFromProto(resp)
}

type server struct {
	pb.UnimplementedAnalyzerServer
	impl Service
}

func (s *server) Describe(ctx context.Context, _ *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	d, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, err
	}
	return DescriptionToProto(d), nil
}

func (s *server) Analyze(ctx context.Context, req *pb.AnalyzeRequest) (*pb.AnalyzeResponse, error) {
	res, err := s.impl.Analyze(ctx, RequestFromProto(req))
	if err != nil {
		return nil, err
	}
	return ResultToProto(res), nil
}

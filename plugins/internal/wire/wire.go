// Package wire is the Go side of the plugin protocol, shared by the host
// (package plugins) and the SDK (package sdk): the go-plugin handshake and
// plugin set, the Analyzer service's gRPC client and server, and the
// conversions between its protobuf messages and gauntlet's analysis values.
// Nothing outside plugins/ sees a protobuf or go-plugin type.
package wire

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/gauntlet-dev/gauntlet/analysis"
	pb "github.com/gauntlet-dev/gauntlet/plugins/internal/pluginv1"
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
	// AcceptsEdits: the plugin is sent what changed in a file it was sent
	// before, not the whole file (the SDK's plugins do).
	AcceptsEdits bool
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

	// On the plugin's side, parallel to Files: the host's revision of each
	// file's text (0 if the host sent none), and, for a file sent as an
	// edit, the edit (its File's Content is then nil: the plugin applies
	// the edit to the text it kept of that revision).
	Revisions []uint64
	Edits     []*FileEdit
}

// FileEdit is how a file's text changed since the text of BaseRevision.
type FileEdit struct {
	BaseRevision uint64
	Changes      []analysis.Change
}

// Result is what Analyze returns: findings, each with the analyzer that
// reported it, and the analyzers that failed on a file.
type Result struct {
	Findings []Finding
	Errors   []*analysis.AnalyzerError
	// NeedContent lists the paths whose edit the plugin could not apply:
	// the host sends them again whole.
	NeedContent []string
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

// Client calls a plugin's Analyzer service; it implements Service. To a
// plugin that accepts edits it sends, for a path it sent before, only the
// change since (the plugin keeps the text and its tree), and the whole text
// again when the plugin asks.
type Client struct {
	rpc pb.AnalyzerClient

	mu    sync.Mutex
	edits bool                 // the plugin accepts edits (Describe said so)
	sent  map[string]*sentText // the last text of each recent path the plugin was sent
	rev   uint64
	tick  uint64

	whole, edited atomic.Int64 // files sent whole, and as edits
}

// Sent counts the files sent whole and those sent as edits.
func (c *Client) Sent() (whole, edits int64) { return c.whole.Load(), c.edited.Load() }

type sentText struct {
	rev  uint64
	file *analysis.File
	used uint64
}

// maxSent bounds the texts the client remembers, as the SDK bounds those it
// keeps (the SDK keeps more, so what the host remembers it usually holds).
const maxSent = 48

// Describe asks the plugin for its name, version and analyzers.
func (c *Client) Describe(ctx context.Context) (*Description, error) {
	resp, err := c.rpc.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return nil, err
	}
	d := DescriptionFromProto(resp)
	c.mu.Lock()
	c.edits = d.AcceptsEdits
	c.mu.Unlock()
	return d, nil
}

// Analyze runs the plugin's analyzers over files.
func (c *Client) Analyze(ctx context.Context, req *Request) (*Result, error) {
	m := &pb.AnalyzeRequest{Analyzers: req.Analyzers}
	revs := make([]uint64, len(req.Files))
	c.mu.Lock()
	for i, f := range req.Files {
		c.rev++
		revs[i] = c.rev
		pf := FileToProto(f)
		pf.Revision = revs[i]
		if prev := c.sent[f.Path]; c.edits && prev != nil {
			pf.Content = nil
			pf.Edit = &pb.FileEdit{BaseRevision: prev.rev, Changes: changesToProto(prev.file, f)}
			c.edited.Add(1)
		} else {
			c.whole.Add(1)
		}
		m.Files = append(m.Files, pf)
	}
	c.mu.Unlock()
	resp, err := c.rpc.Analyze(ctx, m)
	if err != nil {
		c.forget(req.Files) // the plugin may hold any of the texts now
		return nil, err
	}
	res, err := ResultFromProto(resp)
	if err != nil {
		return nil, err
	}
	if len(res.NeedContent) > 0 {
		// The plugin does not hold the base of these edits: send them whole.
		need := map[string]bool{}
		for _, p := range res.NeedContent {
			need[p] = true
		}
		again := &pb.AnalyzeRequest{Analyzers: req.Analyzers}
		c.mu.Lock()
		for i, f := range req.Files {
			if need[f.Path] {
				c.rev++
				revs[i] = c.rev
				pf := FileToProto(f)
				pf.Revision = revs[i]
				again.Files = append(again.Files, pf)
				c.whole.Add(1)
			}
		}
		c.mu.Unlock()
		resp, err := c.rpc.Analyze(ctx, again)
		if err != nil {
			c.forget(req.Files)
			return nil, err
		}
		more, err := ResultFromProto(resp)
		if err != nil {
			return nil, err
		}
		res.Findings = append(res.Findings, more.Findings...)
		res.Errors = append(res.Errors, more.Errors...)
		res.NeedContent = more.NeedContent
		for _, p := range more.NeedContent {
			res.Errors = append(res.Errors, &analysis.AnalyzerError{Path: p, Err: errors.New("the plugin asked for the whole text of a file sent whole")})
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent == nil {
		c.sent = map[string]*sentText{}
	}
	for i, f := range req.Files {
		c.tick++
		c.sent[f.Path] = &sentText{rev: revs[i], file: f, used: c.tick}
	}
	for len(c.sent) > maxSent {
		oldest, at := "", c.tick+1
		for p, e := range c.sent {
			if e.used < at {
				oldest, at = p, e.used
			}
		}
		delete(c.sent, oldest)
	}
	return res, nil
}

// forget drops what the client remembers of files.
func (c *Client) forget(files []*analysis.File) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range files {
		delete(c.sent, f.Path)
	}
}

// changesToProto is the change from prev's text to f's: from f's delta when
// f was edited from prev, else the span between their common prefix and
// suffix; none when the texts are the same.
func changesToProto(prev, f *analysis.File) []*pb.Change {
	if prev == f {
		return nil
	}
	var c analysis.Change
	if d := f.Delta(); d != nil && d.Prev == prev {
		c = analysis.Change{Start: d.Start, End: d.OldEnd(), Text: string(f.Content[d.Start:d.End])}
	} else {
		c = Span(prev.Content, f.Content)
		if c.Start == c.End && c.Text == "" {
			return nil
		}
	}
	return []*pb.Change{{Start: uint32(c.Start), End: uint32(c.End), Text: []byte(c.Text)}}
}

// Span is the one change that turns a into b: what lies between their
// common prefix and common suffix.
func Span(a, b []byte) analysis.Change {
	n := min(len(a), len(b))
	p := 0
	for p+8 <= n && string(a[p:p+8]) == string(b[p:p+8]) {
		p += 8
	}
	for p < n && a[p] == b[p] {
		p++
	}
	s := 0
	for s < n-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	return analysis.Change{Start: p, End: len(a) - s, Text: string(b[p : len(b)-s])}
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

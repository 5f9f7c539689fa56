// Package client calls a running `gauntlet serve` from Go: bots, scripts,
// and gauntlet's own command line with --server. A Client is an
// api.Backend, so code written against the engine's calls runs the same
// against a server:
//
//	c, err := client.Dial("unix:/run/user/1000/gauntlet/engine.sock")
//	defer c.Close()
//	res, err := c.Analyze(ctx, &api.AnalyzeRequest{Cwd: dir, Format: "json"}, api.Events{})
//	// res.Outcome, res.Document (an *api.AnalyzeDocument), res.JSON (gauntlet check --format json), res.Output
//
// Over tcp, pass the server's token with WithToken (and TLS with WithTLS).
package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/gauntlet-dev/gauntlet/server/api"
	pb "github.com/gauntlet-dev/gauntlet/server/api/proto/gauntlet/v1"
)

// Client is a connection to a gauntlet server. It is safe for concurrent
// use; calls share one connection.
type Client struct {
	conn *grpc.ClientConn
	rpc  pb.EngineClient
	addr api.Address
}

var _ api.Backend = (*Client)(nil)

type options struct {
	token string
	tls   *tls.Config
	extra []grpc.DialOption
}

// Option configures Dial.
type Option func(*options)

// WithToken sends the bearer token with every call.
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithTLS speaks TLS with the given configuration.
func WithTLS(c *tls.Config) Option { return func(o *options) { o.tls = c } }

// WithDialOptions adds gRPC dial options.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.extra = append(o.extra, opts...) }
}

// Dial connects to addr: unix:PATH, tcp:HOST:PORT, HOST:PORT or an
// absolute socket path. The connection is made lazily; the first call
// fails if no server answers.
func Dial(addr string, opts ...Option) (*Client, error) {
	a, err := api.ParseAddress(addr)
	if err != nil {
		return nil, err
	}
	var o options
	for _, f := range opts {
		f(&o)
	}
	creds := insecure.NewCredentials()
	if o.tls != nil {
		creds = credentials.NewTLS(o.tls)
	}
	dopts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(64<<20)),
	}
	if o.token != "" {
		dopts = append(dopts, grpc.WithPerRPCCredentials(bearer{token: o.token, secure: o.tls != nil}))
	}
	target := "passthrough:///" + a.Addr
	if a.Network == "unix" {
		dopts = append(dopts, grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", a.Addr)
		}))
	}
	conn, err := grpc.NewClient(target, append(dopts, o.extra...)...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return &Client{conn: conn, rpc: pb.NewEngineClient(conn), addr: a}, nil
}

// Conn is the underlying connection (for reflection or health clients).
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Healthy asks the standard health service whether the engine serves.
func (c *Client) Healthy(ctx context.Context) error {
	r, err := healthpb.NewHealthClient(c.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: api.ServiceName})
	if err != nil {
		return err
	}
	if r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("%s: %v", c.addr, r.GetStatus())
	}
	return nil
}

// Analyze reports findings (gauntlet check). The log lines arrive with
// the result.
func (c *Client) Analyze(ctx context.Context, req *api.AnalyzeRequest, ev api.Events) (*api.Result, error) {
	if err := utf8Text("--new-from-patch", req.NewFromPatch); err != nil {
		return nil, err
	}
	for _, f := range req.Files {
		if err := utf8Text(f.Path, f.Content); err != nil {
			return nil, err
		}
	}
	r, err := c.rpc.Analyze(ctx, api.AnalyzeToProto(req))
	if err != nil {
		return nil, err
	}
	if ev.Log != nil {
		for _, l := range r.GetLog() {
			ev.Log(l)
		}
	}
	if r.GetResult() == nil {
		return nil, errors.New("server sent no result")
	}
	return api.ResultFromProto(r.GetResult())
}

// RunTests runs tests (gauntlet test), streaming progress to ev.
func (c *Client) RunTests(ctx context.Context, req *api.TestsRequest, ev api.Events) (*api.Result, error) {
	if err := utf8Text("--affected-by", req.AffectedBy); err != nil {
		return nil, err
	}
	return call(ctx, c.rpc.RunTests, api.TestsToProto(req), ev)
}

// Coverage reports coverage or the tests covering a line (gauntlet coverage).
func (c *Client) Coverage(ctx context.Context, req *api.CoverageRequest, ev api.Events) (*api.Result, error) {
	return call(ctx, c.rpc.Coverage, api.CoverageToProto(req), ev)
}

// Verify verifies an edit (gauntlet verify).
func (c *Client) Verify(ctx context.Context, req *api.VerifyRequest, ev api.Events) (*api.Result, error) {
	if err := utf8Text("the patch", req.Patch); err != nil {
		return nil, err
	}
	return call(ctx, c.rpc.Verify, api.VerifyToProto(req), ev)
}

// Fix runs the closed loop (gauntlet fix).
func (c *Client) Fix(ctx context.Context, req *api.FixRequest, ev api.Events) (*api.Result, error) {
	return call(ctx, c.rpc.Fix, api.FixToProto(req), ev)
}

// utf8Text refuses text the wire cannot carry: the engine API's patches
// and buffers are strings, which protobuf requires to be UTF-8.
func utf8Text(what string, b []byte) error {
	if !utf8.Valid(b) {
		return api.Refuse("%s is not UTF-8 text: a server takes patches and buffers as UTF-8", what)
	}
	return nil
}

// call makes one of the engine's streaming calls: it hands the stream's
// events to ev and returns its result.
func call[R any](ctx context.Context, rpc func(context.Context, R, ...grpc.CallOption) (grpc.ServerStreamingClient[pb.Event], error), req R, ev api.Events) (*api.Result, error) {
	s, err := rpc(ctx, req)
	if err != nil {
		return nil, err
	}
	for {
		e, err := s.Recv()
		if err == io.EOF {
			return nil, errors.New("server ended the call without a result")
		}
		if err != nil {
			return nil, err
		}
		switch x := e.GetEvent().(type) {
		case *pb.Event_Progress:
			if ev.Progress != nil {
				ev.Progress(api.ProgressFromProto(x.Progress))
			}
		case *pb.Event_Log:
			if ev.Log != nil {
				ev.Log(x.Log)
			}
		case *pb.Event_Result:
			return api.ResultFromProto(x.Result)
		}
	}
}

// bearer sends the token as gRPC per-call credentials.
type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

// RequireTransportSecurity is false: a token over plain tcp on loopback is
// the operator's choice (--tls-cert/--tls-key to encrypt).
func (b bearer) RequireTransportSecurity() bool { return false }

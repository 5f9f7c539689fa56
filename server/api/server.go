package api

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	pb "github.com/gauntlet-dev/gauntlet/server/api/proto/gauntlet/v1"
)

// ServiceName is the full name of the engine service.
const ServiceName = "gauntlet.v1.Engine"

// DefaultMaxCallTime bounds a call that came without a deadline.
const DefaultMaxCallTime = 30 * time.Minute

// Options configure a server.
type Options struct {
	// Token, if set, must come with every call as the metadata
	// "authorization: Bearer TOKEN" (the health service excepted, for load
	// balancers). A tcp listener must have one.
	Token string
	// TLS, if set, serves TLS.
	TLS *tls.Config
	// MaxCallTime bounds a call without a deadline (0: DefaultMaxCallTime).
	MaxCallTime time.Duration
	// MaxJobs bounds the long jobs (tests, coverage, verify, fix) that run
	// at once; more wait their turn (0: the number of CPUs).
	MaxJobs int
	// MaxAnalyses bounds the Analyze calls that run at once, each on every
	// core; more wait their turn (0: the number of CPUs).
	MaxAnalyses int
}

// Server is a gRPC server with the engine service, reflection and health.
type Server struct {
	*grpc.Server
	Health *health.Server
}

// NewServer returns a server of the engine service over backend, with
// server reflection and the standard health service (serving).
func NewServer(backend Backend, opts Options) *Server {
	if opts.MaxCallTime <= 0 {
		opts.MaxCallTime = DefaultMaxCallTime
	}
	if opts.MaxJobs <= 0 {
		opts.MaxJobs = runtime.NumCPU()
	}
	if opts.MaxAnalyses <= 0 {
		opts.MaxAnalyses = runtime.NumCPU()
	}
	g := &guard{token: opts.Token, max: opts.MaxCallTime}
	sopts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(g.unary),
		grpc.ChainStreamInterceptor(g.stream),
		grpc.MaxRecvMsgSize(64 << 20),
		grpc.MaxSendMsgSize(64 << 20),
	}
	if opts.TLS != nil {
		sopts = append(sopts, grpc.Creds(credentials.NewTLS(opts.TLS)))
	}
	gs := grpc.NewServer(sopts...)
	pb.RegisterEngineServer(gs, &service{backend: backend, jobs: make(chan struct{}, opts.MaxJobs), analyses: make(chan struct{}, opts.MaxAnalyses)})
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus(ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(gs, hs)
	reflection.Register(gs)
	return &Server{Server: gs, Health: hs}
}

// guard checks the bearer token and bounds calls without a deadline.
type guard struct {
	token string
	max   time.Duration
}

func (g *guard) check(ctx context.Context, method string) error {
	if g.token == "" || strings.HasPrefix(method, "/grpc.health.v1.Health/") {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		got, ok := strings.CutPrefix(v, "Bearer ")
		if ok && subtle.ConstantTimeCompare([]byte(got), []byte(g.token)) == 1 {
			return nil
		}
	}
	// Never echo what came: it may be a token.
	return status.Error(codes.Unauthenticated, "gauntlet: missing or wrong bearer token (authorization: Bearer TOKEN)")
}

func (g *guard) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, g.max)
}

func (g *guard) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := g.check(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	ctx, cancel := g.bound(ctx)
	defer cancel()
	return h(ctx, req)
}

func (g *guard) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := g.check(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	if strings.HasPrefix(info.FullMethod, "/grpc.") {
		// Reflection and health watches are long-lived by design.
		return h(srv, ss)
	}
	ctx, cancel := g.bound(ss.Context())
	defer cancel()
	return h(srv, &boundStream{ServerStream: ss, ctx: ctx})
}

type boundStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *boundStream) Context() context.Context { return s.ctx }

// Address is a parsed listen or dial address: unix:PATH or tcp:HOST:PORT.
type Address struct {
	Network string // "unix" or "tcp"
	Addr    string // the path or host:port
}

func (a Address) String() string { return a.Network + ":" + a.Addr }

// ParseAddress reads unix:PATH, tcp:HOST:PORT, or a bare HOST:PORT (tcp)
// or an absolute path (unix).
func ParseAddress(s string) (Address, error) {
	switch {
	case strings.HasPrefix(s, "unix:"):
		p := strings.TrimPrefix(strings.TrimPrefix(s, "unix:"), "//")
		if p == "" {
			return Address{}, fmt.Errorf("address %q: no socket path", s)
		}
		return Address{"unix", p}, nil
	case strings.HasPrefix(s, "tcp:"):
		hp := strings.TrimPrefix(s, "tcp:")
		if _, _, err := net.SplitHostPort(hp); err != nil {
			return Address{}, fmt.Errorf("address %q: %v", s, err)
		}
		return Address{"tcp", hp}, nil
	case filepath.IsAbs(s):
		return Address{"unix", s}, nil
	}
	if _, _, err := net.SplitHostPort(s); err == nil {
		return Address{"tcp", s}, nil
	}
	return Address{}, fmt.Errorf("address %q: want unix:PATH or tcp:HOST:PORT", s)
}

// DefaultSocket is where `gauntlet serve` listens without --listen: a socket
// in a folder only the user can enter, $XDG_RUNTIME_DIR/gauntlet or else
// $TMPDIR/gauntlet-UID.
func DefaultSocket() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "gauntlet", "engine.sock")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("gauntlet-%d", os.Getuid()), "engine.sock")
}

// Listen listens on a. A unix socket gets mode 0600; its folder is made
// 0700 if it does not exist; if it does, it must be the user's own and
// not writable by others, or sticky like /tmp.
// A socket file left behind by a dead server is replaced; one a live server
// answers on is an error.
func Listen(a Address) (net.Listener, error) {
	if a.Network == "tcp" {
		return net.Listen("tcp", a.Addr)
	}
	dir := filepath.Dir(a.Addr)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	// In a sticky folder (/tmp) no one else can replace the socket; in any
	// other, only its owner must be able to.
	if st.Mode()&os.ModeSticky == 0 {
		if err := checkOwner(dir, st); err != nil {
			return nil, err
		}
		if st.Mode().Perm()&0o022 != 0 {
			return nil, fmt.Errorf("%s: others may write to the socket's folder (mode %v); use a folder only you can write", dir, st.Mode().Perm())
		}
	}
	if _, err := os.Lstat(a.Addr); err == nil {
		if c, err := net.DialTimeout("unix", a.Addr, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: a server is already listening there", a.Addr)
		}
		if err := os.Remove(a.Addr); err != nil {
			return nil, err
		}
	}
	// The socket is created with the umask's mode: narrow it first, so that
	// no one else can connect in the moment before the chmod.
	old := umask(0o077)
	l, err := net.Listen("unix", a.Addr)
	umask(old)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(a.Addr, 0o600); err != nil {
		l.Close()
		return nil, err
	}
	l.(*net.UnixListener).SetUnlinkOnClose(true)
	return l, nil
}

// ErrNoToken is the error of a tcp listener without a token.
var ErrNoToken = errors.New("a tcp listener needs a bearer token: set GAUNTLET_TOKEN or --token-file")

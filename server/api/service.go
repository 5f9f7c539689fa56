package api

import (
	"context"
	"errors"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/gauntlet-dev/gauntlet/server/api/proto/gauntlet/v1"
)

// service implements gauntlet.v1.Engine over a Backend.
type service struct {
	pb.UnimplementedEngineServer
	backend  Backend
	jobs     chan struct{} // bounds the long jobs that run at once
	analyses chan struct{} // bounds the analyses that run at once
}

func (s *service) Analyze(ctx context.Context, req *pb.AnalyzeRequest) (*pb.AnalyzeResponse, error) {
	// Each analysis uses every core already: more at once only share them
	// and hold more memory.
	select {
	case s.analyses <- struct{}{}:
		defer func() { <-s.analyses }()
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	var mu sync.Mutex
	var log []string
	ev := Events{Log: func(line string) { mu.Lock(); log = append(log, line); mu.Unlock() }}
	res, err := s.backend.Analyze(ctx, AnalyzeFromProto(req), ev)
	if err != nil {
		return nil, statusOf(ctx, err)
	}
	pres, err := ResultToProto(AnalyzeKind, res)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	mu.Lock()
	defer mu.Unlock()
	return &pb.AnalyzeResponse{Result: pres, Log: log}, nil
}

func (s *service) RunTests(req *pb.RunTestsRequest, stream pb.Engine_RunTestsServer) error {
	return s.stream(stream.Context(), stream, TestsKind, func(ctx context.Context, ev Events) (*Result, error) {
		return s.backend.RunTests(ctx, TestsFromProto(req), ev)
	})
}

func (s *service) Coverage(req *pb.CoverageRequest, stream pb.Engine_CoverageServer) error {
	kind := CoverageKind
	if req.GetTestsFor() != "" {
		kind = CoveringTestsKind
	}
	return s.stream(stream.Context(), stream, kind, func(ctx context.Context, ev Events) (*Result, error) {
		return s.backend.Coverage(ctx, CoverageFromProto(req), ev)
	})
}

func (s *service) Verify(req *pb.VerifyRequest, stream pb.Engine_VerifyServer) error {
	return s.stream(stream.Context(), stream, VerifyKind, func(ctx context.Context, ev Events) (*Result, error) {
		return s.backend.Verify(ctx, VerifyFromProto(req), ev)
	})
}

func (s *service) Fix(req *pb.FixRequest, stream pb.Engine_FixServer) error {
	return s.stream(stream.Context(), stream, FixKind, func(ctx context.Context, ev Events) (*Result, error) {
		return s.backend.Fix(ctx, FixFromProto(req), ev)
	})
}

// stream runs a long job once a slot is free, sends its events as they
// come (from whichever goroutine reports them) and its result last, its
// document typed as kind's.
func (s *service) stream(ctx context.Context, stream interface{ Send(*pb.Event) error }, kind DocumentKind, job func(context.Context, Events) (*Result, error)) error {
	select {
	case s.jobs <- struct{}{}:
		defer func() { <-s.jobs }()
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var sendErr error
	send := func(e *pb.Event) {
		mu.Lock()
		defer mu.Unlock()
		if sendErr != nil {
			return
		}
		if sendErr = stream.Send(e); sendErr != nil {
			cancel() // the client is gone: stop the job
		}
	}
	ev := Events{
		Progress: func(p Progress) { send(&pb.Event{Event: &pb.Event_Progress{Progress: ProgressToProto(p)}}) },
		Log:      func(line string) { send(&pb.Event{Event: &pb.Event_Log{Log: line}}) },
	}
	start := time.Now()
	res, err := job(ctx, ev)
	if err != nil {
		return statusOf(ctx, err)
	}
	if res.Duration == 0 {
		res.Duration = time.Since(start)
	}
	pres, err := ResultToProto(kind, res)
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	send(&pb.Event{Event: &pb.Event_Result{Result: pres}})
	mu.Lock()
	defer mu.Unlock()
	return sendErr
}

// statusOf maps a backend's error to a gRPC status.
func statusOf(ctx context.Context, err error) error {
	switch {
	case IsRequestError(err):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.As(err, new(*PermissionError)):
		return status.Error(codes.PermissionDenied, err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	case ctx.Err() != nil:
		return status.FromContextError(ctx.Err()).Err()
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return status.Error(codes.Internal, err.Error())
}

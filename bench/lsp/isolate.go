package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/sourcegraph/jsonrpc2"
)

// isolation measures whether one document waits on another: with a small Go
// file open, it opens a large one (about mb megabytes: the edited file's
// declarations repeated) and edits it, and meanwhile asks for code actions
// on the small file one after the other, timing each from the moment it is
// sent until its answer. It runs until the large file's diagnostics of its
// last version are published and at least minRequests code actions were
// answered.
type isolationResult struct {
	name        string
	lat         []time.Duration // code action latencies
	beforeFirst int             // code actions answered before the large file's first diagnostics
	bigFirst    time.Duration   // didOpen of the large file to its first diagnostics
	bigLast     time.Duration   // didOpen to the diagnostics of its last edit
	size        int
}

func isolation(name string, argv []string, src []byte, mb, edits, minRequests int, timeout time.Duration) (isolationResult, error) {
	res := isolationResult{name: name}
	root, err := os.MkdirTemp("", "bench-lsp-isolation")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(root)
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module bench\n\ngo 1.22\n"), 0o644); err != nil {
		return res, err
	}
	big := bigFile(src, mb<<20)
	res.size = len(big)
	smallText := "package p\n\nfunc f() { _ = 1 }\n"
	smallPath, bigPath := filepath.Join(root, "small.go"), filepath.Join(root, "big.go")
	for p, c := range map[string][]byte{smallPath: []byte(smallText), bigPath: big} {
		if err := os.WriteFile(p, c, 0o644); err != nil {
			return res, err
		}
	}

	bin, err := exec.LookPath(argv[0])
	if err != nil {
		return res, err
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return res, err
	}
	cmd := exec.Command(bin, argv[1:]...)
	cmd.Dir = root
	cmd.Stderr = io.Discard
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := cmd.StdinPipe()
	if err != nil {
		return res, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	if err := cmd.Start(); err != nil {
		return res, err
	}
	defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	h := &handler{}
	h.cond = sync.NewCond(&h.mu)
	ctx := context.Background()
	conn := jsonrpc2.NewConn(ctx, jsonrpc2.NewBufferedStream(rwc{io.NopCloser(bufio.NewReader(out)), in}, jsonrpc2.VSCodeObjectCodec{}), h)
	defer conn.Close()
	rootURI := fileURI(root)
	err = conn.Call(ctx, "initialize", map[string]any{
		"processId": os.Getpid(),
		"rootUri":   rootURI,
		"capabilities": map[string]any{
			"textDocument": map[string]any{"publishDiagnostics": map[string]any{"versionSupport": true}},
		},
	}, nil)
	if err != nil {
		return res, fmt.Errorf("initialize: %w", err)
	}
	conn.Notify(ctx, "initialized", map[string]any{})
	small, bigURI := fileURI(smallPath), fileURI(bigPath)
	conn.Notify(ctx, "textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": small, "languageId": "go", "version": 1, "text": smallText}})
	if _, ok := h.await(small, 1, noUnversioned, timeout); !ok {
		return res, errors.New("no diagnostics for the small file")
	}

	// The large file: opened, then edited every few milliseconds (a
	// comment line inserted near its middle), as if typed into.
	last := int32(1 + edits)
	opened := make(chan time.Time, 1)
	go func() {
		t0 := time.Now()
		conn.Notify(ctx, "textDocument/didOpen", map[string]any{"textDocument": map[string]any{
			"uri": bigURI, "languageId": "go", "version": 1, "text": string(big)}})
		opened <- t0
		line := analysis.NewMapper(big).Line(len(big) / 2)
		for v := int32(2); v <= last; v++ {
			time.Sleep(20 * time.Millisecond)
			at := map[string]int{"line": line, "character": 0}
			conn.Notify(ctx, "textDocument/didChange", map[string]any{
				"textDocument":   map[string]any{"uri": bigURI, "version": v},
				"contentChanges": []any{map[string]any{"range": map[string]any{"start": at, "end": at}, "text": "// typed\n"}},
			})
		}
	}()
	bigDone := make(chan struct{})
	var firstAt, lastAt time.Time
	go func() {
		defer close(bigDone)
		if _, ok := h.awaitAny(bigURI, timeout); ok {
			firstAt = time.Now()
		}
		if _, ok := h.await(bigURI, last, noUnversioned, timeout); ok {
			lastAt = time.Now()
		}
	}()
	params := map[string]any{
		"textDocument": map[string]any{"uri": small},
		"range":        map[string]any{"start": map[string]int{"line": 2, "character": 0}, "end": map[string]int{"line": 2, "character": 0}},
		"context":      map[string]any{"diagnostics": []any{}},
	}
	for done := false; !done || len(res.lat) < minRequests; {
		select {
		case <-bigDone:
			done = true
		default:
		}
		t0 := time.Now()
		var actions json.RawMessage
		if err := conn.Call(ctx, "textDocument/codeAction", params, &actions); err != nil {
			return res, fmt.Errorf("codeAction: %w", err)
		}
		res.lat = append(res.lat, time.Since(t0))

		if firstAt.IsZero() && !done {
			res.beforeFirst++
		}
		time.Sleep(5 * time.Millisecond)
	}
	t0 := <-opened
	if firstAt.IsZero() || lastAt.IsZero() {
		return res, fmt.Errorf("no diagnostics for the large file's version %d within %s", last, timeout)
	}
	res.bigFirst, res.bigLast = firstAt.Sub(t0), lastAt.Sub(t0)

	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn.Call(sctx, "shutdown", nil, nil)
	conn.Notify(ctx, "exit", nil)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	return res, nil
}

// bigFile repeats src's declarations (everything after its package clause)
// until the result holds at least size bytes. Declarations repeat, which a
// parser does not mind.
func bigFile(src []byte, size int) []byte {
	body := src
	if i := bytes.Index(src, []byte("\npackage ")); i >= 0 {
		if j := bytes.IndexByte(src[i+1:], '\n'); j >= 0 {
			body = src[i+1+j+1:]
		}
	} else if bytes.HasPrefix(src, []byte("package ")) {
		body = src[bytes.IndexByte(src, '\n')+1:]
	}
	out := []byte("package big\n")
	for len(out) < size {
		out = append(out, body...)
	}
	return out
}

// awaitAny waits for any diagnostics of uri.
func (h *handler) awaitAny(uri string, timeout time.Duration) (publish, bool) {
	deadline := time.Now().Add(timeout)
	t := time.AfterFunc(timeout, func() { h.mu.Lock(); h.cond.Broadcast(); h.mu.Unlock() })
	defer t.Stop()
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := 0; ; {
		for ; i < len(h.pubs); i++ {
			if h.pubs[i].URI == uri {
				return h.pubs[i], true
			}
		}
		if time.Now().After(deadline) {
			return publish{}, false
		}
		h.cond.Wait()
	}
}

func printIsolation(results []isolationResult, edits int) {
	fmt.Printf("\n| server | large file | code actions | before its first diagnostics | median | p95 | max | large: first diagnostics | large: last edit's (%d edits) |\n|:---|---:|---:|---:|---:|---:|---:|---:|---:|\n", edits)
	for _, r := range results {
		fmt.Printf("| %s | %.1f MB | %d | %d | %s | %s | %s | %s | %s |\n", r.name, float64(r.size)/(1<<20), len(r.lat), r.beforeFirst,
			ms(pct(r.lat, 50)), ms(pct(r.lat, 95)), ms(pct(r.lat, 100)), ms(r.bigFirst), ms(r.bigLast))
	}
}

// noUnversioned as await's from: only publications carrying the version count.
const noUnversioned = 1 << 30

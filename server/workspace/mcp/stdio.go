package mcp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Stdio is gauntlet mcp's transport: newline-delimited JSON-RPC on in
// and out, as mcp.StdioTransport, but one bad line does not end the
// server. The go-sdk's stdio connection fails its session on a line it
// cannot decode (and it offers no hook for that), so every line is checked
// here first: one that is not JSON gets a parse error (-32700), one that
// is JSON but not a JSON-RPC 2.0 message (an array, a number, another
// "jsonrpc" version, a method that is not a string...) an invalid-request
// error (-32600), written beside the SDK's own answers; good lines go on
// to the SDK unchanged.
func Stdio(in io.Reader, out io.Writer) mcp.Transport {
	pr, pw := io.Pipe()
	w := &lockedWriter{w: out}
	go func() {
		pw.CloseWithError(filterLines(in, pw, w, mcp.DefaultMaxLineLength))
	}()
	return &mcp.IOTransport{Reader: pr, Writer: w}
}

// lockedWriter writes each message in one piece, from any goroutine.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) Close() error { return nil }

// filterLines copies the good lines of in to good and answers the bad
// ones on answers; a line longer than max is an invalid request. It
// returns at the end of in (nil) or on a failed write.
func filterLines(in io.Reader, good io.Writer, answers io.Writer, max int) error {
	r := bufio.NewReaderSize(in, 64*1024)
	for {
		line, tooLong, err := readLine(r, max)
		if len(bytes.TrimSpace(line)) > 0 || tooLong {
			var answer []byte
			if tooLong {
				answer = rpcError(nil, -32600, fmt.Sprintf("Invalid Request: the message is longer than %d bytes", max))
			} else {
				answer = checkMessage(line)
			}
			if answer != nil {
				if _, err := answers.Write(answer); err != nil {
					return err
				}
			} else if _, err := good.Write(append(bytes.TrimRight(line, "\r\n"), '\n')); err != nil {
				return err
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// readLine reads one line; one longer than max is skipped to its end and
// reported as tooLong.
func readLine(r *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			line = append(line, chunk...)
			if len(line) > max {
				tooLong, line = true, nil
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return line, tooLong, err
	}
}

// checkMessage returns the error answer to a line that is not a JSON-RPC
// 2.0 message, or nil.
func checkMessage(line []byte) []byte {
	if !json.Valid(line) {
		return rpcError(nil, -32700, "Parse error: the line is not JSON")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return rpcError(nil, -32600, "Invalid Request: a message is a JSON object")
	}
	id, hasID := m["id"]
	if hasID && !validID(id) {
		return rpcError(nil, -32600, "Invalid Request: id must be a string, a number or null")
	}
	if string(bytes.TrimSpace(m["jsonrpc"])) != `"2.0"` {
		return rpcError(id, -32600, `Invalid Request: "jsonrpc" must be "2.0"`)
	}
	if method, ok := m["method"]; ok {
		var s string
		if json.Unmarshal(method, &s) != nil || s == "" {
			return rpcError(id, -32600, "Invalid Request: method must be a non-empty string")
		}
		if p, ok := m["params"]; ok {
			if p = bytes.TrimSpace(p); len(p) == 0 || (p[0] != '{' && p[0] != '[') {
				return rpcError(id, -32600, "Invalid Request: params must be an object or an array")
			}
		}
		return nil
	}
	_, hasResult := m["result"]
	_, hasError := m["error"]
	if !hasID || hasResult == hasError {
		return rpcError(id, -32600, "Invalid Request: neither a request (method) nor a response (id with result or error)")
	}
	return nil
}

func validID(id json.RawMessage) bool {
	var v any
	if json.Unmarshal(id, &v) != nil {
		return false
	}
	switch v.(type) {
	case nil, string, float64:
		return true
	}
	return false
}

func rpcError(id json.RawMessage, code int, msg string) []byte {
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	b, _ := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}{JSONRPC: "2.0", ID: id, Error: struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, msg}})
	return append(b, '\n')
}

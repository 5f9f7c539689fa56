package lsp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/sourcegraph/jsonrpc2"
)

// MaxMessageSize is the default cap on one message's body. A larger message
// is answered with an error and skipped without being read into memory.
const MaxMessageSize = 64 << 20

const maxHeaderLine = 4096

// Stream is a jsonrpc2.ObjectStream speaking LSP's base protocol
// (Content-Length framing) that survives bad input. jsonrpc2's own codec
// closes the connection on the first malformed message; this one answers
//
//   - bad JSON in a well-framed body, or a broken header, with -32700,
//   - a body that is JSON but neither a request nor a response (no method,
//     no result, no error; both; a batch; an id of the wrong type) with -32600,
//   - a body larger than the cap with -32600, skipping it unread,
//
// and keeps reading. Only the end of the input (or a read error) ends it.
type Stream struct {
	rwc io.ReadWriteCloser
	r   *bufio.Reader
	max int64
	log func(string)

	mu sync.Mutex // serializes writes
	w  *bufio.Writer

	// Params of large requests, kept out of jsonrpc2's decoding (see
	// setAside): by sequence number, taken back by Params.
	asideMu sync.Mutex
	aside   map[uint64]json.RawMessage
	seq     uint64
}

// largeParams is the size above which a message's params bypass
// jsonrpc2's decoding, which decodes params into interface{} values and
// encodes them again: about fourteen passes over a 17 MB didOpen, seconds
// on a loaded machine, on the one goroutine that reads every message.
const largeParams = 64 << 10

// asideKey marks params set aside: {"gauntlet.aside":N}.
const asideKey = `{"gauntlet.aside":`

// NewStream returns a stream over rwc that caps bodies at max bytes (0
// means MaxMessageSize) and reports rejected input to logf (may be nil).
func NewStream(rwc io.ReadWriteCloser, max int64, logf func(string)) *Stream {
	if max <= 0 {
		max = MaxMessageSize
	}
	if logf == nil {
		logf = func(string) {}
	}
	return &Stream{rwc: rwc, r: bufio.NewReaderSize(rwc, 64<<10), w: bufio.NewWriter(rwc), max: max, log: logf, aside: map[uint64]json.RawMessage{}}
}

// setAside keeps large params out of the body jsonrpc2 decodes: they are
// replaced by a marker that Params turns back into them.
func (s *Stream) setAside(fields map[string]json.RawMessage) ([]byte, bool) {
	params, ok := fields["params"]
	if !ok || len(params) < largeParams {
		return nil, false
	}
	s.asideMu.Lock()
	s.seq++
	n := s.seq
	s.aside[n] = params
	for k := range s.aside {
		if k+16 < n { // never taken back (a message the connection refused): forget it
			delete(s.aside, k)
		}
	}
	s.asideMu.Unlock()
	small := make(map[string]json.RawMessage, len(fields))
	for k, v := range fields {
		small[k] = v
	}
	small["params"] = json.RawMessage(asideKey + strconv.FormatUint(n, 10) + "}")
	body, err := json.Marshal(small)
	if err != nil {
		s.asideMu.Lock()
		delete(s.aside, n)
		s.asideMu.Unlock()
		return nil, false
	}
	return body, true
}

// Params returns a request's params as the client sent them: the params set
// aside for a marker (once), or p itself.
func (s *Stream) Params(p json.RawMessage) json.RawMessage {
	if !bytes.HasPrefix(p, []byte(asideKey)) || !bytes.HasSuffix(p, []byte("}")) {
		return p
	}
	n, err := strconv.ParseUint(string(p[len(asideKey):len(p)-1]), 10, 64)
	if err != nil {
		return p
	}
	s.asideMu.Lock()
	defer s.asideMu.Unlock()
	q, ok := s.aside[n]
	if !ok {
		return p
	}
	delete(s.aside, n)
	return q
}

// WriteObject writes obj as one framed message.
func (s *Stream) WriteObject(obj any) error {
	data, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := fmt.Fprintf(s.w, "Content-Length: %d\r\n\r\n", len(data)); err != nil {
		return err
	}
	if _, err := s.w.Write(data); err != nil {
		return err
	}
	return s.w.Flush()
}

// Close closes the underlying connection.
func (s *Stream) Close() error { return s.rwc.Close() }

// ReadObject reads the next well-formed request or response into v,
// answering and skipping every malformed message before it.
func (s *Stream) ReadObject(v any) error {
	for {
		body, err := s.readBody()
		var bad *badMessage
		if errors.As(err, &bad) {
			s.reject(bad)
			continue
		}
		if err != nil {
			return err
		}
		if bad := s.decode(body, v); bad != nil {
			s.reject(bad)
			continue
		}
		return nil
	}
}

// badMessage is one rejected message: the error to answer with and the id
// of the request it belongs to, when it could be read.
type badMessage struct {
	code int64
	msg  string
	id   *jsonrpc2.ID
}

func (b *badMessage) Error() string { return b.msg }

type errorResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      *jsonrpc2.ID    `json:"id"` // null when unknown
	Error   *jsonrpc2.Error `json:"error"`
}

func (s *Stream) reject(b *badMessage) {
	s.log(fmt.Sprintf("rejected message: %s (%d)", b.msg, b.code))
	// A write error means the peer is gone; the next read will say so.
	_ = s.WriteObject(errorResponse{JSONRPC: "2.0", ID: b.id, Error: &jsonrpc2.Error{Code: b.code, Message: b.msg}})
}

// readBody reads one framed message's body. Broken framing and oversized
// bodies come back as *badMessage, after which the stream is positioned at
// the next header it can find.
func (s *Stream) readBody() ([]byte, error) {
	length := int64(-1)
	sawHeader := false
	var problem string
	for {
		line, err := s.readLine()
		if err != nil {
			if err == io.EOF && sawHeader {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		// Resynchronise: a body sent without a valid length is followed
		// directly by the next message's header on the same line.
		if i := indexFold(line, "content-length:"); i > 0 {
			if problem == "" {
				problem = "malformed header: " + clip(line[:i])
			}
			line = line[i:]
		}
		if len(line) == 0 {
			if !sawHeader {
				continue // blank lines between messages
			}
			break
		}
		sawHeader = true
		name, value, ok := strings.Cut(string(line), ":")
		if !ok || !isToken(name) {
			if problem == "" {
				problem = "malformed header line " + strconv.Quote(clip(line))
			}
			continue
		}
		if strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
			n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
			if err != nil || n < 0 {
				problem = "bad Content-Length " + strconv.Quote(clip([]byte(value)))
				length = -1
				continue
			}
			length = n
		}
	}
	if length < 0 {
		if problem == "" {
			problem = "missing Content-Length header"
		}
		return nil, &badMessage{code: jsonrpc2.CodeParseError, msg: problem}
	}
	if length > s.max {
		if _, err := io.CopyN(io.Discard, s.r, length); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, &badMessage{code: jsonrpc2.CodeInvalidRequest,
			msg: fmt.Sprintf("message of %d bytes exceeds the limit of %d bytes", length, s.max)}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(s.r, body); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	if problem != "" {
		// The frame was recovered, but what came before it was garbage.
		s.reject(&badMessage{code: jsonrpc2.CodeParseError, msg: problem})
	}
	return body, nil
}

// readLine reads one header line without its "\r\n" or "\n". A line longer
// than maxHeaderLine is cut to its last maxHeaderLine bytes, so memory stays
// bounded and a header at its end is still found.
func (s *Stream) readLine() ([]byte, error) {
	var tail []byte
	for {
		chunk, err := s.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			tail = append(tail, chunk...)
			if len(tail) > maxHeaderLine {
				tail = append(tail[:0], tail[len(tail)-maxHeaderLine:]...)
			}
			continue
		}
		if err != nil {
			if err == io.EOF && (len(tail) > 0 || len(chunk) > 0) {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		line := append(tail, chunk...)
		if len(line) > maxHeaderLine+2 {
			line = line[len(line)-maxHeaderLine-2:]
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		return line, nil
	}
}

// decode checks that body is one JSON-RPC request or response and decodes it
// into v, reset first, so that a failed attempt leaves nothing behind.
func (s *Stream) decode(body []byte, v any) *badMessage {
	var probe struct {
		ID     *json.RawMessage `json:"id"`
		Method *string          `json:"method"`
		Result *json.RawMessage `json:"result"`
		Error  *json.RawMessage `json:"error"`
	}
	// A probe that keeps "result": null apart from a missing result.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) || !json.Valid(body) {
			return &badMessage{code: jsonrpc2.CodeParseError, msg: "parse error: " + err.Error()}
		}
		return &badMessage{code: jsonrpc2.CodeInvalidRequest, msg: "invalid request: not a JSON object"}
	}
	_, hasResult := fields["result"]
	_, hasError := fields["error"]
	if small, ok := s.setAside(fields); ok {
		body = small
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return &badMessage{code: jsonrpc2.CodeInvalidRequest, msg: "invalid request: " + err.Error()}
	}
	var id *jsonrpc2.ID
	if probe.ID != nil {
		var x jsonrpc2.ID
		if json.Unmarshal(*probe.ID, &x) == nil && string(*probe.ID) != "null" {
			id = &x
		}
	}
	isRequest, isResponse := probe.Method != nil, hasResult || hasError
	switch {
	case !isRequest && !isResponse:
		return &badMessage{code: jsonrpc2.CodeInvalidRequest, id: id, msg: "invalid request: neither method nor result nor error"}
	case isRequest && isResponse:
		return &badMessage{code: jsonrpc2.CodeInvalidRequest, id: id, msg: "invalid request: both method and result or error"}
	}
	if probe.ID != nil && id == nil && string(*probe.ID) != "null" {
		return &badMessage{code: jsonrpc2.CodeInvalidRequest, msg: "invalid request: id must be a number or a string"}
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv.Elem().SetZero()
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &badMessage{code: jsonrpc2.CodeInvalidRequest, id: id, msg: "invalid request: " + err.Error()}
	}
	return nil
}

// indexFold finds sub (lower case ASCII) in line, ignoring ASCII case.
func indexFold(line []byte, sub string) int {
	for i := 0; i+len(sub) <= len(line); i++ {
		j := 0
		for j < len(sub) && lower(line[i+j]) == sub[j] {
			j++
		}
		if j == len(sub) {
			return i
		}
	}
	return -1
}

func clip(b []byte) string {
	const n = 60
	if len(b) > n {
		b = b[:n]
	}
	return strings.ToValidUTF8(string(b), "?")
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// isToken reports whether a header name is an HTTP token, as LSP's headers are.
func isToken(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		if !(c == '-' || c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

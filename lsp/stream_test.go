package lsp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/sourcegraph/jsonrpc2"
)

// pipe is an io.ReadWriteCloser reading from in and writing to out.
type pipe struct {
	io.Reader
	out *bytes.Buffer
}

func (p pipe) Write(b []byte) (int, error) { return p.out.Write(b) }
func (pipe) Close() error                  { return nil }

func framed(body string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body) }

// readAll reads every object from input and returns the requests read
// and the errors the stream answered with.
func readAll(t testing.TB, input string, max int64) (reqs []jsonrpc2.Request, answers []errorResponse) {
	var out bytes.Buffer
	s := NewStream(pipe{strings.NewReader(input), &out}, max, nil)
	for {
		var r jsonrpc2.Request
		if err := s.ReadObject(&r); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("ReadObject ended with %v", err)
			}
			break
		}
		reqs = append(reqs, r)
	}
	// What the stream wrote must itself be well framed.
	br := bufio.NewReader(&out)
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF && line == "" {
			break
		}
		n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "Content-Length: ")))
		if err != nil {
			t.Fatalf("stream wrote a bad header %q", line)
		}
		if l, _ := br.ReadString('\n'); l != "\r\n" {
			t.Fatalf("stream wrote no blank line after its header")
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(br, body); err != nil {
			t.Fatalf("stream wrote a short body")
		}
		var e errorResponse
		if err := json.Unmarshal(body, &e); err != nil || e.Error == nil {
			t.Fatalf("stream wrote %q, not an error response", body)
		}
		answers = append(answers, e)
	}
	return reqs, answers
}

func TestStreamRecovers(t *testing.T) {
	ok := framed(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`)
	for _, tc := range []struct {
		name  string
		input string
		code  int64
	}{
		{"bad JSON", framed(`{"jsonrpc":`), -32700},
		{"empty body", framed(``), -32700},
		{"neither method nor result", framed(`{"jsonrpc":"2.0","id":3}`), -32600},
		{"method and result", framed(`{"jsonrpc":"2.0","id":3,"method":"x","result":1}`), -32600},
		{"batch", framed(`[{"jsonrpc":"2.0","id":3,"method":"x"}]`), -32600},
		{"not an object", framed(`"hello"`), -32600},
		{"bad id", framed(`{"jsonrpc":"2.0","id":[1],"method":"x"}`), -32600},
		{"missing length", "Content-Type: x\r\n\r\n", -32700},
		{"bad length", "Content-Length: -4\r\n\r\n", -32700},
		{"too large", framed(strings.Repeat(" ", 2000)), -32600},
		{"garbage before a header", "{}{}", -32700},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reqs, answers := readAll(t, tc.input+ok, 1000)
			if len(answers) != 1 || answers[0].Error.Code != tc.code {
				t.Fatalf("answers %+v, want one %d", answers, tc.code)
			}
			if len(reqs) != 1 || reqs[0].Method != "initialize" {
				t.Fatalf("the valid message after it was not read: %+v", reqs)
			}
		})
	}
}

func TestStreamAnswersWithID(t *testing.T) {
	_, answers := readAll(t, framed(`{"jsonrpc":"2.0","id":"abc","params":1}`), 0)
	if len(answers) != 1 || answers[0].ID == nil || answers[0].ID.Str != "abc" {
		t.Fatalf("the error does not carry the request's id: %+v", answers)
	}
}

func TestStreamSkipsLargeBodyUnread(t *testing.T) {
	// A body larger than the cap is skipped with bounded memory: the header
	// claims 1 GB, the reader ends early, and nothing panics.
	var out bytes.Buffer
	s := NewStream(pipe{strings.NewReader("Content-Length: 1000000000\r\n\r\n{"), &out}, 1<<20, nil)
	var r jsonrpc2.Request
	if err := s.ReadObject(&r); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want unexpected EOF", err)
	}
}

func TestStreamLongHeaderLine(t *testing.T) {
	// A header line longer than the line limit is cut, and the header at its
	// end still found.
	input := strings.Repeat("x", 100000) + framed(`{"jsonrpc":"2.0","id":1,"method":"m"}`)
	reqs, answers := readAll(t, input, 0)
	if len(reqs) != 1 || len(answers) != 1 {
		t.Fatalf("reqs %+v answers %+v", reqs, answers)
	}
}

// FuzzCodec feeds arbitrary bytes to the stream: it never panics, always
// ends at the end of the input, writes only well-framed error responses, and
// every object it returns is a request.
func FuzzCodec(f *testing.F) {
	f.Add(framed(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`))
	f.Add(framed(`{"jsonrpc":"2.0","id":1}`) + framed(`{bad`))
	f.Add("Content-Length: 5\r\n\r\n{}{}{Content-Length: 2\r\n\r\n{}")
	f.Add("content-length:3\n\n[1]")
	f.Add(framed(`{"jsonrpc":"2.0","method":"x","params":"\xff\xfe"}`))
	f.Fuzz(func(t *testing.T, input string) {
		reqs, _ := readAll(t, input, 1<<16)
		for _, r := range reqs {
			if r.Method == "" && !strings.Contains(input, `"method"`) {
				t.Fatalf("returned a request without a method: %+v", r)
			}
		}
	})
}

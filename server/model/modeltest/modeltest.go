// Package modeltest provides local HTTP servers that speak the OpenAI chat
// completions and Anthropic Messages wire formats and answer from a script,
// turn by turn, recording every request. Tests of the model clients and of
// the closed loop point a model at them with GAUNTLET_MODEL and
// OPENAI_BASE_URL or ANTHROPIC_BASE_URL (see Server.Env).
package modeltest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/server/model"
)

// Reply is one scripted answer.
type Reply struct {
	Text   string      // the assistant's answer, wrapped in the provider's format
	Status int         // HTTP status; 0 means 200
	Header http.Header // extra headers, such as Retry-After
	// Body, if set, is sent as it is instead of a wrapped Text: errors in the
	// provider's format, garbage.
	Body  string
	Delay time.Duration // wait this long first (or until the client gives up)
	Stop  string        // the stop reason; "" means a normal end
}

// Error returns a reply with the provider's error format for status.
func Error(status int, typ, message string) Reply {
	return Reply{Status: status, Body: fmt.Sprintf(`{"type":"error","error":{"type":%q,"message":%q,"code":null}}`, typ, message)}
}

// Request is one request the server received, decoded for assertions.
type Request struct {
	Method, Path string
	Header       http.Header
	Body         []byte // as sent
	Model        string
	System       string          // the system prompt (OpenAI: the system message)
	Messages     []model.Message // without the system message
	MaxTokens    int             // max_tokens or max_completion_tokens
	Temperature  *float64
}

// Server is a scripted provider.
type Server struct {
	URL string // base URL: OPENAI_BASE_URL (ends in /v1) or ANTHROPIC_BASE_URL
	srv *httptest.Server
	t   testing.TB

	provider string
	mu       sync.Mutex
	replies  []Reply
	requests []Request
}

// OpenAI starts a server that speaks OpenAI chat completions at
// URL+"/chat/completions" and answers with replies in turn. It is closed
// when the test ends.
func OpenAI(t testing.TB, replies ...Reply) *Server { return start(t, "openai", replies) }

// Anthropic starts a server that speaks Anthropic Messages at
// URL+"/v1/messages".
func Anthropic(t testing.TB, replies ...Reply) *Server { return start(t, "anthropic", replies) }

func start(t testing.TB, provider string, replies []Reply) *Server {
	s := &Server{t: t, provider: provider, replies: replies}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	if provider == "openai" {
		s.URL += "/v1"
	}
	t.Cleanup(s.srv.Close)
	return s
}

// Env returns the variables that point gauntlet at this server with model
// name, as NAME=value pairs: GAUNTLET_MODEL, the base URL and a test key.
func (s *Server) Env(name string) []string {
	if s.provider == "openai" {
		return []string{"GAUNTLET_MODEL=openai:" + name, "OPENAI_BASE_URL=" + s.URL, "OPENAI_API_KEY=test-key"}
	}
	return []string{"GAUNTLET_MODEL=anthropic:" + name, "ANTHROPIC_BASE_URL=" + s.URL, "ANTHROPIC_API_KEY=test-key"}
}

// Add appends replies to the script.
func (s *Server) Add(replies ...Reply) {
	s.mu.Lock()
	s.replies = append(s.replies, replies...)
	s.mu.Unlock()
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Remaining is the number of replies not yet sent.
func (s *Server) Remaining() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.replies)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	s.decode(&req)
	s.mu.Lock()
	s.requests = append(s.requests, req)
	var reply Reply
	ok := len(s.replies) > 0
	if ok {
		reply, s.replies = s.replies[0], s.replies[1:]
	}
	s.mu.Unlock()
	if !ok {
		s.t.Errorf("modeltest: request %d to %s, but the script has no reply left", len(s.Requests()), r.URL.Path)
		http.Error(w, `{"error":{"message":"modeltest: script exhausted","type":"server_error"}}`, http.StatusInternalServerError)
		return
	}
	if reply.Delay > 0 {
		select {
		case <-time.After(reply.Delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, vs := range reply.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	status := reply.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	if reply.Body != "" {
		io.WriteString(w, reply.Body)
		return
	}
	json.NewEncoder(w).Encode(s.wrap(req, reply))
}

// wrap puts text into the provider's answer format.
func (s *Server) wrap(req Request, reply Reply) any {
	in, out := len(req.Body)/4, len(reply.Text)/4
	if s.provider == "anthropic" {
		stop := reply.Stop
		if stop == "" {
			stop = "end_turn"
		}
		return map[string]any{
			"id": "msg_test", "type": "message", "role": "assistant", "model": req.Model,
			"content":     []map[string]any{{"type": "text", "text": reply.Text}},
			"stop_reason": stop, "stop_sequence": nil,
			"usage": map[string]int{"input_tokens": in, "output_tokens": out},
		}
	}
	stop := reply.Stop
	if stop == "" {
		stop = "stop"
	}
	return map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": req.Model,
		"choices": []map[string]any{{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": reply.Text, "refusal": nil},
			"finish_reason": stop,
		}},
		"usage": map[string]int{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out},
	}
}

// decode reads the request body in the provider's format.
func (s *Server) decode(req *Request) {
	var body struct {
		Model               string   `json:"model"`
		System              string   `json:"system"`
		MaxTokens           int      `json:"max_tokens"`
		MaxCompletionTokens int      `json:"max_completion_tokens"`
		Temperature         *float64 `json:"temperature"`
		Messages            []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(req.Body, &body); err != nil {
		s.t.Errorf("modeltest: request body is not JSON: %v\n%s", err, req.Body)
		return
	}
	req.Model, req.System, req.Temperature = body.Model, body.System, body.Temperature
	req.MaxTokens = max(body.MaxTokens, body.MaxCompletionTokens)
	for _, m := range body.Messages {
		text := content(m.Content)
		if m.Role == "system" {
			req.System = text
			continue
		}
		req.Messages = append(req.Messages, model.Message{Role: model.Role(m.Role), Content: text})
	}
}

// content reads a message's content: a string or a list of text blocks.
func content(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var blocks []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	json.Unmarshal(raw, &blocks)
	var b strings.Builder
	for _, bl := range blocks {
		b.WriteString(bl.Text)
	}
	return b.String()
}

// Package model provides the language models that propose edits to the
// closed loop, as one small interface over HTTP clients for three wire
// formats: OpenAI-compatible chat completions (OpenAI and any server that
// speaks it), Ollama through its OpenAI-compatible endpoint, and Anthropic
// Messages.
//
// Which model, if any, comes from GAUNTLET_MODEL or the model: section of
// .gauntlet.yaml (Resolve); New turns that into a Model, or into nil when no
// model is configured, which is a normal state: the loop then works from the
// analyzers' own fixes.
//
// Every request has a timeout; 429 and 5xx answers are retried with
// exponential backoff and jitter, honouring Retry-After, a bounded number of
// times; errors are *Error values that say what to check. API keys are read
// from the environment at each request and never appear in errors or logs;
// a key found in a prompt's text (test output that printed the
// environment) is removed before the request leaves.
package model

import (
	"context"
	"errors"
	"fmt"
)

// Model is a language model: it completes a conversation.
type Model interface {
	Complete(ctx context.Context, req Request) (Response, error)
}

// Func adapts a function to Model (tests, scripted models).
type Func func(ctx context.Context, req Request) (Response, error)

// Complete calls f.
func (f Func) Complete(ctx context.Context, req Request) (Response, error) { return f(ctx, req) }

// Role says who wrote a message.
type Role string

const (
	User      Role = "user"
	Assistant Role = "assistant"
)

// Message is one turn of the conversation.
type Message struct {
	Role    Role
	Content string
}

// Request is one completion: a system prompt and the conversation so far,
// which starts and ends with a user message and alternates.
type Request struct {
	System      string
	Messages    []Message
	MaxTokens   int      // longest answer, in tokens; 0 = the configured default
	Temperature *float64 // nil = the configured default
}

// Validate reports a request no provider would take.
func (r Request) Validate() error {
	if len(r.Messages) == 0 {
		return errors.New("model request has no messages")
	}
	for i, m := range r.Messages {
		want := User
		if i%2 == 1 {
			want = Assistant
		}
		if m.Role != want {
			return fmt.Errorf("model request: message %d is from %q, want %q (messages alternate, starting with the user)", i+1, m.Role, want)
		}
	}
	if r.Messages[len(r.Messages)-1].Role != User {
		return errors.New("model request: the last message must be the user's")
	}
	if r.MaxTokens < 0 {
		return fmt.Errorf("model request: max tokens %d is negative", r.MaxTokens)
	}
	return nil
}

// Response is the model's answer.
type Response struct {
	Text  string
	Usage Usage
	Model string // the model that answered, as the provider names it
	// Stop is why the model stopped, in the provider's words ("stop",
	// "end_turn", "length", "max_tokens", ...).
	Stop      string
	Truncated bool // the answer was cut off at the token limit
}

// Usage counts the tokens of one completion.
type Usage struct {
	InputTokens  int
	OutputTokens int
}

// Kind classifies a failure by what the user can do about it.
type Kind int

const (
	KindOther      Kind = iota
	KindAuth            // the key is missing, wrong or not allowed: check the key variable
	KindNotFound        // the model (or the endpoint) does not exist: check the model name or base URL
	KindBadRequest      // the provider refused the request as malformed or too large
	KindRateLimit       // 429, still after the retries
	KindServer          // 5xx, still after the retries
	KindConnect         // no connection: the server is not running or the URL is wrong
	KindTimeout         // no answer within the timeout
	KindBadAnswer       // an answer that is not what the wire format promises
)

var kindNames = [...]string{"error", "auth", "not-found", "bad-request", "rate-limit", "server", "connect", "timeout", "bad-answer"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is a failed completion. Its message says what happened and what to
// check; it never holds an API key.
type Error struct {
	Provider string // "openai", "anthropic", "ollama"
	Kind     Kind
	Status   int    // the HTTP status, or 0 when there was no answer
	Message  string // what happened, with the provider's own words if any
	Hint     string // what to check, or ""
	Attempts int    // requests made, retries included
	Err      error  // the underlying error (network, JSON), if any

	retryable  bool
	retryAfter string // the Retry-After header, as sent
}

func (e *Error) Error() string {
	s := e.Message
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Fatal reports whether err means the model cannot be used at all until the
// user changes something (a key, a name, a URL, a running server), so that a
// loop should stop asking it rather than try the next problem.
func Fatal(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Kind {
	case KindAuth, KindNotFound, KindConnect:
		return true
	}
	return false
}

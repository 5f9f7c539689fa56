package model

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/redact"
)

// maxBody bounds the answer read from a provider.
const maxBody = 32 << 20

// wire is one provider's wire format.
type wire interface {
	encode(s Spec, r Request) ([]byte, error)
	header(h http.Header, key string)
	decode(body []byte) (Response, error) // a 2xx body
}

// client is a Model over HTTP. It holds the name of the variable with the
// key, never the key: the key is read at each request.
type client struct {
	spec     Spec
	wire     wire
	endpoint string
	hc       *http.Client
	log      *slog.Logger
	retries  int
	backoff  time.Duration // the first retry's wait, before jitter
	maxWait  time.Duration
	getenv   func(string) string
	sleep    func(ctx context.Context, d time.Duration) error
}

func (c *client) Complete(ctx context.Context, req Request) (Response, error) {
	if err := req.Validate(); err != nil {
		return Response{}, err
	}
	req = c.scrub(req)
	body, err := c.wire.encode(c.spec, req)
	if err != nil {
		return Response{}, fmt.Errorf("%s: encode request: %w", c.spec.Provider, err)
	}
	for attempt := 1; ; attempt++ {
		resp, e := c.once(ctx, body)
		if e == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return Response{}, fmt.Errorf("%s: %w", c.spec.Provider, ctx.Err())
		}
		e.Attempts = attempt
		if !e.retryable || attempt > c.retries {
			c.log.Warn("model request failed", "provider", c.spec.Provider, "status", e.Status, "kind", e.Kind.String(), "error", e.Error())
			return Response{}, e
		}
		wait, ok := c.wait(attempt, e.retryAfter)
		if !ok {
			e.Hint = fmt.Sprintf("the provider asks to wait %s: try again later", wait.Round(time.Second))
			return Response{}, e
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return Response{}, e
		}
		c.log.Warn("model request failed; retrying", "provider", c.spec.Provider, "status", e.Status, "error", e.Message, "attempt", attempt, "wait", wait.String())
		if err := c.sleep(ctx, wait); err != nil {
			return Response{}, fmt.Errorf("%s: %w", c.spec.Provider, err)
		}
	}
}

// once makes one request.
func (c *client) once(ctx context.Context, body []byte) (Response, *Error) {
	actx, cancel := context.WithTimeout(ctx, c.spec.Timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(actx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return Response{}, c.errorf(KindOther, 0, err, "", "bad request URL %s", redactURL(c.endpoint))
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", "gauntlet")
	c.wire.header(hreq.Header, c.key())
	hresp, err := c.hc.Do(hreq)
	if err != nil {
		return Response{}, c.transportError(ctx, actx, err)
	}
	defer hresp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(hresp.Body, maxBody+1))
	if err != nil {
		e := c.transportError(ctx, actx, err)
		if e.Kind == KindConnect {
			e.Kind, e.retryable = KindServer, true // the connection broke mid-answer
		}
		return Response{}, e
	}
	if len(data) > maxBody {
		return Response{}, c.errorf(KindBadAnswer, hresp.StatusCode, nil, c.checkURL(), "%s answered with more than %d MiB", c.spec.Provider, maxBody>>20)
	}
	if hresp.StatusCode < 200 || hresp.StatusCode > 299 {
		return Response{}, c.statusError(hresp, data)
	}
	resp, err := c.wire.decode(data)
	if err == nil {
		resp.Text = capAnswer(resp.Text)
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Provider = c.spec.Provider
			e.Message = c.redact(c.spec.Provider + ": " + e.Message)
			return Response{}, e
		}
		return Response{}, c.errorf(KindBadAnswer, hresp.StatusCode, err, c.checkURL()+" points at an "+c.format()+" API",
			"%s answered %d with something that is not an %s answer: %v; the answer began: %s",
			c.spec.Provider, hresp.StatusCode, c.format(), err, snippet(c.redact(string(data))))
	}
	return resp, nil
}

func (c *client) key() string {
	if c.spec.APIKeyEnv == "" {
		return ""
	}
	return c.getenv(c.spec.APIKeyEnv)
}

func (c *client) format() string {
	if _, ok := c.wire.(anthropicWire); ok {
		return "Anthropic Messages"
	}
	return "OpenAI chat completions"
}

// checkURL names the setting that holds the base URL.
func (c *client) checkURL() string {
	if c.spec.BaseURLFrom != "" {
		return "check " + c.spec.BaseURLFrom
	}
	switch c.spec.Provider {
	case "openai":
		return "check OPENAI_BASE_URL"
	case "anthropic":
		return "check ANTHROPIC_BASE_URL"
	}
	return "check OLLAMA_HOST"
}

func (c *client) errorf(kind Kind, status int, err error, hint, format string, args ...any) *Error {
	return &Error{Provider: c.spec.Provider, Kind: kind, Status: status, Err: err, Hint: hint, Message: c.redact(fmt.Sprintf(format, args...))}
}

func (c *client) transportError(ctx, actx context.Context, err error) *Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = redactURL(ue.URL)
	}
	at := siteOf(c.endpoint)
	switch {
	case ctx.Err() != nil:
		return c.errorf(KindOther, 0, ctx.Err(), "", "%s: %v", c.spec.Provider, ctx.Err())
	case errors.Is(actx.Err(), context.DeadlineExceeded):
		return c.errorf(KindTimeout, 0, err, "raise model.timeout in "+config.FileName+", or use a faster model",
			"no answer from %s at %s within %s", c.spec.Provider, at, c.spec.Timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		hint := "is the server running? (" + strings.TrimPrefix(c.checkURL(), "check ") + ")"
		if c.spec.Provider == "ollama" {
			hint = "is Ollama running? (" + strings.TrimPrefix(c.checkURL(), "check ") + ")"
		}
		return c.errorf(KindConnect, 0, err, hint, "connection refused at %s", at)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		e := c.errorf(KindServer, 0, err, "", "%s closed the connection: %v", at, err)
		e.retryable = true
		return e
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return c.errorf(KindConnect, 0, err, c.checkURL(), "cannot resolve the host of %s: %v", at, dns)
	}
	return c.errorf(KindConnect, 0, err, c.checkURL(), "request to %s failed: %v", at, err)
}

// apiError is the error object of all three providers:
// {"error": {"message", "type", "code"}} (OpenAI, Ollama),
// {"type": "error", "error": {"type", "message"}} (Anthropic), or
// {"error": "message"} (Ollama's native API, some proxies).
type apiError struct {
	Type, Code, Message string
}

func parseAPIError(data []byte) (apiError, bool) {
	var body struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(data, &body) != nil || len(body.Error) == 0 || string(body.Error) == "null" {
		return apiError{}, false
	}
	var s string
	if json.Unmarshal(body.Error, &s) == nil {
		return apiError{Message: s}, s != ""
	}
	var o struct {
		Message string          `json:"message"`
		Type    string          `json:"type"`
		Code    json.RawMessage `json:"code"`
	}
	if json.Unmarshal(body.Error, &o) != nil {
		return apiError{}, false
	}
	e := apiError{Type: o.Type, Message: o.Message}
	if json.Unmarshal(o.Code, &e.Code) != nil && len(o.Code) > 0 && string(o.Code) != "null" {
		e.Code = string(o.Code)
	}
	return e, e.Message != "" || e.Type != ""
}

func (c *client) statusError(hresp *http.Response, data []byte) *Error {
	status := hresp.StatusCode
	ae, ok := parseAPIError(data)
	msg := ae.Message
	if !ok || msg == "" {
		msg = strings.TrimSpace(string(data))
		if msg == "" || !utf8.ValidString(msg) || strings.HasPrefix(msg, "<") {
			msg = http.StatusText(status)
		}
	}
	if ae.Type != "" && ae.Type != "error" && !strings.Contains(msg, ae.Type) {
		msg = ae.Type + ": " + msg
	}
	e := c.errorf(KindOther, status, nil, "", "%d from %s: %s", status, c.spec.Provider, snippet(msg))
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Kind = KindAuth
		switch {
		case c.spec.APIKeyEnv == "":
			e.Hint = "the server wants an API key: name the variable that holds it in model.api_key_env in " + config.FileName
		case c.key() == "":
			e.Hint = "check " + c.spec.APIKeyEnv + " (it is not set)"
		default:
			e.Hint = "check " + c.spec.APIKeyEnv
		}
	case modelMissing(status, ae, msg):
		e.Kind = KindNotFound
		e.Hint = "model not found: check " + or(c.spec.NameFrom, Env) + " (" + c.spec.String() + ")"
		if c.spec.Provider == "ollama" {
			e.Hint += "; is it pulled? (ollama pull " + c.spec.Name + ")"
		}
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		e.Kind = KindNotFound
		e.Hint = "no " + c.format() + " API at " + redactURL(c.endpoint) + ": " + c.checkURL()
	case status == http.StatusTooManyRequests:
		e.Kind = KindRateLimit
		if ae.Code == "insufficient_quota" || ae.Type == "insufficient_quota" {
			e.Hint = "the account behind " + c.spec.APIKeyEnv + " has no quota left"
			break
		}
		e.retryable = true
		e.retryAfter = retryAfter(hresp.Header)
		e.Hint = "rate limited: try again later, or check the limits of the account behind " + or(c.spec.APIKeyEnv, "the server")
	case status == http.StatusRequestTimeout || status >= 500:
		e.Kind = KindServer
		e.retryable = true
		e.retryAfter = retryAfter(hresp.Header)
		e.Hint = "the provider is failing: try again later"
	case status == http.StatusRequestEntityTooLarge:
		e.Kind = KindBadRequest
		e.Hint = "the prompt is too large: lower the loop's token budget"
	default:
		e.Kind = KindBadRequest
	}
	return e
}

func modelMissing(status int, ae apiError, msg string) bool {
	if status != http.StatusNotFound && status != http.StatusBadRequest && status != http.StatusUnprocessableEntity {
		return false
	}
	if ae.Code == "model_not_found" || ae.Type == "not_found_error" && strings.Contains(strings.ToLower(ae.Message), "model") {
		return true
	}
	m := strings.ToLower(msg)
	return strings.Contains(m, "model") && (strings.Contains(m, "not found") || strings.Contains(m, "does not exist") ||
		strings.Contains(m, "not exist") || strings.Contains(m, "unknown model") || strings.Contains(m, "invalid model"))
}

func retryAfter(h http.Header) string {
	if ms := h.Get("Retry-After-Ms"); ms != "" {
		return ms + "ms"
	}
	return h.Get("Retry-After")
}

// wait returns how long to wait before retry number attempt: what
// Retry-After asks (seconds, an HTTP date, or our "Nms"), else exponential
// backoff with jitter. ok is false when the wait asked for is longer than
// the client is willing to wait.
func (c *client) wait(attempt int, after string) (time.Duration, bool) {
	if after != "" {
		var d time.Duration
		parsed := true
		if ms, ok := strings.CutSuffix(after, "ms"); ok {
			f, err := strconv.ParseFloat(ms, 64)
			d, parsed = time.Duration(f*float64(time.Millisecond)), err == nil
		} else if f, err := strconv.ParseFloat(strings.TrimSpace(after), 64); err == nil {
			d = time.Duration(f * float64(time.Second))
		} else if t, err := http.ParseTime(after); err == nil {
			d = time.Until(t)
		} else {
			parsed = false
		}
		if parsed {
			d = max(d, 0)
			return d, d <= c.maxWait
		}
	}
	d := c.backoff << (attempt - 1)
	if d > c.maxWait || d <= 0 {
		d = c.maxWait
	}
	// Equal jitter: half fixed, half random.
	return d/2 + rand.N(d/2+1), true
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// scrub removes API keys from a request before it leaves the process: a
// prompt quotes test output and files, which could hold the environment.
// The keys are those of every provider gauntlet knows, so that one
// provider's key never reaches another.
func (c *client) scrub(req Request) Request {
	var keys []string
	for _, v := range []string{c.spec.APIKeyEnv, "OPENAI_API_KEY", "ANTHROPIC_API_KEY"} {
		if v == "" {
			continue
		}
		if k := c.getenv(v); len(k) >= 8 {
			keys = append(keys, k)
		}
	}
	clean := func(s string) string {
		if r := redact.String(s); r != s {
			c.log.Warn("a secret value of the environment was removed from a prompt", "provider", c.spec.Provider)
			s = r
		}
		for _, k := range keys {
			if strings.Contains(s, k) {
				c.log.Warn("an API key was removed from a prompt", "provider", c.spec.Provider)
				s = strings.ReplaceAll(s, k, "[redacted]")
			}
		}
		return s
	}
	req.System = clean(req.System)
	req.Messages = append([]Message(nil), req.Messages...)
	for i := range req.Messages {
		req.Messages[i].Content = clean(req.Messages[i].Content)
	}
	return req
}

// keyLike matches strings shaped like API keys (OpenAI's sk-..., sk-proj-...,
// Anthropic's sk-ant-...), even partly masked.
var keyLike = regexp.MustCompile(`\bsk-[A-Za-z0-9_*\-]{6,}`)

// redact removes the API key, and anything shaped like one, from s.
func (c *client) redact(s string) string {
	if k := c.key(); len(k) >= 4 {
		s = strings.ReplaceAll(s, k, "[redacted]")
	}
	return keyLike.ReplaceAllString(s, "[redacted]")
}

// redactURL hides a password in a URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}

// siteOf is scheme://host of a URL, for messages.
func siteOf(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return redactURL(s)
	}
	return u.Scheme + "://" + u.Host
}

// snippet shortens a provider's text for a message: one line, 300 bytes.
func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		cut := 300
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// MaxAnswer caps the text of a model's answer before it is parsed or
// echoed: the head and the tail are kept, as with test output.
const MaxAnswer = 1 << 20

func capAnswer(s string) string {
	if len(s) <= MaxAnswer {
		return s
	}
	cut := len(s) - MaxAnswer
	return s[:MaxAnswer/2] + fmt.Sprintf("\n... %d bytes cut ...\n", cut) + s[len(s)-MaxAnswer/2:]
}

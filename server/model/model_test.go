package model_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/server/model"
	"github.com/gauntlet-dev/gauntlet/server/model/modeltest"
)

// env is a fake environment.
type env map[string]string

func (e env) get(k string) string { return e[k] }

func float(f float64) *float64 { return &f }

// open makes the model that env and c describe, with retries recorded
// rather than slept.
func open(t *testing.T, e env, c config.Model, opts ...model.Option) (model.Model, *[]time.Duration) {
	t.Helper()
	var mu sync.Mutex
	var waits []time.Duration
	opts = append([]model.Option{
		model.WithGetenv(e.get),
		model.WithSleep(func(_ context.Context, d time.Duration) error {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			return nil
		}),
	}, opts...)
	m, _, err := model.Open(c, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if m == nil {
		t.Fatal("no model")
	}
	return m, &waits
}

var hello = model.Request{System: "You fix code.", Messages: []model.Message{{Role: model.User, Content: "Fix calc.go."}}}

func TestResolve(t *testing.T) {
	yaml := config.Model{Provider: "openai", Name: "gpt-4o", BaseURL: "https://proxy.example/v1", APIKeyEnv: "MY_KEY", Timeout: time.Minute, MaxTokens: 2000, Temperature: float(0.2)}
	cases := []struct {
		name string
		env  env
		cfg  config.Model
		want model.Spec
		err  string
	}{
		{name: "nothing configured", want: model.Spec{Provider: "none"}},
		{name: "none wins over the file", env: env{"GAUNTLET_MODEL": "none"}, cfg: yaml, want: model.Spec{Provider: "none"}},
		{name: "the file", cfg: yaml, want: model.Spec{Provider: "openai", Name: "gpt-4o", BaseURL: "https://proxy.example/v1", APIKeyEnv: "MY_KEY",
			Timeout: time.Minute, MaxTokens: 2000, Temperature: float(0.2), NameFrom: "model.name in .gauntlet.yaml", BaseURLFrom: "model.base_url in .gauntlet.yaml"}},
		{name: "the variable picks the model, the file the rest", env: env{"GAUNTLET_MODEL": "openai:gpt-4.1", "OPENAI_BASE_URL": "http://ignored/v1"}, cfg: yaml,
			want: model.Spec{Provider: "openai", Name: "gpt-4.1", BaseURL: "https://proxy.example/v1", APIKeyEnv: "MY_KEY",
				Timeout: time.Minute, MaxTokens: 2000, Temperature: float(0.2), NameFrom: "GAUNTLET_MODEL", BaseURLFrom: "model.base_url in .gauntlet.yaml"}},
		{name: "another provider drops the file's URL and key", env: env{"GAUNTLET_MODEL": "anthropic:claude-x", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9/"}, cfg: yaml,
			want: model.Spec{Provider: "anthropic", Name: "claude-x", BaseURL: "http://127.0.0.1:9", APIKeyEnv: "ANTHROPIC_API_KEY",
				Timeout: time.Minute, MaxTokens: 2000, Temperature: float(0.2), NameFrom: "GAUNTLET_MODEL", BaseURLFrom: "ANTHROPIC_BASE_URL"}},
		{name: "openai defaults", env: env{"GAUNTLET_MODEL": "openai:gpt-4o"},
			want: model.Spec{Provider: "openai", Name: "gpt-4o", BaseURL: "https://api.openai.com/v1", APIKeyEnv: "OPENAI_API_KEY", Timeout: 120 * time.Second, NameFrom: "GAUNTLET_MODEL"}},
		{name: "ollama default host, name with a colon", env: env{"GAUNTLET_MODEL": "ollama:qwen2.5-coder:7b"},
			want: model.Spec{Provider: "ollama", Name: "qwen2.5-coder:7b", BaseURL: "http://localhost:11434/v1", Timeout: 120 * time.Second, NameFrom: "GAUNTLET_MODEL"}},
		{name: "OLLAMA_HOST without scheme or port", env: env{"GAUNTLET_MODEL": "ollama:llama3", "OLLAMA_HOST": "gpu-box"},
			want: model.Spec{Provider: "ollama", Name: "llama3", BaseURL: "http://gpu-box:11434/v1", Timeout: 120 * time.Second, NameFrom: "GAUNTLET_MODEL", BaseURLFrom: "OLLAMA_HOST"}},
		{name: "OLLAMA_HOST with scheme", env: env{"GAUNTLET_MODEL": "ollama:llama3", "OLLAMA_HOST": "https://ollama.example:8443/"},
			want: model.Spec{Provider: "ollama", Name: "llama3", BaseURL: "https://ollama.example:8443/v1", Timeout: 120 * time.Second, NameFrom: "GAUNTLET_MODEL", BaseURLFrom: "OLLAMA_HOST"}},
		{name: "bad variable", env: env{"GAUNTLET_MODEL": "gpt-4o"}, err: "GAUNTLET_MODEL=gpt-4o: want openai:NAME, anthropic:NAME, ollama:NAME or none"},
		{name: "no name", env: env{"GAUNTLET_MODEL": "openai:"}, err: "GAUNTLET_MODEL=openai:: the model name is missing (for example openai:gpt-4o)"},
		{name: "file without a name", cfg: config.Model{Provider: "anthropic"}, err: ".gauntlet.yaml: model.name is missing: provider anthropic needs a model name (for example claude-sonnet-4-5), or set GAUNTLET_MODEL"},
		{name: "bad base URL", env: env{"GAUNTLET_MODEL": "openai:x", "OPENAI_BASE_URL": "localhost:8080"}, err: `OPENAI_BASE_URL: "localhost:8080" is not an http:// or https:// URL`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := model.Resolve(c.cfg, c.env.get)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("got error %v, want %s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, c.want)
			}
		})
	}
}

func TestNone(t *testing.T) {
	m, s, err := model.Open(config.Model{Provider: "openai", Name: "gpt-4o"}, model.WithGetenv(env{"GAUNTLET_MODEL": "none"}.get))
	if err != nil || m != nil || !s.None() || s.String() != "none" {
		t.Errorf("Open with GAUNTLET_MODEL=none = %v, %v, %v; want a nil model", m, s, err)
	}
}

func TestMissingKey(t *testing.T) {
	_, _, err := model.Open(config.Model{}, model.WithGetenv(env{"GAUNTLET_MODEL": "anthropic:claude-x"}.get))
	if err == nil || err.Error() != "anthropic: ANTHROPIC_API_KEY is not set: export the API key in it" {
		t.Errorf("got %v", err)
	}
	_, _, err = model.Open(config.Model{Temperature: float(1.5)}, model.WithGetenv(env{"GAUNTLET_MODEL": "anthropic:claude-x", "ANTHROPIC_API_KEY": "k"}.get))
	if err == nil || !strings.Contains(err.Error(), "temperature 1.5 is outside 0..1") {
		t.Errorf("got %v", err)
	}
}

func TestOpenAIRequest(t *testing.T) {
	srv := modeltest.OpenAI(t, modeltest.Reply{Text: "calc.go\n<<<<<<< SEARCH\n..."})
	m, _ := open(t, env{"GAUNTLET_MODEL": "openai:gpt-test", "OPENAI_BASE_URL": srv.URL, "OPENAI_API_KEY": "k-123"},
		config.Model{Provider: "openai", MaxTokens: 1000, Temperature: float(0)})
	req := hello
	req.Messages = append(req.Messages, model.Message{Role: model.Assistant, Content: "an answer"}, model.Message{Role: model.User, Content: "rejected; again"})
	resp, err := m.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "calc.go\n<<<<<<< SEARCH\n..." || resp.Model != "gpt-test" || resp.Stop != "stop" || resp.Truncated || resp.Usage.InputTokens == 0 {
		t.Errorf("response %+v", resp)
	}
	r := srv.Requests()[0]
	if r.Method != "POST" || r.Path != "/v1/chat/completions" {
		t.Errorf("request to %s %s", r.Method, r.Path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer k-123" {
		t.Errorf("Authorization: %q", got)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type: %q", got)
	}
	var raw map[string]any
	json.Unmarshal(r.Body, &raw)
	want := map[string]any{
		"model": "gpt-test",
		"messages": []any{
			map[string]any{"role": "system", "content": "You fix code."},
			map[string]any{"role": "user", "content": "Fix calc.go."},
			map[string]any{"role": "assistant", "content": "an answer"},
			map[string]any{"role": "user", "content": "rejected; again"},
		},
		"max_tokens":  float64(1000), // not api.openai.com: the widely copied field
		"temperature": float64(0),    // zero is sent, not omitted
		"stream":      false,
	}
	if !reflect.DeepEqual(raw, want) {
		t.Errorf("body\n%s\nwant\n%v", r.Body, want)
	}
}

func TestAnthropicRequest(t *testing.T) {
	srv := modeltest.Anthropic(t, modeltest.Reply{Text: "an edit", Stop: "max_tokens"})
	m, _ := open(t, env{"GAUNTLET_MODEL": "anthropic:claude-test", "ANTHROPIC_BASE_URL": srv.URL, "ANTHROPIC_API_KEY": "k-456"}, config.Model{})
	resp, err := m.Complete(context.Background(), hello)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "an edit" || !resp.Truncated || resp.Stop != "max_tokens" {
		t.Errorf("response %+v", resp)
	}
	r := srv.Requests()[0]
	if r.Path != "/v1/messages" || r.Header.Get("X-Api-Key") != "k-456" || r.Header.Get("Anthropic-Version") != "2023-06-01" || r.Header.Get("Authorization") != "" {
		t.Errorf("request %s with headers %v", r.Path, r.Header)
	}
	var raw map[string]any
	json.Unmarshal(r.Body, &raw)
	want := map[string]any{
		"model":      "claude-test",
		"max_tokens": float64(4096),
		"system":     "You fix code.",
		"messages":   []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "Fix calc.go."}}}},
	}
	if !reflect.DeepEqual(raw, want) {
		t.Errorf("body\n%s\nwant\n%v", r.Body, want)
	}
}

func TestOllama(t *testing.T) {
	srv := modeltest.OpenAI(t, modeltest.Reply{Text: "ok"})
	host := strings.TrimSuffix(strings.TrimPrefix(srv.URL, "http://"), "/v1")
	m, _ := open(t, env{"GAUNTLET_MODEL": "ollama:qwen2.5-coder:7b", "OLLAMA_HOST": host, "OPENAI_API_KEY": "not-for-ollama"}, config.Model{})
	if _, err := m.Complete(context.Background(), hello); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if r.Path != "/v1/chat/completions" || r.Model != "qwen2.5-coder:7b" || r.Header.Get("Authorization") != "" {
		t.Errorf("request %s for %s with Authorization %q", r.Path, r.Model, r.Header.Get("Authorization"))
	}
}

func TestRetry(t *testing.T) {
	date := time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat)
	srv := modeltest.Anthropic(t,
		modeltest.Error(500, "api_error", "Internal server error"),
		modeltest.Reply{Status: 429, Header: http.Header{"Retry-After": {"2"}}, Body: `{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`},
		modeltest.Reply{Status: 529, Header: http.Header{"Retry-After": {date}}, Body: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`},
		modeltest.Reply{Text: "finally"},
	)
	m, waits := open(t, env{"GAUNTLET_MODEL": "anthropic:c", "ANTHROPIC_BASE_URL": srv.URL, "ANTHROPIC_API_KEY": "k"}, config.Model{},
		model.WithBackoff(time.Second, 30*time.Second))
	resp, err := m.Complete(context.Background(), hello)
	if err != nil || resp.Text != "finally" {
		t.Fatalf("got %+v, %v", resp, err)
	}
	if len(srv.Requests()) != 4 || len(*waits) != 3 {
		t.Fatalf("%d requests, %d waits; want 4 and 3", len(srv.Requests()), len(*waits))
	}
	w := *waits
	if w[0] < 500*time.Millisecond || w[0] > time.Second {
		t.Errorf("first backoff %v, want 0.5s..1s (1s with jitter)", w[0])
	}
	if w[1] != 2*time.Second {
		t.Errorf("Retry-After: 2 waited %v", w[1])
	}
	if w[2] < time.Second || w[2] > 3*time.Second {
		t.Errorf("Retry-After as a date 3s ahead waited %v", w[2])
	}
}

func TestRetryGivesUp(t *testing.T) {
	var replies []modeltest.Reply
	for i := 0; i < 5; i++ {
		replies = append(replies, modeltest.Error(503, "server_error", "The server is overloaded"))
	}
	srv := modeltest.OpenAI(t, replies...)
	m, waits := open(t, env{"GAUNTLET_MODEL": "openai:x", "OPENAI_BASE_URL": srv.URL, "OPENAI_API_KEY": "k"}, config.Model{})
	_, err := m.Complete(context.Background(), hello)
	want := "503 from openai: server_error: The server is overloaded (after 5 attempts): the provider is failing: try again later"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if len(*waits) != 4 {
		t.Errorf("%d waits, want 4", len(*waits))
	}
	for i := 1; i < len(*waits); i++ {
		if (*waits)[i] < (*waits)[i-1]/2 {
			t.Errorf("backoff does not grow: %v", *waits)
		}
	}
	var e *model.Error
	if !errors.As(err, &e) || e.Kind != model.KindServer || e.Status != 503 || model.Fatal(err) {
		t.Errorf("error %#v", err)
	}

	// A Retry-After beyond the longest wait ends the retries at once.
	srv = modeltest.OpenAI(t, modeltest.Reply{Status: 429, Header: http.Header{"Retry-After": {"3600"}}, Body: `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`})
	m, _ = open(t, env{"GAUNTLET_MODEL": "openai:x", "OPENAI_BASE_URL": srv.URL, "OPENAI_API_KEY": "k"}, config.Model{})
	_, err = m.Complete(context.Background(), hello)
	if want := "429 from openai: requests: Rate limit reached: the provider asks to wait 1h0m0s: try again later"; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestErrors(t *testing.T) {
	type setup struct {
		provider string // openai, anthropic, ollama
		reply    modeltest.Reply
		want     string
		kind     model.Kind
	}
	cases := []setup{
		{"openai", modeltest.Reply{Status: 401, Body: `{"error":{"message":"Incorrect API key provided: sk-proj-****************abcd. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`},
			"401 from openai: invalid_request_error: Incorrect API key provided: [redacted]. You can find your API key at https://platform.openai.com/account/api-keys.: check OPENAI_API_KEY", model.KindAuth},
		{"openai", modeltest.Reply{Status: 404, Body: `{"error":{"message":"The model ` + "`gpt-9`" + ` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}`},
			"404 from openai: invalid_request_error: The model `gpt-9` does not exist or you do not have access to it.: model not found: check GAUNTLET_MODEL (openai:m)", model.KindNotFound},
		{"ollama", modeltest.Reply{Status: 404, Body: `{"error":{"message":"model \"m\" not found, try pulling it first","type":"api_error","param":null,"code":null}}`},
			`404 from ollama: api_error: model "m" not found, try pulling it first: model not found: check GAUNTLET_MODEL (ollama:m); is it pulled? (ollama pull m)`, model.KindNotFound},
		{"anthropic", modeltest.Error(404, "not_found_error", "model: claude-nope"),
			"404 from anthropic: not_found_error: model: claude-nope: model not found: check GAUNTLET_MODEL (anthropic:m)", model.KindNotFound},
		{"openai", modeltest.Reply{Status: 404, Body: "404 page not found"},
			"404 from openai: 404 page not found: no OpenAI chat completions API at {url}/chat/completions: check OPENAI_BASE_URL", model.KindNotFound},
		{"anthropic", modeltest.Error(400, "invalid_request_error", "messages: roles must alternate"),
			"400 from anthropic: invalid_request_error: messages: roles must alternate", model.KindBadRequest},
		{"anthropic", modeltest.Error(413, "request_too_large", "Request exceeds the maximum allowed number of bytes."),
			"413 from anthropic: request_too_large: Request exceeds the maximum allowed number of bytes.: the prompt is too large: lower the loop's token budget", model.KindBadRequest},
		{"openai", modeltest.Reply{Status: 429, Body: `{"error":{"message":"You exceeded your current quota.","type":"insufficient_quota","code":"insufficient_quota"}}`},
			"429 from openai: insufficient_quota: You exceeded your current quota.: the account behind OPENAI_API_KEY has no quota left", model.KindRateLimit},
		{"openai", modeltest.Reply{Body: "<html><body>Welcome to nginx!</body></html>"},
			"openai answered 200 with something that is not an OpenAI chat completions answer: invalid character '<' looking for beginning of value; the answer began: <html><body>Welcome to nginx!</body></html>: check OPENAI_BASE_URL points at an OpenAI chat completions API", model.KindBadAnswer},
		{"openai", modeltest.Reply{Body: `{"object":"list","data":[]}`},
			`openai answered 200 with something that is not an OpenAI chat completions answer: it has no choices[0].message; the answer began: {"object":"list","data":[]}: check OPENAI_BASE_URL points at an OpenAI chat completions API`, model.KindBadAnswer},
		{"anthropic", modeltest.Reply{Body: `{"id":"x","choices":[]}`},
			`anthropic answered 200 with something that is not an Anthropic Messages answer: its type is "", not "message"; the answer began: {"id":"x","choices":[]}: check ANTHROPIC_BASE_URL points at an Anthropic Messages API`, model.KindBadAnswer},
		{"openai", modeltest.Reply{Text: "", Stop: "length"},
			"openai: the model spent its token limit before answering (finish_reason length): raise model.max_tokens", model.KindBadAnswer},
		{"openai", modeltest.Reply{Body: `{"choices":[{"message":{"content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}]}`},
			"openai: the model refused: I can't help with that.", model.KindBadAnswer},
	}
	for _, c := range cases {
		t.Run(c.want[:20], func(t *testing.T) {
			var srv *modeltest.Server
			e := env{"GAUNTLET_MODEL": c.provider + ":m", "OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k"}
			switch c.provider {
			case "anthropic":
				srv = modeltest.Anthropic(t, c.reply)
				e["ANTHROPIC_BASE_URL"] = srv.URL
			case "openai":
				srv = modeltest.OpenAI(t, c.reply)
				e["OPENAI_BASE_URL"] = srv.URL
			case "ollama":
				srv = modeltest.OpenAI(t, c.reply)
				e["OLLAMA_HOST"] = srv.URL
			}
			m, _ := open(t, e, config.Model{})
			_, err := m.Complete(context.Background(), hello)
			want := strings.ReplaceAll(c.want, "{url}", srv.URL)
			if err == nil || err.Error() != want {
				t.Fatalf("got  %v\nwant %s", err, want)
			}
			var me *model.Error
			if !errors.As(err, &me) || me.Kind != c.kind {
				t.Errorf("kind %v, want %v", me.Kind, c.kind)
			}
			if len(srv.Requests()) != 1 {
				t.Errorf("%d requests; errors that retrying cannot fix are not retried", len(srv.Requests()))
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	m, _ := open(t, env{"GAUNTLET_MODEL": "ollama:m", "OLLAMA_HOST": addr}, config.Model{})
	_, err = m.Complete(context.Background(), hello)
	want := fmt.Sprintf("connection refused at http://%s: is Ollama running? (OLLAMA_HOST)", addr)
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	if !model.Fatal(err) {
		t.Error("a refused connection should stop the loop asking")
	}
}

func TestTimeout(t *testing.T) {
	srv := modeltest.OpenAI(t, modeltest.Reply{Text: "late", Delay: 5 * time.Second})
	m, waits := open(t, env{"GAUNTLET_MODEL": "openai:m", "OPENAI_BASE_URL": srv.URL, "OPENAI_API_KEY": "k"}, config.Model{Timeout: 100 * time.Millisecond})
	start := time.Now()
	_, err := m.Complete(context.Background(), hello)
	want := fmt.Sprintf("no answer from openai at %s within 100ms: raise model.timeout in .gauntlet.yaml, or use a faster model", strings.TrimSuffix(srv.URL, "/v1"))
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
	if len(*waits) != 0 {
		t.Errorf("a timeout was retried")
	}
}

func TestCancel(t *testing.T) {
	srv := modeltest.Anthropic(t, modeltest.Reply{Text: "late", Delay: 5 * time.Second})
	m, _ := open(t, env{"GAUNTLET_MODEL": "anthropic:m", "ANTHROPIC_BASE_URL": srv.URL, "ANTHROPIC_API_KEY": "k"}, config.Model{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := m.Complete(ctx, hello)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	// A cancelled wait between retries ends at once too.
	srv = modeltest.Anthropic(t, modeltest.Error(500, "api_error", "boom"))
	m2, _, err := model.Open(config.Model{}, model.WithGetenv(env{"GAUNTLET_MODEL": "anthropic:m", "ANTHROPIC_BASE_URL": srv.URL, "ANTHROPIC_API_KEY": "k"}.get),
		model.WithBackoff(time.Hour, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := m2.Complete(ctx, hello); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestBadRequest(t *testing.T) {
	m := model.Func(func(context.Context, model.Request) (model.Response, error) { return model.Response{}, nil })
	if _, err := m.Complete(context.Background(), hello); err != nil {
		t.Fatal(err)
	}
	for _, r := range []model.Request{
		{},
		{Messages: []model.Message{{Role: model.Assistant, Content: "x"}}},
		{Messages: []model.Message{{Role: model.User, Content: "x"}, {Role: model.Assistant, Content: "y"}}},
	} {
		if r.Validate() == nil {
			t.Errorf("%+v: want an error", r)
		}
	}
}

// The API key must never reach an error, a log line or a printed model,
// even when the server echoes it back.
func TestKeyNeverLeaks(t *testing.T) {
	const key = "sk-proj-Zk4SECRETSECRET1234567890abcdef"
	for _, provider := range []string{"openai", "anthropic"} {
		t.Run(provider, func(t *testing.T) {
			echo := "your key " + key + " is wrong"
			replies := []modeltest.Reply{
				modeltest.Error(500, "api_error", echo),
				modeltest.Error(500, "api_error", echo),
				modeltest.Error(401, "authentication_error", echo),
				{Body: "not json; key=" + key},
				{Status: 502, Body: "<html>" + key + "</html>"},
				{Status: 502, Body: "<html>" + key + "</html>"},
				{Status: 418, Body: "plain text " + key},
			}
			var srv *modeltest.Server
			e := env{"GAUNTLET_MODEL": provider + ":m"}
			if provider == "openai" {
				srv = modeltest.OpenAI(t, replies...)
				e["OPENAI_BASE_URL"], e["OPENAI_API_KEY"] = srv.URL, key
			} else {
				srv = modeltest.Anthropic(t, replies...)
				e["ANTHROPIC_BASE_URL"], e["ANTHROPIC_API_KEY"] = srv.URL, key
			}
			var logs bytes.Buffer
			m, _ := open(t, e, config.Model{}, model.WithRetries(1), model.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			var texts []string
			for i := 0; i < 5 && srv.Remaining() > 0; i++ {
				_, err := m.Complete(context.Background(), hello)
				if err == nil {
					t.Fatal("want an error")
				}
				texts = append(texts, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
				for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
					texts = append(texts, u.Error())
				}
			}
			texts = append(texts, logs.String(), fmt.Sprintf("%+v %#v", m, m))
			for _, s := range texts {
				if strings.Contains(s, key) || strings.Contains(s, "SECRETSECRET") {
					t.Errorf("the key leaked into: %s", s)
				}
			}
			if !strings.Contains(logs.String(), "retrying") {
				t.Errorf("no retry was logged:\n%s", logs.String())
			}
			// The key did go where it belongs.
			r := srv.Requests()[0]
			if r.Header.Get("Authorization") != "Bearer "+key && r.Header.Get("X-Api-Key") != key {
				t.Errorf("the key was not sent")
			}
		})
	}
}

// A key that reaches a prompt (a test printed its environment) is removed
// before the request leaves, whichever provider's key it is.
func TestKeyNotInPrompt(t *testing.T) {
	const openaiKey, anthropicKey = "sk-proj-OPENAIOPENAI123456", "sk-ant-ANTHROPICANTHROPIC99"
	srv := modeltest.OpenAI(t, modeltest.Reply{Text: "ok"})
	var logs bytes.Buffer
	m, _ := open(t, env{"GAUNTLET_MODEL": "openai:m", "OPENAI_BASE_URL": srv.URL, "OPENAI_API_KEY": openaiKey, "ANTHROPIC_API_KEY": anthropicKey},
		config.Model{}, model.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	req := model.Request{System: "s " + openaiKey, Messages: []model.Message{{Role: model.User, Content: "env: OPENAI_API_KEY=" + openaiKey + " ANTHROPIC_API_KEY=" + anthropicKey}}}
	if _, err := m.Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	body := string(srv.Requests()[0].Body)
	if strings.Contains(body, openaiKey) || strings.Contains(body, anthropicKey) || !strings.Contains(body, "OPENAI_API_KEY=[redacted] ANTHROPIC_API_KEY=[redacted]") {
		t.Errorf("sent %s", body)
	}
	if !strings.Contains(req.Messages[0].Content, openaiKey) {
		t.Error("the caller's request was modified")
	}
	if !strings.Contains(logs.String(), "removed from a prompt") || strings.Contains(logs.String(), openaiKey) {
		t.Errorf("log: %s", logs.String())
	}
}

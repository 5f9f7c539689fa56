package model

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/gauntlet-dev/gauntlet/analysis/config"
	"github.com/gauntlet-dev/gauntlet/analysis/redact"
)

// Env is the environment variable that chooses the model; it wins over the
// configuration file.
const Env = "GAUNTLET_MODEL"

// Providers' defaults.
const (
	DefaultOpenAIURL    = "https://api.openai.com/v1"
	DefaultAnthropicURL = "https://api.anthropic.com"
	DefaultOllamaHost   = "localhost:11434"
	AnthropicVersion    = "2023-06-01"
	DefaultTimeout      = 120 * time.Second
	DefaultRetries      = 4
	// DefaultAnthropicMaxTokens is sent when none is configured: Anthropic
	// requires max_tokens, the others have their own defaults.
	DefaultAnthropicMaxTokens = 4096
)

// Spec says which model to use and how to reach it: the outcome of
// GAUNTLET_MODEL, the model: section of .gauntlet.yaml and the providers'
// variables. It holds the name of the variable with the API key, never the
// key.
type Spec struct {
	Provider    string // "openai", "anthropic", "ollama" or "none"
	Name        string // the model, as the provider names it
	BaseURL     string // without a trailing slash; for ollama it ends in /v1
	APIKeyEnv   string // the variable that holds the API key; "" for none
	Timeout     time.Duration
	MaxTokens   int      // 0 = the provider's default
	Temperature *float64 // nil = the provider's default

	// Where the settings came from, for messages that say what to check.
	NameFrom    string // "GAUNTLET_MODEL" or "model.name in .gauntlet.yaml"
	BaseURLFrom string // "OPENAI_BASE_URL", "OLLAMA_HOST", "model.base_url in .gauntlet.yaml", or "" for the default
}

// None reports whether no model is configured.
func (s Spec) None() bool { return s.Provider == "" || s.Provider == "none" }

// String is "provider:name", or "none".
func (s Spec) String() string {
	if s.None() {
		return "none"
	}
	return s.Provider + ":" + s.Name
}

// Resolve works out the model from GAUNTLET_MODEL (read through getenv) and
// the configuration's model section c:
//
//   - GAUNTLET_MODEL=provider:name (or none), when set, chooses the provider
//     and the model; c's base_url and api_key_env apply only if c names the
//     same provider or none (timeout, max_tokens, temperature always do).
//   - Otherwise c.provider and c.name choose; no provider means none.
//   - The base URL is c.base_url, else the provider's variable
//     (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, OLLAMA_HOST), else its default.
//   - The API key is in c.api_key_env, else OPENAI_API_KEY or
//     ANTHROPIC_API_KEY; Ollama needs none unless api_key_env names one.
//
// A nil getenv means os.Getenv.
func Resolve(c config.Model, getenv func(string) string) (Spec, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	s := Spec{Timeout: c.Timeout, MaxTokens: c.MaxTokens, Temperature: c.Temperature}
	if v := strings.TrimSpace(getenv(Env)); v != "" {
		provider, name, _ := strings.Cut(v, ":")
		provider = strings.ToLower(strings.TrimSpace(provider))
		name = strings.TrimSpace(name)
		switch provider {
		case "none":
			return Spec{Provider: "none"}, nil
		case "openai", "anthropic", "ollama":
		default:
			return Spec{}, fmt.Errorf("%s=%s: want openai:NAME, anthropic:NAME, ollama:NAME or none", Env, v)
		}
		if name == "" {
			return Spec{}, fmt.Errorf("%s=%s: the model name is missing (for example %s:%s)", Env, v, provider, exampleName[provider])
		}
		s.Provider, s.Name, s.NameFrom = provider, name, Env
		if c.Provider != "" && c.Provider != provider {
			// The file's settings are for another provider.
			c = config.Model{}
		}
	} else {
		if c.Provider == "" || c.Provider == "none" {
			return Spec{Provider: "none"}, nil
		}
		if strings.TrimSpace(c.Name) == "" {
			return Spec{}, fmt.Errorf("%s: model.name is missing: provider %s needs a model name (for example %s), or set %s", config.FileName, c.Provider, exampleName[c.Provider], Env)
		}
		s.Provider, s.Name, s.NameFrom = c.Provider, strings.TrimSpace(c.Name), "model.name in "+config.FileName
	}
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}

	var urlEnv, def string
	switch s.Provider {
	case "openai":
		urlEnv, def, s.APIKeyEnv = "OPENAI_BASE_URL", DefaultOpenAIURL, "OPENAI_API_KEY"
	case "anthropic":
		urlEnv, def, s.APIKeyEnv = "ANTHROPIC_BASE_URL", DefaultAnthropicURL, "ANTHROPIC_API_KEY"
	case "ollama":
		urlEnv, def = "OLLAMA_HOST", ""
	}
	if c.APIKeyEnv != "" {
		s.APIKeyEnv = c.APIKeyEnv
	}
	switch {
	case c.BaseURL != "":
		s.BaseURL, s.BaseURLFrom = c.BaseURL, "model.base_url in "+config.FileName
	case strings.TrimSpace(getenv(urlEnv)) != "":
		s.BaseURL, s.BaseURLFrom = strings.TrimSpace(getenv(urlEnv)), urlEnv
	default:
		s.BaseURL = def
	}
	if s.Provider == "ollama" {
		u, err := ollamaURL(s.BaseURL)
		if err != nil {
			return Spec{}, fmt.Errorf("%s %s: %v", or(s.BaseURLFrom, urlEnv), redactURL(s.BaseURL), err)
		}
		s.BaseURL = u
	}
	s.BaseURL = strings.TrimRight(s.BaseURL, "/")
	u, err := url.Parse(s.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Spec{}, fmt.Errorf("%s: %q is not an http:// or https:// URL", or(s.BaseURLFrom, "base URL"), redactURL(s.BaseURL))
	}
	return s, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var exampleName = map[string]string{"openai": "gpt-4o", "anthropic": "claude-sonnet-4-5", "ollama": "qwen2.5-coder"}

// ollamaURL turns OLLAMA_HOST ("host", "host:port", "http://host:port",
// with or without a path) into the base URL of Ollama's OpenAI-compatible
// API, as Ollama's own client reads it: http and port 11434 by default.
func ollamaURL(host string) (string, error) {
	if host == "" {
		host = DefaultOllamaHost
	}
	scheme := "http"
	if s, rest, ok := strings.Cut(host, "://"); ok {
		scheme, host = s, rest
	}
	host, path, _ := strings.Cut(host, "/")
	if _, _, err := net.SplitHostPort(host); err != nil {
		switch scheme {
		case "https":
			host = net.JoinHostPort(strings.Trim(host, "[]"), "443")
		default:
			host = net.JoinHostPort(strings.Trim(host, "[]"), "11434")
		}
	}
	if scheme != "http" && scheme != "https" {
		return "", fmt.Errorf("scheme %q: want http or https", scheme)
	}
	base := scheme + "://" + host
	if path = strings.Trim(path, "/"); path != "" {
		base += "/" + path
	}
	if !strings.HasSuffix(base, "/v1") {
		base += "/v1"
	}
	return base, nil
}

// Option configures New.
type Option func(*client)

// WithLogger logs retries and failures to l (never keys, never prompts).
func WithLogger(l *slog.Logger) Option { return func(c *client) { c.log = l } }

// WithRetries sets how many times a 429 or 5xx answer is retried (default 4).
func WithRetries(n int) Option { return func(c *client) { c.retries = max(n, 0) } }

// WithBackoff sets the first retry's wait and the longest wait between
// retries (defaults 1s and 30s). A Retry-After longer than max ends the
// retries: the error then says when to try again.
func WithBackoff(first, max time.Duration) Option {
	return func(c *client) { c.backoff, c.maxWait = first, max }
}

// WithGetenv reads the API key through getenv instead of os.Getenv.
func WithGetenv(getenv func(string) string) Option { return func(c *client) { c.getenv = getenv } }

// New returns the model s describes, or nil (and no error) when s is none:
// a nil Model means "no model", and the loop uses the analyzers' own fixes.
// A hosted provider whose key variable is unset is an error here, before any
// request; a custom base URL may need no key.
func New(s Spec, opts ...Option) (Model, error) {
	if s.None() {
		return nil, nil
	}
	redact.AddNames(s.APIKeyEnv)
	c := &client{
		spec:    s,
		hc:      &http.Client{},
		log:     slog.New(slog.DiscardHandler),
		retries: DefaultRetries,
		backoff: time.Second,
		maxWait: 30 * time.Second,
		getenv:  os.Getenv,
		sleep:   sleepCtx,
	}
	for _, o := range opts {
		o(c)
	}
	if c.spec.Timeout <= 0 {
		c.spec.Timeout = DefaultTimeout
	}
	switch s.Provider {
	case "openai", "ollama":
		c.wire = openAIWire{ollama: s.Provider == "ollama"}
		c.endpoint = s.BaseURL + "/chat/completions"
	case "anthropic":
		if s.Temperature != nil && (*s.Temperature < 0 || *s.Temperature > 1) {
			return nil, fmt.Errorf("anthropic: temperature %g is outside 0..1 (model.temperature in %s)", *s.Temperature, config.FileName)
		}
		c.wire = anthropicWire{}
		c.endpoint = s.BaseURL + "/v1/messages"
	default:
		return nil, fmt.Errorf("unknown model provider %q: want openai, anthropic, ollama or none", s.Provider)
	}
	if s.APIKeyEnv != "" && c.getenv(s.APIKeyEnv) == "" && (s.BaseURL == DefaultOpenAIURL || s.BaseURL == DefaultAnthropicURL) {
		return nil, fmt.Errorf("%s: %s is not set: export the API key in it", s.Provider, s.APIKeyEnv)
	}
	return c, nil
}

// Open resolves the model from GAUNTLET_MODEL and c (see Resolve) and makes
// it (see New). The Model is nil when none is configured.
func Open(c config.Model, opts ...Option) (Model, Spec, error) {
	probe := &client{getenv: os.Getenv}
	for _, o := range opts {
		o(probe)
	}
	s, err := Resolve(c, probe.getenv)
	if err != nil {
		return nil, Spec{}, err
	}
	m, err := New(s, opts...)
	return m, s, err
}

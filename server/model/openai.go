package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// openAIWire is OpenAI's chat completions format, which Ollama (at /v1),
// vLLM, llama.cpp's server and many proxies also speak:
//
//	POST {base}/chat/completions
//	Authorization: Bearer KEY
//	{"model", "messages": [{"role": "system"|"user"|"assistant", "content"}],
//	 "max_completion_tokens" (OpenAI) | "max_tokens" (others), "temperature", "stream": false}
//
//	200 {"choices": [{"message": {"content", "refusal"}, "finish_reason"}],
//	     "usage": {"prompt_tokens", "completion_tokens"}, "model"}
//	4xx/5xx {"error": {"message", "type", "code"}}
type openAIWire struct {
	ollama bool
}

type oaMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type oaRequest struct {
	Model               string      `json:"model"`
	Messages            []oaMessage `json:"messages"`
	MaxCompletionTokens int         `json:"max_completion_tokens,omitempty"`
	MaxTokens           int         `json:"max_tokens,omitempty"`
	Temperature         *float64    `json:"temperature,omitempty"`
	Stream              bool        `json:"stream"`
}

func (w openAIWire) encode(s Spec, r Request) ([]byte, error) {
	req := oaRequest{Model: s.Name, Temperature: s.Temperature}
	if r.Temperature != nil {
		req.Temperature = r.Temperature
	}
	maxTokens := s.MaxTokens
	if r.MaxTokens > 0 {
		maxTokens = r.MaxTokens
	}
	// OpenAI itself wants max_completion_tokens (its reasoning models refuse
	// max_tokens); the servers that copy its API mostly know only max_tokens.
	if s.BaseURL == DefaultOpenAIURL {
		req.MaxCompletionTokens = maxTokens
	} else {
		req.MaxTokens = maxTokens
	}
	if r.System != "" {
		req.Messages = append(req.Messages, oaMessage{Role: "system", Content: r.System})
	}
	for _, m := range r.Messages {
		req.Messages = append(req.Messages, oaMessage{Role: string(m.Role), Content: m.Content})
	}
	return json.Marshal(req)
}

func (w openAIWire) header(h http.Header, key string) {
	if key != "" {
		h.Set("Authorization", "Bearer "+key)
	}
}

type oaResponse struct {
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Message *struct {
			Content json.RawMessage `json:"content"`
			Refusal string          `json:"refusal"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	Error json.RawMessage `json:"error"`
}

func (w openAIWire) decode(data []byte) (Response, error) {
	var r oaResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return Response{}, err
	}
	if ae, ok := parseAPIError(data); ok {
		// Some proxies answer 200 with an error.
		return Response{}, &Error{Kind: KindServer, Status: http.StatusOK, Message: "the answer is an error: " + snippet(ae.Message)}
	}
	if len(r.Choices) == 0 || r.Choices[0].Message == nil {
		return Response{}, errors.New("it has no choices[0].message")
	}
	ch := r.Choices[0]
	text, err := oaContent(ch.Message.Content)
	if err != nil {
		return Response{}, err
	}
	resp := Response{
		Text:      text,
		Model:     r.Model,
		Stop:      ch.FinishReason,
		Truncated: ch.FinishReason == "length",
		Usage:     Usage{InputTokens: r.Usage.PromptTokens, OutputTokens: r.Usage.CompletionTokens},
	}
	if strings.TrimSpace(text) == "" {
		switch {
		case ch.Message.Refusal != "":
			return Response{}, &Error{Kind: KindBadAnswer, Status: http.StatusOK, Message: "the model refused: " + snippet(ch.Message.Refusal)}
		case resp.Truncated:
			return Response{}, &Error{Kind: KindBadAnswer, Status: http.StatusOK, Message: "the model spent its token limit before answering (finish_reason length)",
				Hint: "raise model.max_tokens"}
		}
		return Response{}, &Error{Kind: KindBadAnswer, Status: http.StatusOK, Message: fmt.Sprintf("the model answered nothing (finish_reason %q)", ch.FinishReason)}
	}
	return resp, nil
}

// oaContent reads a message's content: a string, null, or (some servers)
// a list of parts of which the text ones count.
func oaContent(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", errors.New("choices[0].message.content is neither text nor a list of parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" || p.Type == "output_text" {
			b.WriteString(p.Text)
		}
	}
	return b.String(), nil
}

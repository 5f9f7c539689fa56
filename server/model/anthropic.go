package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// anthropicWire is Anthropic's Messages format:
//
//	POST {base}/v1/messages
//	x-api-key: KEY
//	anthropic-version: 2023-06-01
//	{"model", "max_tokens", "system", "temperature",
//	 "messages": [{"role": "user"|"assistant", "content": [{"type": "text", "text"}]}]}
//
//	200 {"type": "message", "content": [{"type": "text", "text"}, ...],
//	     "stop_reason", "model", "usage": {"input_tokens", "output_tokens"}}
//	4xx/5xx {"type": "error", "error": {"type", "message"}}
type anthropicWire struct{}

type anBlock struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type anMessage struct {
	Role    string    `json:"role"`
	Content []anBlock `json:"content"`
}

type anRequest struct {
	Model       string      `json:"model"`
	MaxTokens   int         `json:"max_tokens"`
	System      string      `json:"system,omitempty"`
	Messages    []anMessage `json:"messages"`
	Temperature *float64    `json:"temperature,omitempty"`
}

func (anthropicWire) encode(s Spec, r Request) ([]byte, error) {
	req := anRequest{Model: s.Name, MaxTokens: s.MaxTokens, System: r.System, Temperature: s.Temperature}
	if r.MaxTokens > 0 {
		req.MaxTokens = r.MaxTokens
	}
	if req.MaxTokens == 0 {
		req.MaxTokens = DefaultAnthropicMaxTokens
	}
	if r.Temperature != nil {
		req.Temperature = r.Temperature
	}
	for _, m := range r.Messages {
		req.Messages = append(req.Messages, anMessage{Role: string(m.Role), Content: []anBlock{{Type: "text", Text: m.Content}}})
	}
	return json.Marshal(req)
}

func (anthropicWire) header(h http.Header, key string) {
	if key != "" {
		h.Set("X-Api-Key", key)
	}
	h.Set("Anthropic-Version", AnthropicVersion)
}

func (anthropicWire) decode(data []byte) (Response, error) {
	var r struct {
		Type    string `json:"type"`
		Model   string `json:"model"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
		StopReason string `json:"stop_reason"`
		Usage      struct {
			InputTokens  int `json:"input_tokens"`
			OutputTokens int `json:"output_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return Response{}, err
	}
	if r.Type == "error" {
		ae, _ := parseAPIError(data)
		return Response{}, &Error{Kind: KindServer, Status: http.StatusOK, Message: "the answer is an error: " + snippet(ae.Type+": "+ae.Message)}
	}
	if r.Type != "message" {
		return Response{}, fmt.Errorf("its type is %q, not \"message\"", r.Type)
	}
	var b strings.Builder
	for _, c := range r.Content {
		if c.Type == "text" {
			b.WriteString(c.Text)
		}
	}
	resp := Response{
		Text:      b.String(),
		Model:     r.Model,
		Stop:      r.StopReason,
		Truncated: r.StopReason == "max_tokens",
		Usage:     Usage{InputTokens: r.Usage.InputTokens, OutputTokens: r.Usage.OutputTokens},
	}
	if strings.TrimSpace(resp.Text) == "" {
		switch {
		case r.StopReason == "refusal":
			return Response{}, &Error{Kind: KindBadAnswer, Status: http.StatusOK, Message: "the model refused to answer (stop_reason refusal)"}
		case resp.Truncated:
			return Response{}, &Error{Kind: KindBadAnswer, Status: http.StatusOK, Message: "the model spent its token limit before answering (stop_reason max_tokens)",
				Hint: "raise model.max_tokens"}
		case len(r.Content) == 0 && r.StopReason == "":
			return Response{}, errors.New("it has no content")
		}
		return Response{}, &Error{Kind: KindBadAnswer, Status: http.StatusOK, Message: fmt.Sprintf("the model answered no text (stop_reason %q)", r.StopReason)}
	}
	return resp, nil
}

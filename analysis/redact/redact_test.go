package redact

import (
	"bytes"
	"strings"
	"testing"
)

func TestRedactsSecretValues(t *testing.T) {
	r := FromEnv([]string{"OPENAI_API_KEY=sk-abcdefgh123", "GITHUB_TOKEN=ghp_0123456789", "MY_SECRET=hunter22hunter", "SHORT_KEY=abc", "HOME=/home/somebody", "DB=postgres://u:pw@h/db"}, "DB")
	got := r.String("key sk-abcdefgh123, tok ghp_0123456789, pw hunter22hunter, abc, /home/somebody, postgres://u:pw@h/db")
	want := "key [redacted:OPENAI_API_KEY], tok [redacted:GITHUB_TOKEN], pw [redacted:MY_SECRET], abc, /home/somebody, [redacted:DB]"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestWriterRedactsAcrossWrites(t *testing.T) {
	r := FromEnv([]string{"GAUNTLET_TOKEN=tok-0123456789abcdef"})
	for split := 1; split < 30; split++ {
		var out bytes.Buffer
		w := r.Writer(&out)
		s := "before tok-0123456789abcdef after tok-0123456789abcdef"
		w.Write([]byte(s[:split]))
		w.Write([]byte(s[split:]))
		w.Close()
		if strings.Contains(out.String(), "0123456789") || !strings.HasSuffix(out.String(), "after [redacted:GAUNTLET_TOKEN]") {
			t.Fatalf("split %d: %q", split, out.String())
		}
	}
}

func TestEnvironByAllowlist(t *testing.T) {
	got := Environ([]string{"PATH=/bin", "LC_ALL=C", "OPENAI_API_KEY=x", "AWS_ACCESS_KEY_ID=y", "RANDOM_VAR=z", "GOFLAGS=-mod=mod", "MY_TOKEN=t", "WANTED=1"}, []string{"WANTED", "MY_TOKEN"})
	want := "PATH=/bin LC_ALL=C GOFLAGS=-mod=mod MY_TOKEN=t WANTED=1"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

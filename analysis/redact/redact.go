// Package redact keeps secrets out of what gauntlet prints, sends and lets
// tests see: it builds the list of secret values from the environment
// (GAUNTLET_TOKEN, the model providers' keys and any variable whose name
// ends in _TOKEN, _KEY, _SECRET or _PASSWORD) and replaces each value, in
// any text, by [redacted:NAME]; and it builds the environment that test
// and build processes get, by allowlist.
package redact

import (
	"io"
	"os"
	"sort"
	"strings"
	"sync"
)

// MinLen is the shortest value redacted: shorter ones ("1", "true") would
// mangle ordinary text and are no secret worth the name.
const MinLen = 8

var secretNames = map[string]bool{
	"GAUNTLET_TOKEN": true, "OPENAI_API_KEY": true, "ANTHROPIC_API_KEY": true,
	"GITHUB_TOKEN": true, "GH_TOKEN": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true,
}

var secretSuffixes = []string{"_TOKEN", "_KEY", "_SECRET", "_PASSWORD", "_PASSWD", "_APIKEY", "_CREDENTIALS", "_PAT"}

// IsSecretName reports whether an environment variable's name says that
// its value is a secret.
func IsSecretName(name string) bool {
	u := strings.ToUpper(name)
	if secretNames[u] {
		return true
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(u, s) {
			return true
		}
	}
	return false
}

type secret struct{ name, value string }

// Redactor replaces secret values in text. The zero value redacts nothing.
type Redactor struct {
	secrets []secret // longest value first
	r       *strings.Replacer
}

// FromEnv builds a redactor from NAME=value pairs: the secret names' values,
// plus those of extra names (a model's api_key_env).
func FromEnv(environ []string, extra ...string) *Redactor {
	more := map[string]bool{}
	for _, n := range extra {
		more[n] = true
	}
	seen := map[string]bool{}
	var ss []secret
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || len(v) < MinLen || seen[v] || !(IsSecretName(k) || more[k]) {
			continue
		}
		seen[v] = true
		ss = append(ss, secret{k, v})
	}
	sort.Slice(ss, func(i, j int) bool { return len(ss[i].value) > len(ss[j].value) })
	red := &Redactor{secrets: ss}
	if len(ss) > 0 {
		var pairs []string
		for _, s := range ss {
			pairs = append(pairs, s.value, "[redacted:"+s.name+"]")
		}
		red.r = strings.NewReplacer(pairs...)
	}
	return red
}

// String returns s with every secret value replaced.
func (r *Redactor) String(s string) string {
	if r == nil || r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// Bytes is String for bytes.
func (r *Redactor) Bytes(b []byte) []byte {
	if r == nil || r.r == nil {
		return b
	}
	return []byte(r.r.Replace(string(b)))
}

// Empty reports whether there is nothing to redact.
func (r *Redactor) Empty() bool { return r == nil || len(r.secrets) == 0 }

// Writer returns a writer that redacts what it passes on to w. It keeps
// the last bytes of each write back until the next (or Close), long
// enough for a secret split across two writes to be recognised.
func (r *Redactor) Writer(w io.Writer) io.WriteCloser {
	return &writer{r: r, w: w}
}

type writer struct {
	mu   sync.Mutex
	r    *Redactor
	w    io.Writer
	hold []byte
}

func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.r.Empty() {
		return w.w.Write(p)
	}
	buf := append(w.hold, p...)
	keep := len(w.r.secrets[0].value) - 1 // the longest value, less one byte
	// Hold back a tail only when it could begin a secret; text that ends
	// in a newline is usually a whole message and goes out at once.
	cut := len(buf)
	if keep > 0 && len(buf) > 0 && buf[len(buf)-1] != '\n' {
		cut = max(0, len(buf)-keep)
		for cut < len(buf) && !w.r.startsSecret(buf[cut:]) {
			cut++
		}
	}
	// Never split a whole secret that spans the cut.
	for moved := true; moved; {
		moved = false
		for _, s := range w.r.secrets {
			for i := 0; ; {
				j := strings.Index(string(buf[i:]), s.value)
				if j < 0 {
					break
				}
				j += i
				if j < cut && cut < j+len(s.value) {
					cut, moved = j+len(s.value), true
				}
				i = j + 1
			}
		}
	}
	out := w.r.String(string(buf[:cut]))
	w.hold = append([]byte(nil), buf[cut:]...)
	if _, err := io.WriteString(w.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// startsSecret reports whether b is a prefix of a secret value.
func (r *Redactor) startsSecret(b []byte) bool {
	for _, s := range r.secrets {
		if len(b) < len(s.value) && strings.HasPrefix(s.value, string(b)) {
			return true
		}
	}
	return false
}

// Close writes what is held back.
func (w *writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.hold) == 0 {
		return nil
	}
	_, err := io.WriteString(w.w, w.r.String(string(w.hold)))
	w.hold = nil
	return err
}

var (
	defMu  sync.Mutex
	def    *Redactor
	extras []string
)

// Default is the redactor of this process's environment.
func Default() *Redactor {
	defMu.Lock()
	defer defMu.Unlock()
	if def == nil {
		def = FromEnv(os.Environ(), extras...)
	}
	return def
}

// AddNames makes the values of these variables secrets too (a model's
// api_key_env, read from the configuration).
func AddNames(names ...string) {
	defMu.Lock()
	defer defMu.Unlock()
	for _, n := range names {
		if n != "" && !secretNames[strings.ToUpper(n)] {
			extras = append(extras, n)
		}
	}
	def = nil
}

// String redacts s with the Default redactor.
func String(s string) string { return Default().String(s) }

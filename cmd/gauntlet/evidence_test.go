package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/internal/testenv"
	"github.com/gauntlet-dev/gauntlet/server/model/modeltest"
)

// TestFixLocatesByStack: a go-toml-style failure. parseInteger, in
// decode.go, indexes past its string; the test reports the panic as
// testify's NotPanics does (Error Trace, the panic's stack) and its output
// also says "Error" and "DecodeError.Error", which the test ran. The
// problem is placed on the function of the innermost frame in code the test
// ran outside the tests, parseInteger, and the model's first request (a
// local server speaking OpenAI's wire format records it) holds that
// function and the test, with workspace-relative paths only.
func TestFixLocatesByStack(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("GAUNTLET_CACHE", cache)
	dir := filepath.Join(t.TempDir(), "gotoml")
	testenv.CopyDir(t, filepath.Join(pkgDir, "testdata", "gotoml"), dir)
	fix := "decode.go\n```go\n<<<<<<< SEARCH\n\tfor i := 0; i <= len(s); i++ {\n=======\n\tfor i := 0; i < len(s); i++ {\n>>>>>>> REPLACE\n```\n"
	srv := modeltest.OpenAI(t, modeltest.Reply{Text: fix})
	code, o, out := runFixJSON(t, dir, srv.Env("gpt-test"))
	if len(o.Problems) != 1 || o.Problems[0].Test != "example.com/gotoml.TestDocument" {
		t.Fatalf("exit %d, problems %+v:\n%s", code, o.Problems, out)
	}
	if p := o.Problems[0]; p.Path != "decode.go" || p.Line != 26 {
		t.Errorf("the problem is placed at %s:%d, want decode.go:26 (parseInteger and its comment)", p.Path, p.Line)
	}
	reqs := srv.Requests()
	if len(reqs) == 0 {
		t.Fatalf("no request:\n%s", out)
	}
	first := reqs[0].Messages[0].Content
	for _, want := range []string{"func parseInteger(s string) (int, bool) {", "for i := 0; i <= len(s); i++ {", "func TestDocument(t *testing.T) {"} {
		if !strings.Contains(first, want) {
			t.Errorf("the first request lacks %q:\n%s", want, first)
		}
	}
	if strings.Contains(first, cache) || strings.Contains(first, "/shadow/") {
		t.Errorf("the first request names paths of the cache:\n%s", first)
	}
	if code != exitOK || !o.Accepted {
		t.Errorf("exit %d, accepted %v:\n%s", code, o.Accepted, out)
	}

	// verify: an edit that leaves the panic in place; the failure's stack,
	// run in the shadow copy, names workspace paths only.
	code, v, vout := verifyPatch(t, dir, "--- a/decode.go\n+++ b/decode.go\n@@ -31,3 +31,3 @@\n \t}\n-\tn := 0\n+\tn := int(0)\n \tfor i := 0; i <= len(s); i++ {\n")
	if v.Gates == nil || !strings.Contains(vout, "decode.go:34") {
		t.Fatalf("verify: exit %d, the stack is not in the verdict:\n%s", code, vout)
	}
	if strings.Contains(vout, cache) || strings.Contains(vout, "/shadow/") {
		t.Errorf("the verdict names paths of the cache:\n%s", vout)
	}
}

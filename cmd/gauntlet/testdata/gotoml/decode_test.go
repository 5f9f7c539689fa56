package toml

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// notPanics fails the test when f panics, and reports it as testify's
// assert.NotPanics does (this module has no dependencies).
func notPanics(t *testing.T, f func(), msg string) bool {
	t.Helper()
	panicked, value, stack := func() (p bool, v any, s string) {
		defer func() {
			if v = recover(); v != nil {
				p, s = true, string(debug.Stack())
			}
		}()
		f()
		return
	}()
	if !panicked {
		return true
	}
	_, file, line, _ := runtime.Caller(1)
	stack = strings.ReplaceAll(strings.TrimRight(stack, "\n"), "\n", "\n        \t            \t")
	t.Errorf("\n\tError Trace:\t%s:%d\n\tError:      \tfunc (assert.PanicTestFunc)(%p) should not panic\n\t            \t\tPanic value:\t%v\n\t            \t\tPanic stack:\t%s\n\tTest:       \t%s\n\tMessages:   \t%s",
		file, line, f, value, stack, t.Name(), msg)
	return false
}

func TestDocument(t *testing.T) {
	_, err := Unmarshal("a 1")
	if err == nil || err.Error() != "toml: line 1, column 1: expected key = value" {
		t.Fatalf("Unmarshal(\"a 1\"): err = %v", err)
	}
	var got map[string]int
	notPanics(t, func() { got, err = Unmarshal("a = 1_000\nb = 42") }, fmt.Sprintf("a document with integers (DecodeError.Error: %v)", err))
	if got["a"] != 1000 || got["b"] != 42 {
		t.Errorf("got %v", got)
	}
}

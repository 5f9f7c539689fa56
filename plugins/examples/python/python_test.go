// Package python_test runs the Python example plugin through gauntlet's
// plugin host and checks that it finds what the Go todo-owner finds.
package python_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
	"github.com/gauntlet-dev/gauntlet/plugins"
	"github.com/gauntlet-dev/gauntlet/plugins/examples/todo-owner/todoowner"
)

// needPython skips without Debian's python3 and its grpcio, protobuf and
// cryptography packages, except in CI.
func needPython(t *testing.T) {
	testenv.NeedPython(t, "grpc", "google.protobuf", "cryptography")
}

func TestPythonPlugin(t *testing.T) {
	needPython(t)
	script, err := filepath.Abs("todo_owner.py")
	if err != nil {
		t.Fatal(err)
	}
	var failures []error
	h, err := plugins.NewHost([]plugins.Spec{{Name: "todo-py", Path: script}}, plugins.OnFailure(func(err error) { failures = append(failures, err) }), plugins.WithLog(os.Stderr))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := h.Status()[0]
	if st.Version != "1.0.0" || st.State != plugins.StateRunning || len(st.Analyzers) != 1 || st.Analyzers[0].Name != "todo-owner" {
		t.Fatalf("status %+v", st)
	}
	for name, content := range testenv.DirFiles(t, "../todo-owner/todoowner/testdata") {
		// Then an edit (a line inserted at the top): a plugin that does not
		// accept edits is sent the whole new text, and finds the same.
		f := analysis.NewFile(name, content, 1)
		for v := int32(1); v <= 2; v++ {
			if v == 2 {
				f, err = f.Edit(context.Background(), []analysis.Change{{Start: 0, End: 0, Text: "\n"}}, v)
				if err != nil {
					t.Fatal(err)
				}
			}
			py, errs := analysis.Run(context.Background(), f, h.Analyzers())
			if len(errs) > 0 {
				t.Fatalf("%s: %v", name, errs)
			}
			golang, _ := analysis.Run(context.Background(), analysis.NewFile(name, f.Content, v), []*analysis.Analyzer{todoowner.Analyzer})
			if len(py) == 0 || len(py) != len(golang) {
				t.Fatalf("%s version %d: %d findings from Python, %d from Go", name, v, len(py), len(golang))
			}
			for i := range py {
				p, g := py[i], golang[i]
				if p.Source != "todo-py" {
					t.Errorf("source %q", p.Source)
				}
				if p.Start != g.Start || p.End != g.End || p.Message != g.Message || p.Code != g.Code || p.Severity != g.Severity {
					t.Errorf("%s version %d:\npython %+v\ngo     %+v", name, v, p, g)
				}
			}
		}
	}
	if len(failures) > 0 {
		t.Errorf("failures: %v", failures)
	}
}

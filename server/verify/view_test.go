package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// treeHash hashes every path, mode and content under root.
func treeHash(t *testing.T, root string) string {
	t.Helper()
	h := sha256.New()
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		line := rel + " " + info.Mode().String()
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s := sha256.Sum256(b)
			line += " " + hex.EncodeToString(s[:])
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	h.Write([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(h.Sum(nil))
}

// viewModule: the edit makes Probe look at the edited view from inside
// a test (the unedited Probe does nothing, so the per-test map built from
// the unedited code writes nothing).
var viewModule = map[string]string{
	"go.mod":         "module example.com/view\n\ngo 1.21\n",
	"other/other.go": "package other\n",
	"p/p.go":         "package p\n\n// Probe checks the view.\nfunc Probe() error { return nil }\n",
	"p/p_test.go":    "package p\n\nimport \"testing\"\n\nfunc TestProbe(t *testing.T) {\n\tif err := Probe(); err != nil {\n\t\tt.Fatal(err)\n\t}\n}\n",
	"p/data.txt":     "data\n",
}

// editedProbe sees the edit (its own text, a new file) and writes beside
// its code (which must work) and everywhere else in the workspace (which
// must not reach it).
const editedProbe = `package p

import (
	"errors"
	"os"
	"strings"
)

// Probe checks the view.
func Probe() error {
	self, err := os.ReadFile("p.go")
	if err != nil || !strings.Contains(string(self), "edited view") {
		return errors.New("the test does not see the edited p.go")
	}
	if b, err := os.ReadFile("new.txt.go"); err != nil || !strings.Contains(string(b), "package p") {
		return errors.New("the test does not see the new file")
	}
	if _, err := os.Stat("gone.go"); err == nil {
		return errors.New("the test sees the deleted file")
	}
	if b, err := os.ReadFile("data.txt"); err != nil || string(b) != "data\n" {
		return errors.New("the test does not see its data file")
	}
	if err := os.WriteFile("out.txt", []byte("written"), 0o644); err != nil {
		return errors.New("the test cannot write beside its code: " + err.Error())
	}
	os.WriteFile("data.txt", []byte("changed"), 0o644)
	os.WriteFile("../root.txt", []byte("escaped"), 0o644)
	os.WriteFile("../other/other.go", []byte("package other // changed"), 0o644)
	os.WriteFile("../go.mod", []byte("module evil"), 0o644)
	os.Remove("../other/other.go")
	os.MkdirAll("../other/sub", 0o755)
	return nil
}
`

// TestEditedViewShowsTheEditAndNeverWritesTheWorkspace: under bubblewrap
// the edit is seen by the tests (an edited file, a new file, a deleted
// file) without copying the workspace; tests write beside their code; the
// workspace is byte-for-byte the same afterwards, whatever they write. The
// same holds with the copy (sandbox none).
func TestEditedViewShowsTheEditAndNeverWritesTheWorkspace(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	t.Setenv("GAUNTLET_CACHE", t.TempDir())
	for _, mode := range []string{SandboxBwrap, SandboxNone} {
		t.Run(mode, func(t *testing.T) {
			if mode == SandboxBwrap {
				if _, err := findBwrap(); err != nil {
					if os.Getenv("CI") == "true" {
						t.Fatalf("CI needs a working bubblewrap: %v", err)
					}
					t.Skip(err)
				}
			}
			files := map[string]string{"p/gone.go": "package p\n"}
			for k, v := range viewModule {
				files[k] = v
			}
			snap := workspace(t, files)
			before := treeHash(t, snap.Root())
			edit := Edit{Files: []FileChange{
				{Path: "p/p.go", Content: []byte(strings.Replace(editedProbe, "// Probe checks the view.", "// Probe checks the edited view.", 1))},
				{Path: "p/new.txt.go", Content: []byte("package p\n")},
				{OldPath: "p/gone.go"},
			}}
			opts := Options{Sandbox: mode, CacheDir: t.TempDir(), Gates: []string{GateApply, GateParse, GateBuild, GateTests}}
			var used *shadow
			v, err := verifyWatching(context.Background(), snap, edit, opts, &used)
			if err != nil {
				t.Fatal(err)
			}
			if !v.Accepted {
				t.Fatalf("not accepted: %s", v.Summary())
			}
			if g := v.Gate(GateTests); len(g.Selected) != 1 || g.Passed != 1 {
				t.Errorf("tests gate: %+v", g)
			}
			if used == nil || used.bound != (mode == SandboxBwrap) {
				t.Errorf("sandbox %s: the view was bound = %v, want %v", mode, used != nil && used.bound, mode == SandboxBwrap)
			}
			// The edit is what compiles: one that makes Probe fail is rejected.
			failing := Edit{Files: []FileChange{{Path: "p/p.go", Content: []byte("package p\n\nimport \"errors\"\n\n// Probe checks the view.\nfunc Probe() error { return errors.New(\"edited\") }\n")}}}
			v, err = Verify(context.Background(), snap, failing, opts)
			if err != nil {
				t.Fatal(err)
			}
			if g := v.Failed(); v.Accepted || g == nil || g.Name != GateTests {
				t.Errorf("an edit that breaks the test: %s", v.Summary())
			}
			if after := treeHash(t, snap.Root()); after != before {
				t.Error("the workspace changed")
			}
			if used != nil {
				if _, err := os.Stat(used.slot); !os.IsNotExist(err) {
					t.Errorf("the scratch directory %s is left behind: %v", used.slot, err)
				}
			}
		})
	}
}

// verifyWatching is Verify, keeping the shadow it used.
func verifyWatching(ctx context.Context, base *analysis.Snapshot, edit Edit, opts Options, used **shadow) (*Verdict, error) {
	testShadowHook = func(s *shadow) { *used = s }
	defer func() { testShadowHook = nil }()
	return Verify(ctx, base, edit, opts)
}

// TestViewableOnlyForGoEditsAtTheirOwnPath: the bound view serves edits of
// Go files in a workspace reached through no symbolic link; anything else
// (a data file, go.mod, a linked root or directory, GAUNTLET_SHADOW=copy)
// takes the copy.
func TestViewableOnlyForGoEditsAtTheirOwnPath(t *testing.T) {
	snap := workspace(t, map[string]string{"go.mod": "module m\n", "p/p.go": "package p\n", "p/data.txt": "x\n"})
	root := snap.Root()
	if err := os.Symlink(filepath.Join(root, "p"), filepath.Join(root, "linked")); err != nil {
		t.Fatal(err)
	}
	linkedRoot := filepath.Join(t.TempDir(), "ws")
	if err := os.Symlink(root, linkedRoot); err != nil {
		t.Fatal(err)
	}
	with := func(s *analysis.Snapshot, p string) *analysis.Snapshot {
		return s.With(analysis.NewFile(p, []byte("package p\n// edited\n"), 0))
	}
	cases := []struct {
		name string
		snap *analysis.Snapshot
		want bool
	}{
		{"edited Go file", with(snap, "p/p.go"), true},
		{"new Go file in a new directory", with(snap, "q/r/new.go"), true},
		{"no edit", snap, false},
		{"data file", with(snap, "p/data.txt"), false},
		{"go.mod", with(snap, "go.mod"), false},
		{"through a linked directory", with(snap, "linked/p.go"), false},
		{"linked workspace root", with(analysis.NewSnapshot(linkedRoot), "p/p.go"), false},
	}
	for _, c := range cases {
		if got := viewable(c.snap); got != c.want {
			t.Errorf("%s: viewable = %v, want %v", c.name, got, c.want)
		}
	}
	t.Setenv("GAUNTLET_SHADOW", "copy")
	if viewable(with(snap, "p/p.go")) {
		t.Error("GAUNTLET_SHADOW=copy: viewable")
	}
}

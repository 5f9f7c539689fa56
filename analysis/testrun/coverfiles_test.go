package testrun

import (
	"context"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// TestGoRunCoverFiles: a package without tests is in the cover profile
// (its statements uncovered) when CoverFiles is nil or names one of its
// files, and left out otherwise.
func TestGoRunCoverFiles(t *testing.T) {
	needGo(t)
	dir := goModuleAB(t, map[string]string{
		"a/a_test.go": "package a\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {\n\tif A() != 1 {\n\t\tt.Fatal(A())\n\t}\n}\n",
	})
	s := New(analysis.NewSnapshot(dir), Settings{}, WithCacheDir(""))
	tests, err := s.Discover(context.Background(), "a")
	if err != nil || len(tests) != 1 {
		t.Fatalf("tests %v, %v", tests, err)
	}
	for _, c := range []struct {
		files []string
		wantB bool
	}{{nil, true}, {[]string{"b/b.go"}, true}, {[]string{"a/a.go"}, false}, {[]string{}, false}} {
		out, err := s.Run(context.Background(), tests, RunOptions{Coverage: true, CoverFiles: c.files})
		if err != nil {
			t.Fatal(err)
		}
		if f := out.Coverage.Files["a/a.go"]; f == nil || f.Percent() != 100 {
			t.Errorf("CoverFiles %q: coverage of a/a.go %+v, want 100%%", c.files, f)
		}
		if f := out.Coverage.Files["b/b.go"]; (f != nil) != c.wantB || (f != nil && f.Percent() != 0) {
			t.Errorf("CoverFiles %q: coverage of b/b.go %+v, want it listed %v and uncovered", c.files, f, c.wantB)
		}
	}
}

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

// TestGoRunCoverOwn: CoverOwn covers only the packages of the files read,
// with the same coverage of those files: tests of another package that run
// a file's code still count, and the other packages are not covered.
func TestGoRunCoverOwn(t *testing.T) {
	needGo(t)
	dir := goModuleAB(t, map[string]string{
		"a/a.go":      "package a\n\nfunc A() int { return 1 }\n\nfunc A2() int { return 2 }\n",
		"a/a_test.go": "package a\n\nimport \"testing\"\n\nfunc TestA(t *testing.T) {\n\tif A() != 1 {\n\t\tt.Fatal(A())\n\t}\n}\n",
		"b/b.go":      "package b\n\nimport \"example.com/m/a\"\n\nfunc B() int { return a.A2() }\n",
		"b/b_test.go": "package b\n\nimport \"testing\"\n\nfunc TestB(t *testing.T) {\n\tif B() != 2 {\n\t\tt.Fatal(B())\n\t}\n}\n",
	})
	s := New(analysis.NewSnapshot(dir), Settings{}, WithCacheDir(""))
	byName := map[string]Test{}
	for _, p := range []string{"a", "b"} {
		tests, err := s.Discover(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			byName[tt.Name] = tt
		}
	}
	// Without CoverFiles every file is read: CoverOwn changes nothing.
	out, err := s.Run(context.Background(), []Test{byName["TestA"]}, RunOptions{Coverage: true, CoverOwn: true})
	if err != nil {
		t.Fatal(err)
	}
	if f := out.Coverage.Files["a/a.go"]; f == nil || f.Percent() != 50 {
		t.Errorf("CoverOwn without CoverFiles: coverage of a/a.go %+v, want 50%%", f)
	}
	for _, names := range [][]string{{"TestA"}, {"TestB"}, {"TestA", "TestB"}} {
		var tests []Test
		for _, n := range names {
			tests = append(tests, byName[n])
		}
		for _, own := range []bool{false, true} {
			out, err := s.Run(context.Background(), tests, RunOptions{Coverage: true, CoverFiles: []string{"a/a.go"}, CoverOwn: own})
			if err != nil || !out.Passed() {
				t.Fatalf("%v: %+v, %v", names, out, err)
			}
			want := 50.0 // A or A2
			if len(names) == 2 {
				want = 100
			}
			if f := out.Coverage.Files["a/a.go"]; f == nil || f.Percent() != want {
				t.Errorf("tests %v, CoverOwn %v: coverage of a/a.go %+v, want %v%%", names, own, f, want)
			}
			if f := out.Coverage.Files["b/b.go"]; own && f != nil {
				t.Errorf("tests %v, CoverOwn: b/b.go, whose coverage is not read, is covered: %+v", names, f)
			}
		}
	}
}

package testrun

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/internal/testenv"
)

// goModuleAB writes into a fresh temporary directory the Go module
// example.com/m with package a (func A returning 1) and package b (func B,
// without tests), then files (path -> content): a's tests and any more.
func goModuleAB(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{
		"go.mod": "module example.com/m\n\ngo 1.21\n",
		"a/a.go": "package a\n\nfunc A() int { return 1 }\n",
		"b/b.go": "package b\n\nfunc B() int { return 2 }\n",
	})
	testenv.WriteFiles(t, dir, files)
	return dir
}

func needGo(t *testing.T) {
	testenv.NeedTool(t, "go")
}

// beginTitles lists the titles of the reports that begin a piece of work.
func beginTitles(events []analysis.Progress) []string {
	var out []string
	for _, e := range events {
		if e.Kind == analysis.ProgressBegin {
			out = append(out, e.Title)
		}
	}
	return out
}

func ids(ts []Test) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func results(o *Report) map[string]Status {
	m := map[string]Status{}
	for _, r := range o.Results {
		m[r.ID] = r.Status
	}
	return m
}

func TestGoDiscover(t *testing.T) {
	s := New(analysis.NewSnapshot("../../examples/gocalc"), Settings{}, WithCacheDir(""))
	tests, err := s.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"example.com/gocalc/calc.ExampleAbs",
		"example.com/gocalc/calc.TestAdd",
		"example.com/gocalc/calc.TestDiv",
		"example.com/gocalc/calc.TestMulClamps",
		"example.com/gocalc/calc.TestSub",
		"example.com/gocalc/rpn.BenchmarkEval",
		"example.com/gocalc/rpn.TestEval",
		"example.com/gocalc/rpn.TestEvalErrors",
	}
	if got := ids(tests); !reflect.DeepEqual(got, want) {
		t.Fatalf("tests:\n got %q\nwant %q", got, want)
	}
	for _, tt := range tests {
		if tt.ID == "example.com/gocalc/calc.TestAdd" {
			if tt.File != "calc/calc_test.go" || tt.Line != 9 || tt.Kind != KindTest {
				t.Errorf("TestAdd at %s:%d (%s), want calc/calc_test.go:9 (test)", tt.File, tt.Line, tt.Kind)
			}
		}
	}
	// The lenses' query: one file's tests with byte ranges.
	inFile, err := s.TestsInFile(context.Background(), "rpn/rpn_test.go")
	if err != nil {
		t.Fatal(err)
	}
	content, _ := os.ReadFile("../../examples/gocalc/rpn/rpn_test.go")
	for _, tt := range inFile {
		if !strings.HasPrefix(string(content[tt.Start:tt.End]), "func "+tt.Name+"(") {
			t.Errorf("%s: range [%d,%d) holds %q", tt.ID, tt.Start, tt.End, content[tt.Start:min(tt.End, tt.Start+30)])
		}
	}
	if len(inFile) != 3 {
		t.Errorf("rpn_test.go: got %d tests, want 3", len(inFile))
	}
}

func TestGoDiscoverRules(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{
		"go.mod": "module example.com/m\n\ngo 1.22\n",
		"m_test.go": `package m

import "testing"

func TestMain(m *testing.M) { m.Run() }
func Test(t *testing.T)      {}
func Testing(t *testing.T)   {} // not a test: lower case after the prefix
func TestÄrger(t *testing.T) {}
func Test_x(t *testing.T)    {}
func TestWrong(b *testing.B) {}
func FuzzParse(f *testing.F) {}
func ExampleNoOutput()       {}
func ExampleOut() {
	// Output:
}
func ExampleUnordered() {
	// Unordered output: a
}
`,
	})
	s := New(analysis.NewSnapshot(dir), Settings{}, WithCacheDir(""))
	tests, err := s.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"example.com/m.ExampleOut", "example.com/m.ExampleUnordered", "example.com/m.FuzzParse", "example.com/m.Test", "example.com/m.Test_x", "example.com/m.TestÄrger"}
	if got := ids(tests); !reflect.DeepEqual(got, want) {
		t.Fatalf("tests:\n got %q\nwant %q", got, want)
	}
}

func TestGoRun(t *testing.T) {
	needGo(t)
	dir := testenv.CopyTemp(t, "../../examples/gocalc")
	// Break Add: TestAdd fails at its t.Errorf line, the others pass.
	calc := filepath.Join(dir, "calc", "calc.go")
	src, _ := os.ReadFile(calc)
	os.WriteFile(calc, []byte(strings.Replace(string(src), "clamp(a + b)", "clamp(a - b)", 1)), 0o644)
	var log testenv.Recorder[analysis.Progress]
	s := New(analysis.NewSnapshot(dir), Settings{}, WithCacheDir(""), WithProgress(log.Add))
	tests, err := s.Discover(context.Background(), "calc")
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Run(context.Background(), tests, RunOptions{Coverage: true})
	if err != nil {
		t.Fatal(err)
	}
	got := results(out)
	want := map[string]Status{
		"example.com/gocalc/calc.ExampleAbs": Pass, "example.com/gocalc/calc.TestAdd": Fail,
		"example.com/gocalc/calc.TestDiv": Pass, "example.com/gocalc/calc.TestMulClamps": Pass,
		"example.com/gocalc/calc.TestSub": Pass,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("results %v, want %v", got, want)
	}
	for _, r := range out.Results {
		if r.ID != "example.com/gocalc/calc.TestAdd" {
			continue
		}
		if !strings.Contains(r.Output, "Add(2, 3) = -1, want 5") {
			t.Errorf("output of the failing test: %q", r.Output)
		}
		if r.Failure == nil || *r.Failure != (Location{"calc/calc_test.go", 11}) {
			t.Errorf("failure at %+v, want calc/calc_test.go:11", r.Failure)
		}
	}
	f := out.Coverage.Files["calc/calc.go"]
	if f == nil || f.Percent() < 90 {
		t.Errorf("coverage of calc/calc.go: %+v", f)
	}
	if titles := beginTitles(log.All()); len(titles) == 0 || !strings.HasPrefix(titles[0], "Running 5 tests") {
		t.Errorf("progress titles %q", titles)
	}
}

// TestGoRunOverlay runs a snapshot's edit that is not on disk.
func TestGoRunOverlay(t *testing.T) {
	needGo(t)
	snap := analysis.NewSnapshot("../../examples/gocalc")
	f, err := snap.File("calc/calc.go")
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(f.Content), "return a / b, nil", "return a * b, nil", 1)
	snap = snap.With(analysis.NewFile("calc/calc.go", []byte(edited), 1))
	s := New(snap, Settings{}, WithCacheDir(""))
	out, err := s.RunIDs(context.Background(), []string{"example.com/gocalc/calc.TestDiv", "example.com/gocalc/calc.TestAdd"}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Status{"example.com/gocalc/calc.TestDiv": Fail, "example.com/gocalc/calc.TestAdd": Pass}
	if got := results(out); !reflect.DeepEqual(got, want) {
		t.Fatalf("results %v, want %v", got, want)
	}
	if _, err := s.RunIDs(context.Background(), []string{"example.com/gocalc/calc.TestNope"}, RunOptions{}); err == nil || !strings.Contains(err.Error(), "TestNope") {
		t.Errorf("unknown id: err = %v", err)
	}
}

func TestGoBuildFailureIsError(t *testing.T) {
	needGo(t)
	dir := testenv.CopyTemp(t, "../../examples/gocalc")
	testenv.WriteFiles(t, dir, map[string]string{"calc/broken.go": "package calc\n\nfunc broken() int { return \"x\" }\n"})
	s := New(analysis.NewSnapshot(dir), Settings{}, WithCacheDir(""))
	out, err := s.RunIDs(context.Background(), []string{"example.com/gocalc/calc.TestAdd"}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Results[0]
	if r.Status != Error || !strings.Contains(r.Output, "broken.go") {
		t.Fatalf("got %s with output %q, want an error naming broken.go", r.Status, r.Output)
	}
}

// Command tests measures gauntlet's impacted-test selection on public Go
// modules: for one-line edits (flipped operators and constants) spread over
// each module's code, the wall time of `gauntlet test --affected-by` beside
// `go test -count=1 ./...` after the same edit, the share of tests selected,
// the floor (go test of only the selected tests' packages and names), the
// time to build the per-test map beside one full run, and whether every
// mutant the full suite kills also fails the selected run.
//
//	go build -o /tmp/gauntlet-testrun ./cmd/gauntlet
//	go run ./bench/tests -gauntlet /tmp/gauntlet-testrun > bench/tests/RESULTS.md
//
// Modules come from the Go module cache, downloaded through the module proxy
// when missing, and are copied into a temporary directory: nothing is
// written to the cache or to this repository.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"
)

var (
	gauntletBin = flag.String("gauntlet", "gauntlet", "the gauntlet binary")
	modules     = flag.String("modules", "github.com/google/go-cmp@v0.7.0,github.com/BurntSushi/toml@v1.6.0,github.com/oklog/run@v1.2.0,github.com/fatih/color@v1.13.0,github.com/robfig/cron/v3@v3.0.1", "comma-separated module@version list")
	edits       = flag.Int("edits", 12, "edits (mutants) per module")
	slowEdits   = flag.Int("slow-edits", 6, "edits for modules whose full run takes over 10s")
	keep        = flag.Bool("keep", false, "keep the work directory")
)

// mutations are applied to the first match on a line.
var mutations = [][2]string{
	{" == ", " != "}, {" != ", " == "}, {" < ", " <= "}, {" > ", " >= "}, {" <= ", " < "}, {" >= ", " > "},
	{" + ", " - "}, {" - ", " + "}, {" && ", " || "}, {" || ", " && "},
	{"return true", "return false"}, {"return false", "return true"}, {" = 0\n", " = 1\n"}, {"[0]", "[1]"},
}

// timeout bounds every run of the current module (set from its full run).
var timeout time.Duration

type edit struct {
	File     string
	Line     int
	From, To string
	Selected int
	Total    int
	Gauntlet time.Duration
	Full     time.Duration
	Floor    time.Duration
	FullFail bool
	SelFail  bool
	Uncov    bool
	Flaky    bool // the full suite failed once, then passed
}

type result struct {
	Module   string
	Packages int
	Tests    int
	Full     time.Duration
	Map      time.Duration
	MapAgain time.Duration
	Edits    []edit
	Err      error
}

func main() {
	log.SetFlags(0)
	flag.Parse()
	bin, err := exec.LookPath(*gauntletBin)
	if err != nil {
		log.Fatalf("gauntlet binary: %v (build it with go build -o /tmp/gauntlet ./cmd/gauntlet)", err)
	}
	if bin, err = filepath.Abs(bin); err != nil {
		log.Fatal(err)
	}
	work, err := os.MkdirTemp("", "gauntlet-bench-tests-")
	if err != nil {
		log.Fatal(err)
	}
	if !*keep {
		defer os.RemoveAll(work)
	}
	var results []result
	for _, m := range strings.Split(*modules, ",") {
		r, err := measure(bin, work, strings.TrimSpace(m))
		if err != nil {
			// A module whose suite fails or flakes before any edit cannot
			// judge mutants; it is reported and skipped.
			log.Printf("%s: %v", m, err)
			r.Err = err
		}
		results = append(results, r)
	}
	report(results)
}

func run(dir string, env []string, name string, args ...string) ([]byte, time.Duration, error) {
	c := exec.Command(name, args...)
	c.Dir = dir
	c.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	c.Stdout = &out
	c.Stderr = &errb
	start := time.Now()
	err := c.Run()
	if err != nil {
		err = fmt.Errorf("%v: %s", err, tail(errb.Bytes()))
	}
	if name == "go" {
		out.Write(errb.Bytes()) // go test reports build failures on stderr
	}
	return out.Bytes(), time.Since(start), err
}

func moduleDir(work, mod string) (string, error) {
	out, _, err := run(work, []string{"GOFLAGS=-mod=mod"}, "go", "mod", "download", "-json", mod)
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %v\n%s", mod, err, out)
	}
	var info struct{ Dir string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", mod, out)
	}
	return info.Dir, nil
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

func measure(bin, work, mod string) (result, error) {
	r := result{Module: mod}
	log.Printf("== %s", mod)
	src, err := moduleDir(work, mod)
	if err != nil {
		return r, err
	}
	// Three copies of the module: gauntlet runs in the first, the full suite
	// in the second, the floor in the third. The go command's build cache is
	// keyed by directory, so each measurement compiles the edited package
	// itself, as it would alone, and finds the rest compiled.
	base := filepath.Join(work, strings.NewReplacer("/", "_", "@", "_").Replace(mod))
	dir, fullDir, floorDir := base+"-gauntlet", base+"-full", base+"-floor"
	for _, d := range []string{dir, fullDir, floorDir} {
		if err := copyTree(src, d); err != nil {
			return r, err
		}
	}
	env := []string{"GOFLAGS=-mod=mod", "GAUNTLET_CACHE=" + filepath.Join(work, "cache-"+filepath.Base(dir))}
	if out, _, err := run(dir, env, "go", "mod", "download"); err != nil {
		return r, fmt.Errorf("go mod download: %v\n%s", err, out)
	}
	// Warm the build cache, and check the suite passes before any edit.
	for _, d := range []string{dir, fullDir, floorDir} {
		// Timing-based suites may flake on a busy machine: three tries.
		var out []byte
		var err error
		for try := 0; try < 3; try++ {
			if out, _, err = run(d, env, "go", "test", "-count=1", "-timeout=5m", "./..."); err == nil {
				break
			}
		}
		if err != nil {
			return r, fmt.Errorf("the suite fails before any edit:\n%s", tail(out))
		}
	}
	_, r.Full, _ = run(fullDir, env, "go", "test", "-count=1", "./...")
	// A mutant may loop: both sides get the same bound.
	timeout = max(time.Minute, 4*r.Full).Round(time.Second)
	cfg := fmt.Sprintf("tests:\n  timeout: %s\n  go:\n    timeout: %s\n", timeout, timeout)
	if err := os.WriteFile(filepath.Join(dir, ".gauntlet.yaml"), []byte(cfg), 0o644); err != nil {
		return r, err
	}
	for _, c := range [][]string{{"git", "init", "-q"}, {"git", "add", "."}, {"git", "-c", "user.email=b@b", "-c", "user.name=bench", "commit", "-qm", "base"}} {
		if out, _, err := run(dir, env, c[0], c[1:]...); err != nil {
			return r, fmt.Errorf("%s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
	out, d, err := run(dir, env, bin, "coverage", "--format", "json")
	if err != nil {
		return r, fmt.Errorf("gauntlet coverage: %v\n%s", err, tail(out))
	}
	r.Map = d
	_, r.MapAgain, _ = run(dir, env, bin, "coverage", "--format", "json")
	pk, _, _ := run(dir, env, "go", "list", "./...")
	r.Packages = len(strings.Fields(string(pk)))
	log.Printf("   %d packages, full run %v, map %v (cached %v)", r.Packages, r.Full.Round(time.Millisecond), r.Map.Round(time.Millisecond), r.MapAgain.Round(time.Millisecond))

	n := *edits
	if r.Full > 10*time.Second {
		n = *slowEdits
	}
	for _, e := range candidates(dir, n) {
		if err := measureEdit(bin, []string{dir, fullDir, floorDir}, env, &e); err != nil {
			return r, err
		}
		log.Printf("   %s:%d %q->%q: selected %d/%d, gauntlet %v, full %v, floor %v, full fails %v, selected fails %v",
			e.File, e.Line, e.From, e.To, e.Selected, e.Total, e.Gauntlet.Round(time.Millisecond), e.Full.Round(time.Millisecond), e.Floor.Round(time.Millisecond), e.FullFail, e.SelFail)
		r.Edits = append(r.Edits, e)
		r.Tests = e.Total
	}
	return r, nil
}

// candidates picks n one-line mutants spread evenly over the module's
// non-test code, in a fixed order.
func candidates(dir string, n int) []edit {
	var all []edit
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == ".git" || d.Name() == "vendor" || strings.HasPrefix(d.Name(), "_")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		data, _ := os.ReadFile(p)
		if bytes.Contains(data, []byte("Code generated")) {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		inComment := false // inside /* ... */: a mutant there changes nothing
		for i, l := range strings.Split(string(data), "\n") {
			t := strings.TrimSpace(l)
			if inComment {
				inComment = !strings.Contains(l, "*/")
				continue
			}
			if strings.Contains(l, "/*") {
				inComment = !strings.Contains(l[strings.Index(l, "/*"):], "*/")
				continue
			}
			if strings.HasPrefix(t, "//") || strings.Contains(l, `"`) || strings.Contains(l, "`") {
				continue
			}
			for _, m := range mutations {
				if strings.Contains(l+"\n", m[0]) {
					all = append(all, edit{File: filepath.ToSlash(rel), Line: i + 1, From: m[0], To: m[1]})
					break
				}
			}
		}
		return nil
	})
	sort.Slice(all, func(i, j int) bool {
		if all[i].File != all[j].File {
			return all[i].File < all[j].File
		}
		return all[i].Line < all[j].Line
	})
	if len(all) <= n {
		return all
	}
	out := make([]edit, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, all[(2*i+1)*len(all)/(2*n)])
	}
	return out
}

var failLine = regexp.MustCompile(`(?m)^(--- FAIL|FAIL|panic:)`)

// measureEdit makes the edit in each copy (gauntlet's, the full run's, the
// floor's), measures, and reverts.
func measureEdit(bin string, dirs []string, env []string, e *edit) error {
	dir, fullDir, floorDir := dirs[0], dirs[1], dirs[2]
	orig, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.File)))
	if err != nil {
		return err
	}
	lines := strings.Split(string(orig), "\n")
	lines[e.Line-1] = strings.Replace(lines[e.Line-1]+"\n", e.From, e.To, 1)
	lines[e.Line-1] = strings.TrimSuffix(lines[e.Line-1], "\n")
	for _, d := range dirs {
		path := filepath.Join(d, filepath.FromSlash(e.File))
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			return err
		}
		defer os.WriteFile(path, orig, 0o644)
	}
	diff, _, _ := run(dir, env, "git", "diff")
	patch := filepath.Join(dir, ".git", "edit.diff")
	os.WriteFile(patch, diff, 0o644)

	out, d, err := run(dir, env, bin, "test", "--affected-by", patch, "--format", "json")
	e.Gauntlet = d
	var doc struct {
		Passed     bool     `json:"passed"`
		TotalTests int      `json:"total_tests"`
		Selected   []string `json:"selected"`
		Tests      []struct {
			ID      string `json:"id"`
			Package string `json:"package"`
		} `json:"tests"`
		Uncovered []any `json:"uncovered_changes"`
	}
	if jerr := json.Unmarshal(out, &doc); jerr != nil {
		return fmt.Errorf("gauntlet test --affected-by (%v): %s", err, tail(out))
	}
	e.Selected, e.Total, e.SelFail, e.Uncov = len(doc.Selected), doc.TotalTests, !doc.Passed, len(doc.Uncovered) > 0

	out, e.Full, err = run(fullDir, env, "go", "test", "-count=1", "-timeout="+timeout.String(), "./...")
	e.FullFail = err != nil || failLine.Match(out)
	if e.FullFail && !e.SelFail {
		// A disagreement is checked once more: a timing-based suite may
		// have flaked. A mutant the full suite then does not kill is flaky.
		out, _, err = run(fullDir, env, "go", "test", "-count=1", "-timeout="+timeout.String(), "./...")
		if err == nil && !failLine.Match(out) {
			e.FullFail, e.Flaky = false, true
		}
	}

	// The floor: go test of the selected tests alone (the edited package's
	// test binary compiled, the selected tests run).
	if len(doc.Tests) > 0 {
		names := map[string]bool{}
		pkgs := map[string]bool{}
		for _, t := range doc.Tests {
			pkgs[t.Package] = true
			names[regexp.QuoteMeta(strings.TrimPrefix(t.ID, t.Package+"."))] = true
		}
		args := []string{"test", "-count=1", "-timeout=" + timeout.String(), "-run", "^(" + strings.Join(keys(names), "|") + ")$"}
		args = append(args, keys(pkgs)...)
		_, e.Floor, _ = run(floorDir, env, "go", args...)
	}
	return nil
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func tail(b []byte) string {
	s := string(b)
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

func report(rs []result) {
	fmt.Printf("# gauntlet test --affected-by on public Go modules\n\n")
	fmt.Printf("Measured %s on %s/%s, %d cores, %s. Produced by:\n\n", time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), goVersion())
	fmt.Printf("    go build -o /tmp/gauntlet-testrun ./cmd/gauntlet\n    go run ./bench/tests -gauntlet /tmp/gauntlet-testrun -modules %s\n\n", *modules)
	fmt.Printf("Each edit is a one-line mutant (a flipped operator or constant) of the module's non-test code, spread evenly over its files. ")
	fmt.Printf("*gauntlet* is the wall time of `gauntlet test --affected-by PATCH` (map already built for the unedited code); *full* is `go test -count=1 ./...` after the same edit; ")
	fmt.Printf("*floor* is `go test -count=1 -run '^(selected)$' <their packages>`: compiling the edited packages' test binaries and running the selected tests, nothing else. ")
	fmt.Printf("Each of the three runs in its own copy of the module, so each compiles the edited package itself (the go command's build cache is keyed by directory) and finds the rest compiled. ")
	fmt.Printf("*killed* is whether the full suite fails on the mutant; *sel. fails* whether `gauntlet test --affected-by` does not pass (a failing selected test, or an edit no test covers).\n\n")
	fmt.Printf("## Summary\n\n| module | packages | tests | full run s | map build s | map cached s | edits | median share selected | median speed-up vs full | median gauntlet/floor | killed | killed & selected fails |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	allKilled, allAgree := 0, 0
	for _, r := range rs {
		if r.Err != nil {
			msg := strings.SplitN(r.Err.Error(), "\n", 2)[0]
			fmt.Printf("| %s | skipped: %s |||||||||||\n", r.Module, msg)
			continue
		}
		var shares, speed, floor []float64
		killed, agree := 0, 0
		for _, e := range r.Edits {
			if e.Total > 0 {
				shares = append(shares, float64(e.Selected)/float64(e.Total))
			}
			speed = append(speed, e.Full.Seconds()/e.Gauntlet.Seconds())
			if e.Floor > 0 {
				floor = append(floor, e.Gauntlet.Seconds()/e.Floor.Seconds())
			}
			if e.FullFail {
				killed++
				if e.SelFail {
					agree++
				}
			}
		}
		allKilled += killed
		allAgree += agree
		fmt.Printf("| %s | %d | %d | %s | %s | %s | %d | %.0f%% | %.1fx | %.2f | %d | %d |\n", r.Module, r.Packages, r.Tests, secs(r.Full), secs(r.Map), secs(r.MapAgain), len(r.Edits), 100*median(shares), median(speed), median(floor), killed, agree)
	}
	fmt.Printf("\nAgreement: %d of %d mutants killed by the full suite also fail the selected run (%.0f%%).\n\n", allAgree, allKilled, 100*float64(allAgree)/math.Max(1, float64(allKilled)))
	fmt.Printf("## Edits\n\n*flaky*: the full suite failed on the mutant once and passed on a second run, while the selected run passed: not counted as killed.\n\n")
	fmt.Printf("| module | edit | selected | gauntlet s | full s | floor s | killed | sel. fails | uncovered | flaky |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		for _, e := range r.Edits {
			fmt.Printf("| %s | `%s:%d` `%s`→`%s` | %d/%d | %s | %s | %s | %v | %v | %v | %v |\n", shortMod(r.Module), e.File, e.Line, strings.TrimSpace(e.From), strings.TrimSpace(e.To), e.Selected, e.Total, secs(e.Gauntlet), secs(e.Full), secs(e.Floor), e.FullFail, e.SelFail, e.Uncov, e.Flaky)
		}
	}
}

func shortMod(m string) string {
	m, _, _ = strings.Cut(m, "@")
	return m[strings.LastIndexByte(m, '/')+1:]
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func goVersion() string {
	out, _ := exec.Command("go", "env", "GOVERSION").Output()
	return strings.TrimSpace(string(out))
}

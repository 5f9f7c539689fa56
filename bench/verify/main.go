// Command verify measures `gauntlet verify` on public Go modules: for
// one-line mutants (flipped operators and constants) and neutral edits
// (a comment line) spread over each module's code, the verdict and wall
// time of `gauntlet verify --patch` beside applying the same edit and
// running `go test -count=1 ./...`, the false accepts (a mutant the full
// suite kills that verify accepts), the time of the parse and analyzer
// gates, and whether the module stayed byte-identical through every verify.
//
//	go build -o /tmp/gauntlet ./cmd/gauntlet
//	go run ./bench/verify -gauntlet /tmp/gauntlet > bench/verify/RESULTS.md
//
// With -serve, every edit also goes through a warm `gauntlet serve` (one
// per module, kept for all its edits): the figure for the engine
// kept warm.
//
// The modules are bench/tests's (the test-running benchmark's) list, with
// hashicorp/go-hclog in place of hashicorp/yamux, whose suite takes 40 s
// here and fails before any edit now and then (loopback timing tests). They
// come from the Go module cache, downloaded through the module proxy when
// missing, and are copied into a temporary directory: nothing is written to
// the cache or to this repository.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/gauntlet-dev/gauntlet/server/api"
	"github.com/gauntlet-dev/gauntlet/server/api/client"
)

var (
	gauntletBin = flag.String("gauntlet", "gauntlet", "the gauntlet binary")
	modules     = flag.String("modules", "github.com/google/go-cmp@v0.7.0,github.com/BurntSushi/toml@v1.6.0,github.com/oklog/run@v1.2.0,github.com/fatih/color@v1.13.0,github.com/hashicorp/go-hclog@v1.6.3", "comma-separated module@version list")
	mutants     = flag.Int("mutants", 10, "mutants per module")
	neutral     = flag.Int("neutral", 3, "neutral edits (comments) per module")
	keep        = flag.Bool("keep", false, "keep the work directory")
	limit       = flag.Duration("timeout", 2*time.Minute, "time limit of a test binary, for verify (loop.test_timeout) and the full suite (go test -timeout)")
	serve       = flag.Bool("serve", false, "also send every edit through a warm gauntlet serve (one per module, started before its first edit and kept for all; the gRPC client over a unix socket) and record that time beside the cold CLI's: the 'served s' column")
)

// mutations are applied to the first match on a line.
var mutations = [][2]string{
	{" == ", " != "}, {" != ", " == "}, {" < ", " <= "}, {" > ", " >= "}, {" <= ", " < "}, {" >= ", " > "},
	{" + ", " - "}, {" - ", " + "}, {" && ", " || "}, {" || ", " && "},
	{"return true", "return false"}, {"return false", "return true"}, {" = 0\n", " = 1\n"}, {"[0]", "[1]"},
}

type edit struct {
	File     string
	Line     int
	From, To string // empty for a neutral edit
	Neutral  bool
	Decl     bool // a neutral edit of code: a blank declaration, not a comment

	Accepted   bool
	Gate       string // the gate that rejected it
	Verify     time.Duration
	Static     time.Duration // apply + parse + analyzers gates, as the verdict reports them
	Full       time.Duration
	Killed     bool // the full suite fails
	Identical  bool // the module is byte-identical after verify
	VerifyErr  string
	Sandbox    string
	Selected   int
	FailedTest string
	// Floor: the edit applied, go test -count=1 of the selected tests'
	// packages with -run naming them: the compile of the edited package,
	// the links and the selected tests, no more (0: no test selected).
	Floor time.Duration
	// Served: the same edit through a warm gauntlet serve (-serve), its
	// verdict, and whether the module stayed byte-identical.
	Served         time.Duration
	ServedAccepted bool
	ServedSame     bool // the same verdict as the command line's
	ServedErr      string
	ids            []string
}

type result struct {
	Module   string
	Packages int
	Full     time.Duration
	Map      time.Duration
	First    time.Duration // the first verify, cold shadow build cache
	Edits    []edit
	Skipped  string
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
	work, err := os.MkdirTemp("", "gauntlet-bench-verify-")
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
			// A module whose suite does not pass unedited says nothing
			// about verify; it is reported and the others go on.
			log.Printf("%s: skipped: %v", m, err)
			r.Skipped = firstLine(err.Error())
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
		out.Write(errb.Bytes())
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

// treeHash hashes the module's files (not .git).
func treeHash(dir string) string {
	h := sha256.New()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s %v\n", rel, info.Mode())
		if d.Type().IsRegular() {
			data, _ := os.ReadFile(p)
			h.Write(data)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}

func measure(bin, work, mod string) (result, error) {
	r := result{Module: mod}
	log.Printf("== %s", mod)
	src, err := moduleDir(work, mod)
	if err != nil {
		return r, err
	}
	// Named as the module's last element: some suites check the file
	// names their log lines print (go-hclog).
	modPath, _, _ := strings.Cut(mod, "@")
	dir := filepath.Join(work, strings.NewReplacer("/", "_", "@", "_").Replace(mod), modPath[strings.LastIndexByte(modPath, '/')+1:])
	if err := copyTree(src, dir); err != nil {
		return r, err
	}
	env := []string{"GOFLAGS=-mod=mod", "GAUNTLET_CACHE=" + filepath.Join(filepath.Dir(dir), "cache")}
	// A mutant may make a test hang: both sides stop at the same limit.
	config := fmt.Sprintf("loop:\n  test_timeout: %v\n", *limit)
	if err := os.WriteFile(filepath.Join(dir, ".gauntlet.yaml"), []byte(config), 0o644); err != nil {
		return r, err
	}
	for _, c := range [][]string{{"go", "mod", "download"}, {"git", "init", "-q"}, {"git", "add", "."}, {"git", "-c", "user.email=b@b", "-c", "user.name=bench", "commit", "-qm", "base"}} {
		if out, _, err := run(dir, env, c[0], c[1:]...); err != nil {
			return r, fmt.Errorf("%s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
	if out, _, err := run(dir, env, "go", "test", "-count=1", "./..."); err != nil {
		return r, fmt.Errorf("the suite fails before any edit:\n%s", tail(out))
	}
	_, r.Full, _ = run(dir, env, "go", "test", "-count=1", "./...")
	out, d, err := run(dir, env, bin, "coverage", "--format", "json")
	if err != nil {
		return r, fmt.Errorf("gauntlet coverage: %v\n%s", err, tail(out))
	}
	r.Map = d
	pk, _, _ := run(dir, env, "go", "list", "./...")
	r.Packages = len(strings.Fields(string(pk)))
	log.Printf("   %d packages, full run %v, map %v", r.Packages, r.Full.Round(time.Millisecond), r.Map.Round(time.Millisecond))

	var srv *server
	if *serve {
		if srv, err = startServe(bin, dir, env); err != nil {
			return r, err
		}
		defer srv.stop()
	}

	edits := append(candidates(dir, *mutants), neutrals(dir, *neutral)...)
	for _, e := range neutrals(dir, *neutral) {
		e.Decl = true
		edits = append(edits, e)
	}
	for i := range edits {
		e := &edits[i]
		if err := measureEdit(bin, dir, env, e, srv); err != nil {
			return r, err
		}
		if i == 0 {
			// The first verify builds the shadow copy's packages into the
			// build cache; measure it again warm, as an editor or bot would.
			r.First = e.Verify
			if err := measureEdit(bin, dir, env, e, srv); err != nil {
				return r, err
			}
		}
		what := fmt.Sprintf("%q->%q", e.From, e.To)
		if e.Neutral {
			what = "comment"
			if e.Decl {
				what = "declaration"
			}
		}
		log.Printf("   %s:%d %s: accepted %v (%s), verify %v, served %v, full %v, killed %v, identical %v %s%s",
			e.File, e.Line, what, e.Accepted, e.Gate, e.Verify.Round(time.Millisecond), e.Served.Round(time.Millisecond), e.Full.Round(time.Millisecond), e.Killed, e.Identical, e.VerifyErr, e.ServedErr)
		r.Edits = append(r.Edits, *e)
	}
	return r, nil
}

// sourceFiles lists the module's non-test, non-generated Go files, sorted.
func sourceFiles(dir string) []string {
	var out []string
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
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	sort.Strings(out)
	return out
}

// candidates picks n one-line mutants spread evenly over the module's
// non-test code, in a fixed order (bench/tests's choice).
func candidates(dir string, n int) []edit {
	var all []edit
	for _, rel := range sourceFiles(dir) {
		data, _ := os.ReadFile(filepath.Join(dir, rel))
		for i, l := range strings.Split(string(data), "\n") {
			t := strings.TrimSpace(l)
			if strings.HasPrefix(t, "//") || strings.Contains(l, `"`) || strings.Contains(l, "`") {
				continue
			}
			for _, m := range mutations {
				if strings.Contains(l+"\n", m[0]) {
					all = append(all, edit{File: rel, Line: i + 1, From: m[0], To: m[1]})
					break
				}
			}
		}
	}
	return spread(all, n)
}

// neutrals picks n places before a func declaration for a comment line.
func neutrals(dir string, n int) []edit {
	var all []edit
	for _, rel := range sourceFiles(dir) {
		data, _ := os.ReadFile(filepath.Join(dir, rel))
		for i, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "func ") {
				all = append(all, edit{File: rel, Line: i + 1, Neutral: true})
			}
		}
	}
	return spread(all, n)
}

func spread(all []edit, n int) []edit {
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

func measureEdit(bin, dir string, env []string, e *edit, srv *server) error {
	path := filepath.Join(dir, filepath.FromSlash(e.File))
	orig, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(string(orig), "\n")
	if e.Neutral {
		add := "// gauntlet bench: a neutral edit."
		if e.Decl {
			add = "var _ = 0 // gauntlet bench: a neutral edit of code."
		}
		lines = append(lines[:e.Line-1], append([]string{add}, lines[e.Line-1:]...)...)
	} else {
		lines[e.Line-1] = strings.TrimSuffix(strings.Replace(lines[e.Line-1]+"\n", e.From, e.To, 1), "\n")
	}
	edited := []byte(strings.Join(lines, "\n"))
	// The patch, made by git from the edited file; then the file goes back,
	// and verify sees only the patch.
	if err := os.WriteFile(path, edited, 0o644); err != nil {
		return err
	}
	diff, _, _ := run(dir, env, "git", "diff")
	if err := os.WriteFile(path, orig, 0o644); err != nil {
		return err
	}
	patch := filepath.Join(dir, ".git", "edit.diff")
	if err := os.WriteFile(patch, diff, 0o644); err != nil {
		return err
	}

	before := treeHash(dir)
	out, d, err := run(dir, env, bin, "verify", "--patch", patch, "--format", "json")
	e.Verify = d
	e.Identical = treeHash(dir) == before
	var v struct {
		Accepted bool   `json:"accepted"`
		Sandbox  string `json:"sandbox"`
		Gates    []struct {
			Name     string   `json:"name"`
			OK       bool     `json:"ok"`
			Skipped  bool     `json:"skipped"`
			Duration int64    `json:"duration_ms"`
			Error    string   `json:"error"`
			Selected []string `json:"selected"`
			Failed   []struct {
				ID string `json:"id"`
			} `json:"failed"`
		} `json:"gates"`
	}
	if jerr := json.Unmarshal(out, &v); jerr != nil {
		return fmt.Errorf("gauntlet verify (%v): %s", err, tail(out))
	}
	e.Accepted, e.Sandbox = v.Accepted, v.Sandbox
	e.Static = 0
	for _, g := range v.Gates {
		switch g.Name {
		case "apply", "parse", "analyzers":
			e.Static += time.Duration(g.Duration) * time.Millisecond
		case "tests":
			e.Selected = len(g.Selected)
			e.ids = g.Selected
			if len(g.Failed) > 0 {
				e.FailedTest = g.Failed[0].ID
			}
		}
		if !g.OK && !g.Skipped && e.Gate == "" {
			e.Gate = g.Name
			e.VerifyErr = g.Error
		}
	}

	if srv != nil {
		// The same patch through the warm engine, right after the cold
		// command (the same build cache state for the packages it changes).
		before := treeHash(dir)
		start := time.Now()
		res, err := srv.c.Verify(context.Background(), &api.VerifyRequest{Cwd: dir, Patch: diff, Format: "json"}, api.Events{})
		e.Served = time.Since(start)
		e.ServedErr = ""
		if err != nil {
			e.ServedErr = err.Error()
		} else {
			var sv struct {
				Accepted bool `json:"accepted"`
			}
			if jerr := json.Unmarshal(res.JSON, &sv); jerr != nil {
				e.ServedErr = fmt.Sprintf("served verdict: %v: %s", jerr, tail(res.Output))
			}
			e.ServedAccepted = sv.Accepted
		}
		e.ServedSame = e.ServedErr == "" && e.ServedAccepted == e.Accepted
		e.Identical = e.Identical && treeHash(dir) == before
	}

	// The same edit applied, and the full suite. Each of the two runs gets
	// the edited file with a comment of its own at the end, so that each
	// compiles the edited package as a user who just made the edit would:
	// neither is served by the other's compile from the build cache.
	if err := os.WriteFile(path, nonce(edited, "floor"), 0o644); err != nil {
		return err
	}
	if len(e.ids) > 0 {
		var pkgs, names []string
		seenP, seenN := map[string]bool{}, map[string]bool{}
		for _, id := range e.ids {
			i := strings.LastIndexByte(id, '.')
			p, n := id[:i], regexp.QuoteMeta(id[i+1:])
			if !seenP[p] {
				seenP[p] = true
				pkgs = append(pkgs, p)
			}
			if !seenN[n] {
				seenN[n] = true
				names = append(names, n)
			}
		}
		args := append([]string{"test", "-count=1", "-timeout=" + limit.String(), "-run=^(" + strings.Join(names, "|") + ")$"}, pkgs...)
		_, e.Floor, _ = run(dir, env, "go", args...)
	}
	if err := os.WriteFile(path, nonce(edited, "full"), 0o644); err != nil {
		return err
	}
	out, e.Full, err = run(dir, env, "go", "test", "-count=1", "-timeout="+limit.String(), "./...")
	e.Killed = err != nil || failLine.Match(out)
	return os.WriteFile(path, orig, 0o644)
}

// nonce is src with a comment line of its own at the end: new content for
// the build cache, the same code.
func nonce(src []byte, what string) []byte {
	return fmt.Appendf(append([]byte{}, src...), "\n// gauntlet bench: %s %d\n", what, time.Now().UnixNano())
}

func tail(b []byte) string {
	s := string(b)
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

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

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func goVersion() string {
	out, _ := exec.Command("go", "env", "GOVERSION").Output()
	return strings.TrimSpace(string(out))
}

func shortMod(m string) string {
	m, _, _ = strings.Cut(m, "@")
	return m[strings.LastIndexByte(m, '/')+1:]
}

func report(rs []result) {
	sandbox := "none"
	for _, r := range rs {
		for _, e := range r.Edits {
			sandbox = e.Sandbox
		}
	}
	fmt.Printf("# gauntlet verify on public Go modules\n\n")
	fmt.Printf("Measured %s on %s/%s, %d cores, %s, sandbox %s. Produced by:\n\n", time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), goVersion(), sandbox)
	fmt.Printf("    go build -o /tmp/gauntlet ./cmd/gauntlet\n    go run ./bench/verify -gauntlet /tmp/gauntlet > bench/verify/RESULTS.md\n\n(or `sh bench/verify/run.sh`).\n\n")
	fmt.Printf("Each module (bench/tests's list, with go-hclog for yamux, whose 40 s suite fails now and then before any edit) is copied into a temporary git repository. Each edit is a one-line mutant (a flipped operator or constant) of its non-test code, ")
	fmt.Printf("or a neutral edit — a comment line, or a blank declaration `var _ = 0`, before a function — spread evenly over its files. A comment-only edit leaves the code's tokens as they were, so verify skips its build, tests and coverage gates (and says so); the declaration runs every gate, with the tests of its package and of those that import it. *verify* is the wall time of `gauntlet verify --patch EDIT --format json` on the unedited module ")
	fmt.Printf("(every gate, builds and tests in the sandbox; the per-test coverage map of the unedited code already built by `gauntlet coverage`, as an editor keeps it); ")
	fmt.Printf("*full* is applying the same edit and running `go test -count=1 -timeout=%v ./...` (verify gets the same limit, loop.test_timeout, since a mutant can make a test hang). *killed*: the full suite fails. A *false accept* is a killed mutant that verify accepts. ", *limit)
	fmt.Printf("*static* is the apply, parse and analyzers gates together, as the verdict times them. *first verify* is the first verify of a module (its shadow copy's packages not yet in the build cache); the edit is then measured again and the second time is the one counted.\n\n")

	fmt.Printf("## Summary\n\n| module | packages | full run s | map build s | first verify s | mutants | killed | rejected | false accepts | neutral accepted | median verify s | median full s | median speed-up | static ms median / max | byte-identical |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	totalFalse, totalNeutral, totalNeutralOK, totalIdentical, totalEdits := 0, 0, 0, 0, 0
	var allStatic []float64
	for _, r := range rs {
		if r.Skipped != "" {
			fmt.Printf("| %s | skipped: %s |||||||||||||\n", r.Module, r.Skipped)
			continue
		}
		var vs, fs, speed, static []float64
		muts, killed, rejected, falseAcc, neu, neuOK, ident := 0, 0, 0, 0, 0, 0, 0
		for _, e := range r.Edits {
			vs = append(vs, e.Verify.Seconds())
			fs = append(fs, e.Full.Seconds())
			speed = append(speed, e.Full.Seconds()/e.Verify.Seconds())
			static = append(static, float64(e.Static.Milliseconds()))
			if e.Identical {
				ident++
			}
			if e.Neutral {
				neu++
				if e.Accepted {
					neuOK++
				}
				continue
			}
			muts++
			if e.Killed {
				killed++
			}
			if !e.Accepted {
				rejected++
			}
			if e.Killed && e.Accepted {
				falseAcc++
			}
		}
		totalFalse += falseAcc
		totalNeutral += neu
		totalNeutralOK += neuOK
		totalIdentical += ident
		totalEdits += len(r.Edits)
		allStatic = append(allStatic, static...)
		fmt.Printf("| %s | %d | %s | %s | %s | %d | %d | %d | **%d** | %d/%d | %s | %s | %.1fx | %.0f / %.0f | %d/%d |\n",
			r.Module, r.Packages, secs(r.Full), secs(r.Map), secs(r.First), muts, killed, rejected, falseAcc, neuOK, neu,
			fmt.Sprintf("%.2f", median(vs)), fmt.Sprintf("%.2f", median(fs)), median(speed), median(static), maxOf(static), ident, len(r.Edits))
	}
	fmt.Printf("\nFalse accepts: **%d**. Neutral edits accepted: %d of %d. Module byte-identical after %d of %d verifies. Static gates (apply, parse, analyzers): median %.0f ms, max %.0f ms.\n\n",
		totalFalse, totalNeutralOK, totalNeutral, totalIdentical, totalEdits, median(allStatic), maxOf(allStatic))

	if *serve {
		fmt.Printf("## Through a warm gauntlet serve\n\n*served* is the same patch sent to one `gauntlet serve` per module (started before the module's first edit and kept for all its edits, over a unix socket, through the gRPC client), right after the command line's verify of it, with a sandbox build cache of its own (so that what the command compiled for this edit does not serve it; the first edit, measured twice, fills it with the unedited module); the first edit's warm-up is not counted, as for *verify*. *same verdicts*: served and command line agree on accepted or not.\n\n")
		fmt.Printf("| module | median verify s (command) | median served s | median full s | median speed-up full/served | median command/served | same verdicts | served false accepts | served neutral accepted |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range rs {
			if r.Skipped != "" {
				continue
			}
			var vs, ss, fs, speed, ratio []float64
			same, falseAcc, neu, neuOK := 0, 0, 0, 0
			for _, e := range r.Edits {
				vs = append(vs, e.Verify.Seconds())
				ss = append(ss, e.Served.Seconds())
				fs = append(fs, e.Full.Seconds())
				speed = append(speed, e.Full.Seconds()/e.Served.Seconds())
				ratio = append(ratio, e.Verify.Seconds()/e.Served.Seconds())
				if e.ServedSame {
					same++
				}
				if e.Neutral {
					neu++
					if e.ServedAccepted && e.ServedErr == "" {
						neuOK++
					}
				} else if e.Killed && e.ServedAccepted {
					falseAcc++
				}
			}
			fmt.Printf("| %s | %.2f | %.2f | %.2f | %.1fx | %.1fx | %d/%d | **%d** | %d/%d |\n", r.Module, median(vs), median(ss), median(fs), median(speed), median(ratio), same, len(r.Edits), falseAcc, neuOK, neu)
		}
		fmt.Printf("\n")
	}

	fmt.Printf("## Against the floor\n\nOver the edits that run tests (a floor was taken): *floor* is the edit applied and only its selected tests run (`go test -count=1 -run '^(selected)$' <their packages>`): the compile of the edited package, the links and the selected tests, and nothing else. *full/floor* is the most any selection of tests could gain on the full suite; *verify/floor* and *served/floor* say how close verify gets to it (1.0x: no cost beyond the floor).\n\n")
	fmt.Printf("| module | edits | median floor s | median full s | median full/floor | median verify/floor | median served/floor |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		var fl, fs, ff, vf, sf []float64
		for _, e := range r.Edits {
			if e.Floor <= 0 {
				continue
			}
			fl = append(fl, e.Floor.Seconds())
			fs = append(fs, e.Full.Seconds())
			ff = append(ff, e.Full.Seconds()/e.Floor.Seconds())
			vf = append(vf, e.Verify.Seconds()/e.Floor.Seconds())
			if *serve {
				sf = append(sf, e.Served.Seconds()/e.Floor.Seconds())
			}
		}
		if len(fl) == 0 {
			continue
		}
		served := "-"
		if *serve {
			served = fmt.Sprintf("%.1fx", median(sf))
		}
		fmt.Printf("| %s | %d | %.2f | %.2f | %.1fx | %.1fx | %s |\n", r.Module, len(fl), median(fl), median(fs), median(ff), median(vf), served)
	}
	fmt.Printf("\n")

	fmt.Printf("## Edits\n\n*floor* is the edit applied and `go test -count=1 -run '^(selected)$' <their packages>`, *full* `go test -count=1 ./...`, each with a comment of its own appended to the edited file, so that each compiles the edited package (neither is served by the other's compile).\n\n| module | edit | verdict | selected tests | verify s | served s | floor s | full s | killed | static ms |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		for _, e := range r.Edits {
			what := fmt.Sprintf("`%s`→`%s`", strings.TrimSpace(e.From), strings.TrimSpace(e.To))
			if e.Neutral {
				what = "neutral: comment"
				if e.Decl {
					what = "neutral: `var _ = 0`"
				}
			}
			verdict := "accepted"
			if !e.Accepted {
				verdict = "rejected by " + e.Gate
				if e.FailedTest != "" && e.Gate == "tests" {
					verdict += " (" + strings.TrimPrefix(e.FailedTest, strings.Split(r.Module, "@")[0]) + ")"
				}
				if e.VerifyErr != "" {
					verdict = "error in " + e.Gate + ": " + e.VerifyErr
				}
			}
			served := "-"
			if *serve {
				served = secs(e.Served)
				if !e.ServedSame {
					served += " (differs: accepted " + fmt.Sprint(e.ServedAccepted) + " " + firstLine(e.ServedErr) + ")"
				}
			}
			fmt.Printf("| %s | `%s:%d` %s | %s | %d | %s | %s | %s | %s | %v | %d |\n", shortMod(r.Module), e.File, e.Line, what, verdict, e.Selected, secs(e.Verify), served, secs(e.Floor), secs(e.Full), e.Killed, e.Static.Milliseconds())
		}
	}
}

// server is a gauntlet serve kept for one module's edits (-serve).
type server struct {
	cmd *exec.Cmd
	c   *client.Client
	log bytes.Buffer
}

// startServe starts gauntlet serve for the workspace dir on a unix socket
// and waits until it answers.
func startServe(bin, dir string, env []string) (*server, error) {
	sock := filepath.Join(filepath.Dir(dir), "serve", "engine.sock")
	s := &server{cmd: exec.Command(bin, "serve", "--listen", "unix:"+sock, "--root", dir)}
	s.cmd.Dir = dir
	// Its own sandbox build cache: what the command line's verify of the
	// same edit just compiled does not serve it (both start from the
	// unedited module's packages, compiled by the first edit's warm-up).
	s.cmd.Env = append(append(os.Environ(), env...), "GAUNTLET_SANDBOX_GOCACHE="+filepath.Join(filepath.Dir(dir), "serve-gocache"))
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.cmd.Stderr = &s.log
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	c, err := client.Dial("unix:" + sock)
	if err != nil {
		s.stop()
		return nil, err
	}
	s.c = c
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Healthy(ctx)
		cancel()
		if err == nil {
			return s, nil
		}
		if i > 300 {
			s.stop()
			return nil, fmt.Errorf("gauntlet serve did not start: %v\n%s", err, s.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *server) stop() {
	if s.c != nil {
		s.c.Close()
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	s.cmd.Wait()
}

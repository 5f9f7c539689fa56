// Package confine runs a program whose writes are limited to a list of
// directories, with Linux's Landlock: the program, and every process it
// starts, can still read and run what it sees, but it cannot create,
// change or remove a file anywhere else, nor trace or signal a process
// outside its confinement.
//
// The sandbox's go test uses it for the test binaries (go test -exec):
// the go command beside them keeps writing the build cache, which later
// verifications trust, while the code under test cannot touch it.
//
// A binary that links this package becomes the confining launcher when it
// is started under the name ExecName: see init.
package confine

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ExecName is the file name under which a binary linking this package
// confines the program its arguments name, and runs it.
const ExecName = "gauntlet-confined-exec"

// DisableEnv, set to "off", makes Available report false (the sandbox then
// falls back to a read-only build cache): for tests of that fallback.
const DisableEnv = "GAUNTLET_LANDLOCK"

// Available reports whether programs can be confined here: the kernel
// offers Landlock, a thread of this process could confine itself, and
// DisableEnv does not turn it off.
func Available() bool {
	return os.Getenv(DisableEnv) != "off" && works()
}

// ABI is the kernel's Landlock ABI version, 0 without Landlock. From 6 on,
// a confined program cannot signal a process outside its confinement.
func ABI() int { return abi() }

// Args returns the arguments that make a binary started as ExecName
// confine the program that follows them to writes in writable (their
// files and what lies below them) and the directory the program is in,
// and start it without the environment variables unset.
func Args(writable, unset []string) []string {
	var out []string
	for _, w := range writable {
		out = append(out, "--rw", w)
	}
	for _, u := range unset {
		out = append(out, "--unset", u)
	}
	return append(out, "--")
}

// init turns a binary started as ExecName into the launcher: it never
// returns then. A hook in init, not in main, so that every binary linking
// the package — gauntlet and the test binaries of its packages — can be
// the launcher without code of its own; the name is gauntlet's own, so no
// other start of the binary takes this path.
func init() {
	if filepath.Base(os.Args[0]) != ExecName {
		return
	}
	if err := Exec(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "gauntlet: confine: %v\n", err)
	}
	os.Exit(126)
}

// Exec confines the calling process as args say (Args's flags, "--", the
// program and its arguments) and replaces it with the program. It returns
// only on failure.
func Exec(args []string) error {
	const usage = "usage: %s [--rw DIR ...] [--unset NAME ...] -- PROGRAM [ARG ...]"
	var writable []string
	env := os.Environ()
	for len(args) > 0 && args[0] != "--" {
		if len(args) < 2 {
			return fmt.Errorf(usage, ExecName)
		}
		switch args[0] {
		case "--rw":
			writable = append(writable, args[1])
		case "--unset":
			env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, args[1]+"=") })
		default:
			return fmt.Errorf(usage, ExecName)
		}
		args = args[2:]
	}
	if len(args) < 2 {
		return fmt.Errorf(usage, ExecName)
	}
	prog, argv := args[1], args[1:]
	if !strings.Contains(prog, "/") {
		return fmt.Errorf("%s: the program must be named by its path", prog)
	}
	// A test binary writes its coverage and profiles beside itself.
	writable = append(writable, filepath.Dir(prog))
	return execConfined(prog, argv, env, writable)
}

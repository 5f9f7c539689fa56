// Command misbehave is a plugin for the host's end-to-end tests; its first
// argument says how it behaves:
//
//	ok          reports "ok" at the start of each file, with a fix; panics
//	            inside its analyzer on a file containing ANALYZER-PANIC
//	panic       panics (the process dies) in the middle of a call
//	panic-once  panics in its first call ever (a file named by
//	            $MISBEHAVE_STATE remembers), then behaves as ok
//	exit        exits with status 3 in the middle of a call
//	hang        never answers a call
//	stdout      prints to stdout before its handshake
//	stdin       reads its stdin and reports how many bytes it got
//	cookie      serves with another magic cookie
//	version     serves protocol version 2 only
//	child       starts `sleep 300` in its process group and reports its pid
//	setsid      starts `sleep 300` in a session of its own (setsid), which
//	            leaves its process group, and reports its pid
//	ansi        writes escape sequences to stderr and in its findings
//
// Its analyzer is named MODE-check, or $MISBEHAVE_ANALYZER.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/plugins/internal/serve"
	"github.com/gauntlet-dev/gauntlet/plugins/internal/wire"
	"github.com/gauntlet-dev/gauntlet/plugins/sdk"
)

func main() {
	mode := "ok"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	name := os.Getenv("MISBEHAVE_ANALYZER")
	if name == "" {
		name = mode + "-check"
	}
	a := &analysis.Analyzer{Name: name, Doc: "misbehaves: " + mode, Languages: []string{"go", "python"}}
	ok := func(pass *analysis.Pass, msg string) error {
		if strings.Contains(string(pass.Content()), "ANALYZER-PANIC") {
			panic("analyzer panic")
		}
		pass.Report(analysis.Diagnostic{
			Start: 0, End: 1, Message: msg, Severity: analysis.SeverityError,
			Fixes: []analysis.Fix{{Title: "mark it", Edits: []analysis.TextEdit{{Path: pass.File.Path, Start: 0, End: 0, NewText: "// fixed\n"}}}},
		})
		return nil
	}
	a.Run = func(pass *analysis.Pass) error { return ok(pass, "ok from "+mode) }

	switch mode {
	case "ok":
	case "panic":
		a.Run = func(*analysis.Pass) error {
			go func() { panic("boom") }() // outside the SDK's recover: the process dies
			time.Sleep(time.Minute)
			return nil
		}
	case "panic-once":
		a.Run = func(pass *analysis.Pass) error {
			state := os.Getenv("MISBEHAVE_STATE")
			if _, err := os.Stat(state); errors.Is(err, os.ErrNotExist) {
				os.WriteFile(state, nil, 0o644)
				go func() { panic("first call") }()
				time.Sleep(time.Minute)
			}
			return ok(pass, "ok after a panic")
		}
	case "exit":
		a.Run = func(*analysis.Pass) error { os.Exit(3); return nil }
	case "hang":
		a.Run = func(*analysis.Pass) error { select {} }
	case "stdout":
		fmt.Println("hello from the plugin, before its handshake")
	case "stdin":
		// One read: at once 0 bytes (EOF) from the null device, or what
		// the host's stdin holds if the plugin was given it. Run waits for
		// it, so the answer does not depend on timing.
		read := make(chan int, 1)
		go func() {
			n, _ := os.Stdin.Read(make([]byte, 4096))
			read <- n
		}()
		a.Run = func(pass *analysis.Pass) error {
			n := <-read
			read <- n
			return ok(pass, fmt.Sprintf("read %d bytes from stdin", n))
		}
	case "cookie", "version":
		svc, err := serve.New("misbehave", "", []*analysis.Analyzer{a})
		if err != nil {
			panic(err)
		}
		hs := wire.Handshake
		versions := wire.Plugins(svc)
		if mode == "cookie" {
			hs.MagicCookieValue = "not-gauntlet"
		} else {
			versions = map[int]goplugin.PluginSet{2: versions[wire.ProtocolVersion]}
		}
		goplugin.Serve(&goplugin.ServeConfig{HandshakeConfig: hs, VersionedPlugins: versions, GRPCServer: goplugin.DefaultGRPCServer})
		return
	case "child":
		child := exec.Command("sleep", "300")
		if err := child.Start(); err != nil {
			panic(err)
		}
		a.Run = func(pass *analysis.Pass) error { return ok(pass, fmt.Sprintf("child %d", child.Process.Pid)) }
	case "setsid":
		child := exec.Command("sleep", "300")
		child.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := child.Start(); err != nil {
			panic(err)
		}
		a.Run = func(pass *analysis.Pass) error { return ok(pass, fmt.Sprintf("child %d", child.Process.Pid)) }
	case "ansi":
		fmt.Fprint(os.Stderr, "\x1b[31mred\x1b[0m \x1b]0;owned title\x07 \x9b2J done\n")
		a.Run = func(pass *analysis.Pass) error { return ok(pass, "\x1b[2J\x1b[31mcleared\x1b[0m") }
	default:
		fmt.Fprintln(os.Stderr, "misbehave: unknown mode", mode)
		os.Exit(2)
	}
	sdk.Serve(a)
}

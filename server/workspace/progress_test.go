package workspace

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/creack/pty"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// On a terminal that can rewrite a line, each step replaces the status
// line, and the command's own output first clears it; a pipe gets nothing.
func TestProgressStatusLine(t *testing.T) {
	t.Setenv("TERM", "xterm")
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	c, done := WithTerminalProgress(&Call{stdout: io.Discard, stderr: tty}, "test")
	c.report(analysis.Progress{Kind: analysis.ProgressBegin, Title: "Running 2 tests"})
	c.report(analysis.Progress{Kind: analysis.ProgressReport, Message: "go test ./calc", Percent: 0})
	c.report(analysis.Progress{Kind: analysis.ProgressReport, Message: "TestAdd passed", Percent: 50})
	fmt.Fprintln(c.stderr, "gauntlet test: a message of the command")
	c.report(analysis.Progress{Kind: analysis.ProgressReport, Message: "TestSub passed", Percent: 100})
	done()
	tty.Close()
	var got bytes.Buffer
	io.Copy(&got, ptmx) // ends with EIO: the terminal's side is closed
	want := "gauntlet test: Running 2 tests\r\n" +
		"gauntlet test: go test ./calc" +
		"\r\x1b[Kgauntlet test: [ 50%] TestAdd passed" +
		"\r\x1b[Kgauntlet test: a message of the command\r\n" +
		"gauntlet test: [100%] TestSub passed" +
		"\r\x1b[K"
	if got.String() != want {
		t.Errorf("terminal got %q\nwant %q", got.String(), want)
	}

	var pipe bytes.Buffer
	c, done = WithTerminalProgress(&Call{stdout: io.Discard, stderr: &pipe}, "test")
	if c.progress != nil {
		t.Error("progress on a pipe")
	}
	done()
}

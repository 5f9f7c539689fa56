package workspace

import (
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/term"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/redact"
)

// terminalFile is the terminal w writes to, or nil: progress is shown only
// there, so pipes, logs and CI output stay as they were.
func terminalFile(w io.Writer) *os.File {
	switch w := w.(type) {
	case *os.File:
		if term.IsTerminal(int(w.Fd())) {
			return w
		}
	case filtered:
		return w.tty
	}
	return nil
}

// filtered is a writer (the redaction of secrets) in front of a terminal.
type filtered struct {
	io.Writer
	tty *os.File
}

// ThroughFilter is w, which filters what goes to orig, still known to end
// at a terminal if orig is one.
func ThroughFilter(w, orig io.Writer) io.Writer {
	if f := terminalFile(orig); f != nil {
		return filtered{w, f}
	}
	return w
}

// terminalProgress shows a long command's progress (verify's gates, the
// packages and tests a run is at, with counts) on stderr when stderr is a
// terminal: each step rewrites one status line, which done clears before
// the command's output. Nothing when stderr is not a terminal (progress is
// nil). No colour is used, so NO_COLOR has nothing to turn off; a dumb
// terminal (TERM=dumb) gets one line per step instead of a rewritten one.
func terminalProgress(stderr io.Writer, name string) (progress func(analysis.Progress), done func()) {
	tty := terminalFile(stderr)
	if tty == nil {
		return nil, func() {}
	}
	// The status line goes straight to the terminal (a filter would hold
	// back a line without its newline), redacted here.
	red := redact.Default()
	rewrite := os.Getenv("TERM") != "dumb"
	var mu sync.Mutex
	pending := false // a status line is on screen without its newline
	clear := func() {
		if pending {
			fmt.Fprint(tty, "\r\x1b[K")
			pending = false
		}
	}
	progress = func(p analysis.Progress) {
		mu.Lock()
		defer mu.Unlock()
		msg := p.Message
		if p.Kind == analysis.ProgressBegin {
			msg = p.Title
		}
		if msg == "" {
			return
		}
		msg = red.String(msg)
		line := fmt.Sprintf("gauntlet %s: %s", name, msg)
		if p.Kind == analysis.ProgressReport && p.Percent > 0 {
			line = fmt.Sprintf("gauntlet %s: [%3d%%] %s", name, p.Percent, msg)
		}
		clear()
		if rewrite && p.Kind == analysis.ProgressReport {
			if w, _, err := term.GetSize(int(tty.Fd())); err == nil && w > 1 && len([]rune(line)) >= w {
				line = string([]rune(line)[:w-1]) // one screen line, or \r cannot rewrite it
			}
			fmt.Fprint(tty, line)
			pending = true
			return
		}
		fmt.Fprintln(tty, line)
	}
	done = func() {
		mu.Lock()
		defer mu.Unlock()
		clear()
	}
	return progress, done
}

// WithTerminalProgress gives a command line's call progress on a terminal;
// its output first clears the status line. done clears it at the end.
func WithTerminalProgress(c *Call, name string) (_ *Call, done func()) {
	c.progress, done = terminalProgress(c.stderr, name)
	if c.progress != nil {
		c.stdout = clearFirst{c.stdout, done}
		c.stderr = clearFirst{c.stderr, done}
	}
	return c, done
}

// clearFirst clears the status line before each write of the command's own.
type clearFirst struct {
	w     io.Writer
	clear func()
}

func (w clearFirst) Write(p []byte) (int, error) {
	w.clear()
	return w.w.Write(p)
}

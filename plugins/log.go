package plugins

import (
	"bytes"
	"io"
	"strings"
	"sync"

	"github.com/gauntlet-dev/gauntlet/plugins/internal/wire"
)

// logSink serialises the lines that plugins write to the host's log.
type logSink struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *logSink) line(prefix, text string) {
	if s == nil || s.w == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = io.WriteString(s.w, prefix+text+"\n")
}

// lineWriter cuts what one stream of a plugin writes into lines, writes each
// to the log as "NAME: line" and keeps it in the process's tail.
type lineWriter struct {
	mu     sync.Mutex
	sink   *logSink
	prefix string
	tail   *tail
	buf    []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64<<10 { // a very long line: flush it in pieces
		w.emit(string(w.buf))
		w.buf = w.buf[:0]
	}
	return len(b), nil
}

func (w *lineWriter) emit(line string) {
	line = wire.EscapeControl(strings.TrimRight(line, "\r"))
	w.sink.line(w.prefix, line)
	if w.tail != nil {
		w.tail.add(line)
	}
}

package verify

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// traceOn: GAUNTLET_TRACE=1 prints how long each phase of a verification
// takes (shadow, sandboxed commands, selection, tests, blame, gates) to
// stderr, to find where the time goes (bench/verify's notes).
var traceOn = os.Getenv("GAUNTLET_TRACE") != ""

// trace prints one phase's duration when tracing is on.
func trace(start time.Time, format string, args ...any) {
	if !traceOn {
		return
	}
	fmt.Fprintf(os.Stderr, "gauntlet trace: %7.3fs  %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
}

// traceArgv shortens a command line for the trace.
func traceArgv(argv []string) string {
	s := strings.Join(argv, " ")
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return s
}

package wire

import (
	"fmt"
	"strings"
	"unicode"
	utf8pkg "unicode/utf8"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// EscapeControl writes the control characters of a plugin's text (ESC and
// the rest of C0 and C1, DEL; tabs stay) and invalid UTF-8 as Go escapes
// (\x1b, \u009b), so that what a plugin prints cannot drive the terminal
// or forge log lines. strconv.Quote would escape quotes and non-ASCII
// letters too, which the log keeps as they are.
func EscapeControl(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8pkg.RuneError || r != '\t' && unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8pkg.DecodeRuneInString(s[i:])
		switch {
		case r == utf8pkg.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t' || !unicode.IsControl(r):
			b.WriteString(s[i : i+n])
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += n
	}
	return b.String()
}

// EscapeDiagnostic escapes the control characters of a plugin's finding:
// its message and its fixes' titles.
func EscapeDiagnostic(d *analysis.Diagnostic) {
	d.Message = EscapeControl(d.Message)
	for i := range d.Fixes {
		d.Fixes[i].Title = EscapeControl(d.Fixes[i].Title)
	}
}

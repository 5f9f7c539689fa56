package config

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// Pos is a place in a configuration or rule file.
type Pos struct {
	File string // as given to Load, or as found by Find (absolute)
	Line int    // 1-based; 0 when unknown
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Error is one problem in a configuration, rule or rule test file: where,
// which key (a dotted path such as "loop.fail_on" or "rules[2].query"), and
// what is wrong. It prints as FILE:LINE: KEY: message.
type Error struct {
	Pos
	Key string
	Msg string
}

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Pos, e.Key, e.Msg)
}

// Errors is every problem found in one load, in file order. Load reports
// them all at once so that a user fixes a file in one round.
type Errors []*Error

func (es Errors) Error() string { return Lines(es) }

// Lines is the text of errs, one a line.
func Lines[E error](errs []E) string {
	var b strings.Builder
	for i, e := range errs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// decoder reads yaml.Node trees strictly: unknown keys, duplicate keys and
// values of the wrong kind are errors naming the file, line and key.
type decoder struct {
	file string
	errs Errors
}

func (d *decoder) errorf(n *yaml.Node, key, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{Pos: Pos{d.file, line}, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{d.file, n.Line} }

// loadError records the error of loading the file named file, if any: its
// own errors when it is Errors, else one naming the file.
func (d *decoder) loadError(file string, err error) {
	if err == nil {
		return
	}
	var es Errors
	if errors.As(err, &es) {
		d.errs = append(d.errs, es...)
	} else {
		d.errs = append(d.errs, &Error{Pos: Pos{File: file}, Msg: err.Error()})
	}
}

// resolve follows aliases; nil stays nil.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isNull reports an absent or explicitly empty value (`key:` or `key: null`),
// which every key treats as unset.
func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// field is one known key of a mapping and how to read its value.
type field struct {
	name string
	read func(key string, v *yaml.Node)
}

// mapping reads n as a mapping with the given keys. key is n's own dotted
// path ("" at the top level).
func (d *decoder) mapping(n *yaml.Node, key string, fields ...field) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, key, "want a mapping of keys (%s), not %s", names(fields), describe(n))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		sub := join(key, k.Value)
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, key, "keys must be plain words")
			continue
		}
		if l, dup := seen[k.Value]; dup {
			d.errorf(k, sub, "given twice (first on line %d)", l)
			continue
		}
		seen[k.Value] = k.Line
		var f *field
		for j := range fields {
			if fields[j].name == k.Value {
				f = &fields[j]
				break
			}
		}
		if f == nil {
			d.errorf(k, sub, "unknown key (want one of: %s)", names(fields))
			continue
		}
		if isNull(v) {
			continue
		}
		f.read(sub, resolve(v))
	}
}

func names(fields []field) string {
	var out []string
	for _, f := range fields {
		out = append(out, f.name)
	}
	return strings.Join(out, ", ")
}

func join(key, sub string) string {
	if key == "" {
		return sub
	}
	return key + "." + sub
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "this value"
}

// sequence calls each for every item of the list n.
func (d *decoder) sequence(n *yaml.Node, key string, each func(key string, i int, item *yaml.Node)) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, key, "want a list, not %s", describe(n))
		return
	}
	for i, item := range n.Content {
		each(fmt.Sprintf("%s[%d]", key, i), i, resolve(item))
	}
}

func (d *decoder) scalar(n *yaml.Node, key, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		hint := ""
		if n.Style&yaml.FlowStyle != 0 {
			hint = " (quote a value that starts with { or [)"
		}
		d.errorf(n, key, "want %s, not %s%s", want, describe(n), hint)
		return "", false
	}
	return n.Value, true
}

func (d *decoder) str(n *yaml.Node, key string) string {
	s, _ := d.scalar(n, key, "a string")
	return s
}

// strs reads a list of strings.
func (d *decoder) strs(n *yaml.Node, key string) []string {
	var out []string
	d.sequence(n, key, func(k string, _ int, item *yaml.Node) {
		if s, ok := d.scalar(item, k, "a string"); ok {
			out = append(out, s)
		}
	})
	return out
}

// command reads a command line: a list of words, or one string split at
// spaces.
func (d *decoder) command(n *yaml.Node, key string) []string {
	if n.Kind == yaml.ScalarNode {
		words := strings.Fields(n.Value)
		if len(words) == 0 {
			d.errorf(n, key, "empty command")
		}
		return words
	}
	return d.strs(n, key)
}

// value reads a scalar and converts it with conv, whose error is the
// key's; want says what the key takes when it is no scalar.
func value[T any](d *decoder, n *yaml.Node, key, want string, conv func(s string) (T, error)) T {
	var zero T
	s, ok := d.scalar(n, key, want)
	if !ok {
		return zero
	}
	v, err := conv(s)
	if err != nil {
		d.errorf(n, key, "%v", err)
		return zero
	}
	return v
}

func (d *decoder) boolean(n *yaml.Node, key string) bool {
	return value(d, n, key, "true or false", func(s string) (bool, error) {
		switch s {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return false, fmt.Errorf("want true or false, not %q", s)
	})
}

func (d *decoder) integer(n *yaml.Node, key string, min int) int {
	return value(d, n, key, "a whole number", func(s string) (int, error) {
		v, err := strconv.Atoi(s)
		if err != nil {
			return 0, fmt.Errorf("want a whole number, not %q", s)
		}
		if v < min {
			return 0, fmt.Errorf("must be at least %d, not %d", min, v)
		}
		return v, nil
	})
}

func (d *decoder) number(n *yaml.Node, key string, min, max float64) float64 {
	return value(d, n, key, "a number", func(s string) (float64, error) {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("want a number, not %q", s)
		}
		if v < min || v > max {
			return 0, fmt.Errorf("must be between %g and %g, not %g", min, max, v)
		}
		return v, nil
	})
}

// duration reads a Go duration ("90s", "10m", "1h30m"); it must be positive.
func (d *decoder) duration(n *yaml.Node, key string) time.Duration {
	return value(d, n, key, "a duration such as 30s or 10m", func(s string) (time.Duration, error) {
		v, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("want a duration such as 30s or 10m, not %q", s)
		}
		if v <= 0 {
			return 0, fmt.Errorf("must be positive, not %s", s)
		}
		return v, nil
	})
}

func (d *decoder) severity(n *yaml.Node, key string) analysis.Severity {
	return value(d, n, key, "a severity (error, warning, info or hint)", analysis.ParseSeverity)
}

func (d *decoder) oneOf(n *yaml.Node, key string, allowed ...string) string {
	want := strings.Join(allowed, ", ")
	return value(d, n, key, "one of "+want, func(s string) (string, error) {
		if slices.Contains(allowed, s) {
			return s, nil
		}
		return "", fmt.Errorf("unknown value %q (want one of: %s)", s, want)
	})
}

var idRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ValidID reports whether id has the form of a rule or analyzer id: lower-case
// letters, digits and single dashes, as in "go-println".
func ValidID(id string) bool { return idRE.MatchString(id) }

func (d *decoder) id(n *yaml.Node, key string) string {
	s, ok := d.scalar(n, key, "an id")
	if !ok {
		return ""
	}
	if !ValidID(s) {
		d.errorf(n, key, "invalid id %q (want lower-case letters, digits and dashes, as in go-println)", s)
		return ""
	}
	return s
}

// glob reads a path glob; negate allows a leading "!" (an exclusion).
func (d *decoder) glob(n *yaml.Node, key string, negate bool) string {
	s, ok := d.scalar(n, key, "a glob")
	if !ok {
		return ""
	}
	pattern := s
	if negate {
		pattern = strings.TrimPrefix(s, "!")
	}
	if pattern == "" {
		d.errorf(n, key, "empty glob")
		return ""
	}
	if strings.HasPrefix(pattern, "!") {
		d.errorf(n, key, "bad glob %q: a leading ! (exclusion) is allowed only in a rule's paths", s)
		return ""
	}
	if err := analysis.ValidGlob(pattern); err != nil {
		d.errorf(n, key, "bad glob %q: %v", s, err)
		return ""
	}
	return s
}

func (d *decoder) globs(n *yaml.Node, key string, negate bool) []string {
	var out []string
	d.sequence(n, key, func(k string, _ int, item *yaml.Node) {
		if g := d.glob(item, k, negate); g != "" {
			out = append(out, g)
		}
	})
	return out
}

// stringMap reads a mapping of string keys to string values.
func (d *decoder) stringMap(n *yaml.Node, key string) map[string]string {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, key, "want a mapping, not %s", describe(n))
		return nil
	}
	out := map[string]string{}
	lines := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		sub := join(key, k.Value)
		if l, dup := lines[k.Value]; dup {
			d.errorf(k, sub, "given twice (first on line %d)", l)
			continue
		}
		lines[k.Value] = k.Line
		if isNull(v) {
			out[k.Value] = ""
			continue
		}
		if s, ok := d.scalar(v, sub, "a string"); ok {
			out[k.Value] = s
		}
	}
	return out
}

// sortedKeys is for deterministic iteration in validation.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// size reads a byte count: a whole number, or one with a unit (KiB, MiB,
// GiB, or KB, MB, GB in the same binary sense); at least 1 KiB.
func (d *decoder) size(n *yaml.Node, key string) int64 {
	s, ok := d.scalar(n, key, "a size")
	if !ok {
		return 0
	}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v <= 0 {
		d.errorf(n, key, "want a size such as 1MiB or 65536, not %q", s)
		return 0
	}
	if v*mult < 1<<10 {
		d.errorf(n, key, "must be at least 1KiB, not %q", s)
		return 0
	}
	return v * mult
}

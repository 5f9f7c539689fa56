package coverage

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const profile = `mode: set
example.com/m/p/f.go:3.20,5.12 2 1
example.com/m/p/f.go:5.12,7.3 1 0
example.com/m/p/f.go:8.2,8.10 1 1
example.com/m/q/g.go:1.1,2.2 1 0
`

func parse(t *testing.T, text string) *Profile {
	t.Helper()
	p, err := ParseGo(strings.NewReader(text), func(name string) (string, bool) {
		return strings.TrimPrefix(name, "example.com/m/"), strings.HasPrefix(name, "example.com/m/p/")
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseGo(t *testing.T) {
	p := parse(t, profile)
	if got := p.Paths(); !reflect.DeepEqual(got, []string{"p/f.go"}) {
		t.Fatalf("paths %q (q/g.go is rejected by the mapper)", got)
	}
	f := p.Files["p/f.go"]
	if c, n := f.Statements(); c != 3 || n != 4 {
		t.Errorf("statements %d/%d, want 3/4", c, n)
	}
	if got := f.Uncovered(); !reflect.DeepEqual(got, [][2]int{{6, 7}}) {
		t.Errorf("uncovered %v, want [[6 7]] (line 5 is partly covered)", got)
	}
	var b bytes.Buffer
	if err := p.WriteLCOV(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"SF:p/f.go\n", "DA:5,1\n", "DA:6,0\n", "LF:6\nLH:4\nend_of_record\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("lcov lacks %q:\n%s", want, b.String())
		}
	}
	if _, err := ParseGo(strings.NewReader("mode: set\nx.go:1.1 1\n"), func(s string) (string, bool) { return s, true }); err == nil || !strings.Contains(err.Error(), `"x.go:1.1 1"`) {
		t.Errorf("malformed profile: err = %v, want one quoting the line", err)
	}
}

// A block that several test binaries report (go test -coverpkg over many
// packages) counts as covered when any of them ran it.
func TestParseGoMergesRepeatedBlocks(t *testing.T) {
	p := parse(t, "mode: set\nexample.com/m/p/f.go:3.20,5.12 2 0\nexample.com/m/p/f.go:3.20,5.12 2 1\n")
	f := p.Files["p/f.go"]
	if len(f.Blocks) != 1 || f.Hits[0] != 1 {
		t.Errorf("blocks %v hits %v, want one covered block", f.Blocks, f.Hits)
	}
}

func TestMapTouch(t *testing.T) {
	src := "package p\n\nfunc F(x int) int {\n\tif x > 0 {\n\t\treturn 1\n\t}\n\treturn 0\n}\n"
	// Blocks as go tool cover writes them for src.
	a := NewProfile()
	a.Add("f.go", Block{3, 19, 4, 11, 1}, 1)
	a.Add("f.go", Block{4, 11, 6, 3, 1}, 1)
	a.Add("f.go", Block{7, 2, 7, 10, 1}, 0)
	b := NewProfile()
	b.Add("f.go", Block{3, 19, 4, 11, 1}, 1)
	b.Add("f.go", Block{4, 11, 6, 3, 1}, 0)
	b.Add("f.go", Block{7, 2, 7, 10, 1}, 1)
	m := NewMap()
	m.AddTest("TestA", "pass", a)
	m.AddTest("TestB", "pass", b)
	cases := []struct {
		start, end int
		want       Touch
	}{
		{4, 5, Touch{Tests: []string{"TestA", "TestB"}}},                // the condition
		{5, 6, Touch{Tests: []string{"TestA"}}},                         // the then branch
		{7, 8, Touch{Tests: []string{"TestA", "TestB"}[1:]}},            // return 0: TestB only
		{3, 4, Touch{Tests: []string{"TestA", "TestB"}, Outside: true}}, // the signature
		{1, 2, Touch{Outside: true}},                                    // the package clause
		{5, 5, Touch{Tests: []string{"TestA"}}},                         // an insertion inside the then branch
		{9, 9, Touch{Outside: true}},                                    // an insertion after the function
	}
	for _, c := range cases {
		got := m.Touch("f.go", c.start, c.end, []byte(src))
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Touch(%d, %d) = %+v, want %+v", c.start, c.end, got, c.want)
		}
	}
	// Without TestB, return 0 is covered by no test: a finding.
	only := NewMap()
	only.AddTest("TestA", "pass", a)
	if got := only.Touch("f.go", 7, 8, []byte(src)); !got.Uncovered || len(got.Tests) != 0 || got.Outside {
		t.Errorf("uncovered line: %+v", got)
	}
	// Round trip through the cache's JSON, merged into another map.
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Map
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	merged := NewMap()
	merged.Merge(&back)
	if got := merged.TestsAt("f.go", 7); !reflect.DeepEqual(got, []string{"TestB"}) {
		t.Errorf("after a JSON round trip and merge: %q", got)
	}
	if got := merged.Profile().Files["f.go"].Percent(); got != 100 {
		t.Errorf("union percent %.1f, want 100", got)
	}
}

func TestCache(t *testing.T) {
	c := &Cache{Dir: t.TempDir()}
	for i, k := range []string{Key("a"), Key("b"), Key("c")} {
		if err := c.Put("g/x", k, map[string]int{"v": i}, 2); err != nil {
			t.Fatal(err)
		}
	}
	var v map[string]int
	if !c.Get("g/x", Key("c"), &v) || v["v"] != 2 {
		t.Errorf("Get(c) = %v", v)
	}
	if c.Get("g/x", Key("zzz"), &v) {
		t.Error("Get of a missing key succeeded")
	}
	if (&Cache{}).Get("g", "k", &v) || (&Cache{}).Put("g", "k", 1, 0) != nil {
		t.Error("a cache without a directory is not disabled")
	}
}

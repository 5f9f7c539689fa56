package rules

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"
	"weak"

	sitter "github.com/smacker/go-tree-sitter"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// langSet runs every rule of one language with one query: the rules'
// queries concatenated, so that one traversal of a tree serves them all.
// Each rule's analyzer asks it for the file's results; the first asks
// computes every rule's, the others read them from a cache keyed weakly by
// the file.
type langSet struct {
	lang    *analysis.Language
	query   *sitter.Query
	parts   []*part
	patPart []*part       // by pattern index
	preds   [][]predicate // by pattern index
	capID   map[string]uint32

	mu    sync.Mutex
	cache map[weak.Pointer[analysis.File]]*entry
}

type entry struct {
	mu    sync.Mutex
	done  bool
	diags [][]analysis.Diagnostic // by part index
}

func newLangSet(lang *analysis.Language, parts []*part) (*langSet, error) {
	ls := &langSet{lang: lang, parts: parts, capID: map[string]uint32{}, cache: map[weak.Pointer[analysis.File]]*entry{}}
	var src strings.Builder
	for i, p := range parts {
		p.ls, p.index = ls, i
		for range p.npat {
			ls.patPart = append(ls.patPart, p)
		}
		src.WriteString(p.rule.src.Query)
		src.WriteString("\n")
	}
	q, err := sitter.NewQuery([]byte(src.String()), lang.Grammar)
	if err != nil {
		return nil, fmt.Errorf("the %s rules do not compile together: %v", lang.Name, err)
	}
	if int(q.PatternCount()) != len(ls.patPart) {
		return nil, fmt.Errorf("the %s rules have %d patterns together but %d apart", lang.Name, q.PatternCount(), len(ls.patPart))
	}
	ls.query = q
	for i := uint32(0); i < q.CaptureCount(); i++ {
		ls.capID[q.CaptureNameForId(i)] = i
	}
	for p := uint32(0); p < q.PatternCount(); p++ {
		preds, err := parsePredicates(q, p)
		if err != nil {
			return nil, err
		}
		ls.preds = append(ls.preds, preds)
	}
	return ls, nil
}

// wants is the rule's analysis.Analyzer.Filter: its path globs, and the
// literal text one of its patterns needs in the file's language.
func (r *rule) wants(f *analysis.File) bool {
	p := r.parts[f.Lang]
	return p != nil && p.wants(f)
}

func (p *part) wants(f *analysis.File) bool {
	r := p.rule
	if len(r.src.Paths) > 0 {
		in := false
		for _, g := range r.src.Paths {
			if analysis.MatchGlob(g, f.Path) {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	for _, n := range p.need {
		if n.met(f.Content) {
			return true
		}
	}
	return false
}

func (r *rule) run(pass *analysis.Pass) error {
	p := r.parts[pass.File.Lang]
	if p == nil {
		return nil
	}
	diags, err := p.ls.results(pass)
	if err != nil {
		return err
	}
	for _, d := range diags[p.index] {
		pass.Report(d)
	}
	return nil
}

// results returns every rule's diagnostics on the pass's file, computing
// them on first use.
func (ls *langSet) results(pass *analysis.Pass) ([][]analysis.Diagnostic, error) {
	f := pass.File
	key := weak.Make(f)
	ls.mu.Lock()
	e := ls.cache[key]
	if e == nil {
		e = &entry{}
		ls.cache[key] = e
		runtime.AddCleanup(f, func(k weak.Pointer[analysis.File]) {
			ls.mu.Lock()
			delete(ls.cache, k)
			ls.mu.Unlock()
		}, key)
	}
	ls.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done {
		return e.diags, nil
	}
	diags, err := ls.match(pass.Context, f, pass.Tree)
	if err != nil {
		return nil, err // not cached: a cancelled run is retried
	}
	e.diags, e.done = diags, true
	return diags, nil
}

// match runs the query over tree once and builds every wanted rule's
// diagnostics.
func (ls *langSet) match(ctx context.Context, f *analysis.File, tree *sitter.Tree) ([][]analysis.Diagnostic, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	active := make([]bool, len(ls.parts))
	anyActive := false
	for i, p := range ls.parts {
		active[i] = p.wants(f)
		anyActive = anyActive || active[i]
	}
	out := make([][]analysis.Diagnostic, len(ls.parts))
	if !anyActive {
		return out, nil
	}
	content := f.Content
	qc := sitter.NewQueryCursor()
	defer qc.Close()
	qc.Exec(ls.query, tree.RootNode())
	type key struct{ start, end int }
	seen := make([]map[key]bool, len(ls.parts))
	for n := 0; ; n++ {
		if n%256 == 255 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		m, ok := qc.NextMatch()
		if !ok {
			break
		}
		p := ls.patPart[m.PatternIndex]
		if !active[p.index] || !ls.holds(m, content) {
			continue
		}
		d, ok := ls.diagnostic(p.rule, m, f)
		if !ok {
			continue
		}
		// Two patterns of a rule may find the same node; report it once.
		if seen[p.index] == nil {
			seen[p.index] = map[key]bool{}
		}
		k := key{d.Start, d.End}
		if seen[p.index][k] {
			continue
		}
		seen[p.index][k] = true
		out[p.index] = append(out[p.index], d)
	}
	return out, nil
}

func (ls *langSet) holds(m *sitter.QueryMatch, content []byte) bool {
	for i := range ls.preds[m.PatternIndex] {
		if !ls.preds[m.PatternIndex][i].holds(m.Captures, content) {
			return false
		}
	}
	return true
}

// capture returns the first node captured as name in m, or nil.
func (ls *langSet) capture(m *sitter.QueryMatch, name string) *sitter.Node {
	id, ok := ls.capID[name]
	if !ok {
		return nil
	}
	for _, c := range m.Captures {
		if c.Index == id {
			return c.Node
		}
	}
	return nil
}

func (ls *langSet) diagnostic(r *rule, m *sitter.QueryMatch, f *analysis.File) (analysis.Diagnostic, bool) {
	node := ls.capture(m, r.report)
	if node == nil {
		if len(m.Captures) == 0 {
			return analysis.Diagnostic{}, false
		}
		node = m.Captures[0].Node // the report capture is in another pattern of the rule
	}
	lookup := func(name string) string {
		if n := ls.capture(m, name); n != nil {
			return string(text(n, f.Content))
		}
		return ""
	}
	d := analysis.Diagnostic{
		Path:    f.Path,
		Start:   int(node.StartByte()),
		End:     int(node.EndByte()),
		Message: r.message.expand(lookup),
	}
	if r.fix != nil {
		if target := ls.capture(m, r.fixCap); target != nil {
			repl := r.fix.expand(lookup)
			d.Fixes = []analysis.Fix{{
				Title: r.fixTitle(string(text(target, f.Content)), repl),
				Edits: []analysis.TextEdit{{Path: f.Path, Start: int(target.StartByte()), End: int(target.EndByte()), NewText: repl}},
			}}
		}
	}
	return d, true
}

func (r *rule) fixTitle(old, repl string) string {
	if r.src.Fix.Title != "" {
		return r.src.Fix.Title
	}
	if repl == "" {
		return "Delete `" + short(old) + "`"
	}
	return "Replace with `" + short(repl) + "`"
}

// short keeps the first line of s, at most 40 characters.
func short(s string) string {
	cut := false
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s, cut = s[:i], true
	}
	if utf8.RuneCountInString(s) > 40 {
		s, cut = string([]rune(s)[:40]), true
	}
	if cut {
		s += "…"
	}
	return s
}

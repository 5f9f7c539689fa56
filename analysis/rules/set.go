package rules

import (
	"context"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

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
	// rooted is set when a rule names the grammar's root node: its match
	// can report anywhere, so edits re-run the whole query.
	rooted bool

	cache fileCache[entry]
}

type entry struct {
	active []bool                  // which parts wanted the file
	diags  [][]analysis.Diagnostic // by part index
}

// newLangSet compiles the parts of one language into one query. It returns
// the set, or the errors of the rules that broke it.
func newLangSet(lang *analysis.Language, parts []*part) (*langSet, map[*rule]*Error) {
	if len(parts) == 0 {
		return nil, nil
	}
	errs := map[*rule]*Error{}
	for _, p := range parts {
		p.need = nil
		// Some shapes crash tree-sitter: never hand them to it.
		if off, err := checkStructure(p.rule.src.Query); err != nil {
			errs[p.rule] = p.errorf(p.rule.src.QueryPos(off), "bad query at offset %d: %v", off, err)
			continue
		}
		// A query whose brackets do not balance would run into the next one.
		if !balanced(p.rule.src.Query) {
			if errs[p.rule] = p.diagnose(); errs[p.rule] == nil {
				errs[p.rule] = p.errorf(p.rule.src.PosOf("query"), "unbalanced parentheses or brackets in the query")
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var src strings.Builder
	starts := make([]int, len(parts))
	for i, p := range parts {
		starts[i] = src.Len()
		src.WriteString(p.rule.src.Query)
		src.WriteString("\n")
	}
	q, err := sitter.NewQuery([]byte(src.String()), lang.Grammar)
	if err != nil {
		for _, p := range parts {
			if e := p.diagnose(); e != nil {
				errs[p.rule] = e
			}
		}
		if len(errs) == 0 {
			for _, p := range parts {
				errs[p.rule] = p.errorf(p.rule.src.PosOf("query"), "does not compile with the other %s rules: %v", lang.Name, firstLine(err.Error()))
			}
		}
		return nil, errs
	}
	ls := &langSet{lang: lang, query: q, parts: parts, capID: map[string]uint32{}}
	for _, root := range []string{"source_file", "module", "program"} {
		ls.rooted = ls.rooted || strings.Contains(src.String(), root)
	}
	for i := uint32(0); i < q.CaptureCount(); i++ {
		ls.capID[q.CaptureNameForId(i)] = i
	}
	used := make([]map[string]bool, len(parts))
	first := make([]int, len(parts))
	for i := range parts {
		used[i] = map[string]bool{}
		first[i] = -1
	}
	for i := uint32(0); i < q.PatternCount(); i++ {
		// The part whose text the pattern starts in.
		k := sort.Search(len(starts), func(j int) bool { return starts[j] > patternStart(q, i) }) - 1
		p := parts[k]
		p.index = k
		if first[k] < 0 {
			first[k] = int(i)
		}
		n := int(i) - first[k] + 1
		ls.patPart = append(ls.patPart, p)
		preds, err := parsePredicates(q, i)
		if err != nil && errs[p.rule] == nil {
			errs[p.rule] = p.errorf(p.rule.src.PosOf("query"), "pattern %d: %v", n, err)
		}
		ls.preds = append(ls.preds, preds)
		captures := 0
		for c := uint32(0); c < q.CaptureCount(); c++ {
			if q.CaptureQuantifierForId(i, c) != sitter.QuantifierZero {
				used[k][q.CaptureNameForId(c)] = true
				captures++
			}
		}
		if captures == 0 && len(ls.capID) > 0 && errs[p.rule] == nil {
			errs[p.rule] = p.errorf(p.rule.src.PosOf("query"), "pattern %d captures nothing to report: add a capture such as @match", n)
		}
		p.need = append(p.need, required(q, i, preds))
	}
	for k, p := range parts {
		p.ls = ls
		if errs[p.rule] != nil {
			continue
		}
		if first[k] < 0 {
			errs[p.rule] = p.errorf(p.rule.src.PosOf("query"), "the query has no pattern")
			continue
		}
		var names []string
		for name := range used[k] {
			names = append(names, name)
		}
		if err := p.checkCaptures(captureOrder(p.rule.src.Query, names)); err != nil {
			errs[p.rule] = err
		}
	}
	if len(errs) > 0 {
		q.Close()
		return nil, errs
	}
	return ls, nil
}

// wants is the rule's analysis.Analyzer.Filter: its path globs, and the
// literal text one of its patterns needs in the file's language.
func (r *rule) wants(f *analysis.File) bool {
	p := r.parts[f.Lang]
	if p != nil && p.ready() != nil {
		return true // run reports why it cannot
	}
	return p != nil && p.wants(f)
}

func (p *part) wants(f *analysis.File) bool {
	r := p.rule
	if !r.src.AllowsPath(f.Path) {
		return false
	}
	for _, n := range p.need {
		if n.met(f.Content) {
			return true
		}
	}
	return false
}

// pathAllowed applies a rule's path globs: the path must match one of the
// include globs, if there are any, and none of the "!" ones.
func (r *rule) run(pass *analysis.Pass) error {
	p := r.parts[pass.File.Lang]
	if p == nil {
		return nil
	}
	if err := p.ready(); err != nil {
		return err
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
	e, err := ls.cache.get(f, func() (entry, error) {
		active := ls.active(f)
		var diags [][]analysis.Diagnostic
		var err error
		if prev := ls.previous(f, active); prev != nil && !ls.rooted && f.Delta().Exact {
			diags, err = ls.rematch(pass.Context, f, pass.Tree, f.Delta(), prev, active)
		} else {
			diags, err = ls.match(pass.Context, f, pass.Tree, active, nil)
		}
		return entry{active: active, diags: diags}, err
	})
	return e.diags, err
}

// active says which parts want the file (paths and literal prefilters).
func (ls *langSet) active(f *analysis.File) []bool {
	active := make([]bool, len(ls.parts))
	for i, p := range ls.parts {
		active[i] = p.wants(f)
	}
	return active
}

// previous returns the results for the version f was edited from, when they
// exist and the same parts wanted it.
func (ls *langSet) previous(f *analysis.File, active []bool) [][]analysis.Diagnostic {
	d := f.Delta()
	if d == nil {
		return nil
	}
	e, _, done := ls.cache.lookup(d.Prev)
	if !done || !slices.Equal(e.active, active) {
		return nil
	}
	return e.diags
}

// rematch computes f's results from the previous version's: the query runs
// only over the top-level nodes that the change touches, and the previous
// findings before and after them are kept, moved by the change's growth. A
// typing editor so pays for the declaration being edited, not the file.
func (ls *langSet) rematch(ctx context.Context, f *analysis.File, tree *sitter.Tree, d *analysis.Delta, prev [][]analysis.Diagnostic, active []bool) ([][]analysis.Diagnostic, error) {
	return rematchWindow(tree, d, prev, func(from, to int) ([][]analysis.Diagnostic, error) {
		m := f.Mapper()
		sr, sc := m.Point(from)
		er, ec := m.Point(to)
		window := &[2]sitter.Point{{Row: sr, Column: sc}, {Row: er, Column: ec}}
		return ls.match(ctx, f, tree, active, window)
	})
}

// rematchWindow widens d's change to whole top-level nodes [from, to),
// keeps prev's findings outside it (moved by the change's growth when
// after it) and adds those run finds in it.
func rematchWindow(tree *sitter.Tree, d *analysis.Delta, prev [][]analysis.Diagnostic, run func(from, to int) ([][]analysis.Diagnostic, error)) ([][]analysis.Diagnostic, error) {
	root := tree.RootNode()
	from, to := d.Start, d.End
	for _, r := range d.Changed {
		from, to = min(from, r[0]), max(to, r[1])
	}
	// Widen to whole top-level nodes: every match lies inside one of them,
	// or is the root's own, which intersects any range and so is redone.
	// A cursor walks the children in one pass (Node.Child(i) is linear in i).
	cur := sitter.NewTreeCursor(root)
	defer cur.Close()
	for ok := cur.GoToFirstChild(); ok; ok = cur.GoToNextSibling() {
		c := cur.CurrentNode()
		s, e := int(c.StartByte()), int(c.EndByte())
		if s > to {
			break
		}
		if e >= from {
			from, to = min(from, s), max(to, e)
		}
	}
	oldTo := to - d.Growth
	out := make([][]analysis.Diagnostic, len(prev))
	for i, ds := range prev {
		for _, x := range ds {
			switch {
			case x.End < from || (x.End == from && x.Start < from):
				out[i] = append(out[i], x)
			case x.Start > oldTo || (x.Start == oldTo && x.End > oldTo):
				if moved, ok := shift(x, oldTo, d.Growth); ok {
					out[i] = append(out[i], moved)
				}
			}
		}
	}
	fresh, err := run(from, to)
	if err != nil {
		return nil, err
	}
	type key struct{ start, end int }
	for i := range out {
		seen := map[key]bool{}
		for _, x := range out[i] {
			seen[key{x.Start, x.End}] = true
		}
		for _, x := range fresh[i] {
			if !seen[key{x.Start, x.End}] {
				out[i] = append(out[i], x)
			}
		}
		analysis.SortDiagnostics(out[i])
	}
	return out, nil
}

// shift moves a finding (and its fix's edits) that lies after the change by
// growth bytes. A fix editing the changed part cannot be moved: the finding
// is then dropped, and comes back with the next full run.
func shift(x analysis.Diagnostic, oldTo, growth int) (analysis.Diagnostic, bool) {
	x.Start += growth
	x.End += growth
	if len(x.Fixes) > 0 {
		fixes := make([]analysis.Fix, len(x.Fixes))
		for i, fx := range x.Fixes {
			edits := make([]analysis.TextEdit, len(fx.Edits))
			for j, e := range fx.Edits {
				if e.Path != "" && e.Path != x.Path {
					edits[j] = e
					continue
				}
				if e.Start < oldTo {
					return x, false
				}
				e.Start += growth
				e.End += growth
				edits[j] = e
			}
			fixes[i] = analysis.Fix{Title: fx.Title, Edits: edits}
		}
		x.Fixes = fixes
	}
	return x, true
}

// match runs the query over tree once (over window only, if not nil) and
// builds every wanted rule's diagnostics.
func (ls *langSet) match(ctx context.Context, f *analysis.File, tree *sitter.Tree, active []bool, window *[2]sitter.Point) ([][]analysis.Diagnostic, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	anyActive := slices.Contains(active, true)
	out := make([][]analysis.Diagnostic, len(ls.parts))
	if !anyActive {
		return out, nil
	}
	content := f.Content
	qc := sitter.NewQueryCursor()
	defer qc.Close()
	setMatchLimit(qc)
	if window != nil {
		qc.SetPointRange(window[0], window[1])
	}
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
		d, ok := ls.diagnostic(p, m, f)
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

func (ls *langSet) diagnostic(p *part, m *sitter.QueryMatch, f *analysis.File) (analysis.Diagnostic, bool) {
	r := p.rule
	node := ls.capture(m, p.report)
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
		if target := ls.capture(m, p.fixCap); target != nil {
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

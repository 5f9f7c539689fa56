package analysis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	sitter "github.com/smacker/go-tree-sitter"
)

// ParseTimeout bounds one parse, so that a pathological file cannot hang the
// server. A parse that hits it fails with ErrParseTimeout.
var ParseTimeout = 3 * time.Second

// ErrParseTimeout is returned by File.Tree when parsing took too long.
var ErrParseTimeout = errors.New("parse timed out")

// ErrNoLanguage is returned by File.Tree for a file of no known language.
var ErrNoLanguage = errors.New("no parser for this file type")

// File is one immutable file of a snapshot: its path, content and version,
// and its syntax tree, parsed at most once. An edit yields a new File whose
// tree is parsed incrementally from this one's.
type File struct {
	Path    string // slash-separated, relative to the snapshot root
	Content []byte // never modified
	Version int32  // the editor's version, or 0 for a file read from disk
	Lang    *Language

	mu      sync.Mutex
	parsed  bool
	tree    *sitter.Tree // owned; handed out only as copies
	err     error
	hasTree atomic.Bool // parsed without error: Edit may start from this tree
	// The version this one was edited from whose tree the parse starts
	// from, if it has one by then, and the tree edits that bring that tree
	// to this text. Kept until this file is parsed. Edit never waits for a
	// parse: a large file's new version exists at once, and the parse of a
	// version nobody asked for never happens. Guarded by omu, not mu, which
	// a parse holds.
	omu     sync.Mutex
	origin  *File
	pending []sitter.EditInput
	prev    atomic.Pointer[Delta]
	mapMu   sync.Once
	mapper  *Mapper
}

// NewFile makes a file; its language comes from its extension.
func NewFile(path string, content []byte, version int32) *File {
	return &File{Path: path, Content: content, Version: version, Lang: LanguageForPath(path)}
}

// NewFileLang makes a file of a given language (an editor's languageId can
// override the extension). lang may be nil.
func NewFileLang(path string, content []byte, version int32, lang *Language) *File {
	return &File{Path: path, Content: content, Version: version, Lang: lang}
}

// Mapper converts positions in this file's content.
func (f *File) Mapper() *Mapper {
	f.mapMu.Do(func() { f.mapper = NewMapper(f.Content) })
	return f.mapper
}

// Tree returns a private copy of the file's syntax tree, parsing it the first
// time. Copies are cheap (tree-sitter shares the nodes) and each may be used
// by one goroutine.
func (f *File) Tree(ctx context.Context) (*sitter.Tree, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.parsed {
		var base *sitter.Tree
		f.omu.Lock()
		origin, pending := f.origin, f.pending
		f.omu.Unlock()
		if origin != nil {
			if base = origin.parsedTree(); base != nil {
				for _, e := range pending {
					editTree(base, e)
				}
			}
		}
		t, err := parse(ctx, f.Lang, base, f.Content)
		if d := f.prev.Load(); d != nil && err == nil && base != nil && d.Prev == origin {
			// Where the structure changed, beyond the edited bytes: a
			// typed "}" can re-shape the declarations after it.
			d.Changed, d.Exact = changedRanges(base, t), true
			if d.Changed == nil {
				d.Exact = false
			}
		}
		if base != nil {
			base.Close()
		}
		if err != nil && ctx.Err() != nil {
			// Cancelled, not failed: the next caller parses again.
			return nil, fmt.Errorf("parse %s: %w", f.Path, err)
		}
		f.tree, f.err, f.parsed = t, err, true
		f.hasTree.Store(err == nil)
		f.omu.Lock()
		f.origin, f.pending = nil, nil
		f.omu.Unlock()
	}
	if f.err != nil {
		return nil, fmt.Errorf("parse %s: %w", f.Path, f.err)
	}
	return f.tree.Copy(), nil
}

// ReleaseTree frees the file's syntax tree; the next Tree parses again.
// Batch drivers call it once a file is analysed, so that a check of a large
// tree does not hold every tree at once. Copies handed out stay valid.
func (f *File) ReleaseTree() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tree != nil {
		f.tree.Close() // tree-sitter counts references: copies keep their nodes
	}
	f.tree, f.err, f.parsed = nil, nil, false
	f.hasTree.Store(false)
}

// parsedTree returns a copy of the file's tree if it has been parsed
// without error, or nil; it never parses.
func (f *File) parsedTree() *sitter.Tree {
	if !f.hasTree.Load() {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tree == nil || f.err != nil {
		return nil
	}
	return f.tree.Copy()
}

// Change is one change of a document, in byte offsets of the text it applies
// to. A list of changes applies in order, each to the result of the previous
// one, as in LSP's didChange.
type Change struct {
	Start, End int
	Text       string
}

// Edit applies changes in order and returns the new version of the file. It
// never parses: the new version's tree is parsed incrementally when first
// asked for, from the tree of the nearest earlier version that has one by
// then (f, or the version f was edited from while f is not parsed yet) with
// every change since applied to a copy of it (byte offsets and points), so
// that the reparse reuses the unchanged subtrees. f is not modified.
func (f *File) Edit(ctx context.Context, changes []Change, version int32) (*File, error) {
	content := f.Content
	// Start from f's tree, or, while f has none yet, from its own origin's
	// with f's edits first: versions superseded before anyone parsed them
	// are never parsed. At most one unparsed version is kept behind nf.
	origin, pending := f, []sitter.EditInput(nil)
	d := &Delta{Prev: f, Start: -1}
	if f.Lang != nil && !f.hasTree.Load() {
		f.omu.Lock()
		// A version nobody parses (a plugin's file: the plugin parses it)
		// would otherwise gather every edit since the first.
		if f.origin != nil && len(f.pending) < maxPending {
			origin = f.origin
			pending = append(pending, f.pending...)
			if fd := f.prev.Load(); fd != nil && fd.Prev == f.origin && f.origin.hasTree.Load() {
				// The delta from the origin, so that analyzers can reuse
				// its results: f's, widened by these changes below.
				d = &Delta{Prev: fd.Prev, Start: fd.Start, End: fd.End, Growth: fd.Growth}
			}
		}
		f.omu.Unlock()
	}
	for i, c := range changes {
		if c.Start < 0 || c.End < c.Start || c.End > len(content) {
			return nil, fmt.Errorf("change %d: range [%d,%d) outside the document (%d bytes)", i, c.Start, c.End, len(content))
		}
		d.add(c)
		next := make([]byte, 0, len(content)-(c.End-c.Start)+len(c.Text))
		next = append(next, content[:c.Start]...)
		next = append(next, c.Text...)
		next = append(next, content[c.End:]...)
		if f.Lang != nil {
			pending = append(pending, editInput(content, c))
		}
		content = next
	}
	nf := NewFileLang(f.Path, content, version, f.Lang)
	if f.Lang != nil {
		nf.origin, nf.pending = origin, pending
	}
	if d.Start >= 0 {
		nf.prev.Store(d)
	}
	// Only one version back: a chain of versions would keep every old text.
	f.prev.Store(nil)
	return nf, nil
}

// maxPending bounds the tree edits a version keeps for its parse.
const maxPending = 64

// Delta says how a file differs from the version it was edited from: the
// bytes [Start, End) of the new text replace [Start, End-Growth) of the old
// one; everything before Start and after it is the same text. Analyzers with
// per-file results use it to redo only the changed part.
type Delta struct {
	Prev       *File
	Start, End int // in the new text
	Growth     int // len(new) - len(old)
	// Changed lists the byte ranges of the new tree whose structure differs
	// from the previous version's, once the file is parsed (Exact then).
	Changed [][2]int
	Exact   bool
}

// OldEnd is End in the previous version's offsets.
func (d *Delta) OldEnd() int { return d.End - d.Growth }

// add widens the delta by one change (in the current text's offsets).
func (d *Delta) add(c Change) {
	grow := len(c.Text) - (c.End - c.Start)
	if d.Start < 0 {
		d.Start, d.End = c.Start, c.Start+len(c.Text)
	} else {
		end := d.End
		switch {
		case end >= c.End:
			end += grow
		case end > c.Start:
			end = c.Start + len(c.Text)
		}
		d.Start = min(d.Start, c.Start)
		d.End = max(end, c.Start+len(c.Text))
	}
	d.Growth += grow
}

// Delta returns how this file differs from the version it was edited from,
// or nil when it was not made by Edit (or a newer version was since).
func (f *File) Delta() *Delta { return f.prev.Load() }

// editInput describes change c of content for tree-sitter.
func editInput(content []byte, c Change) sitter.EditInput {
	m := NewMapper(content)
	start := pointAt(m, c.Start)
	oldEnd := pointAt(m, c.End)
	newEnd := start
	if tm := NewMapper([]byte(c.Text)); tm.LineCount() > 1 {
		last := tm.LineCount() - 1
		newEnd.Row += uint32(last)
		newEnd.Column = uint32(len(c.Text) - tm.LineStart(last))
	} else {
		newEnd.Column += uint32(len(c.Text))
	}
	return sitter.EditInput{
		StartIndex:  uint32(c.Start),
		OldEndIndex: uint32(c.End),
		NewEndIndex: uint32(c.Start + len(c.Text)),
		StartPoint:  start,
		OldEndPoint: oldEnd,
		NewEndPoint: newEnd,
	}
}

// pointAt is the tree-sitter point of off, its column in bytes (even in
// the middle of a character, as tree-sitter's edits count).
func pointAt(m *Mapper, off int) sitter.Point {
	l := m.Line(off)
	start, _ := m.LineRange(l)
	return sitter.Point{Row: uint32(l), Column: uint32(off - start)}
}

var parsers = map[*Language]*sync.Pool{}

func init() {
	for _, l := range languages {
		lang := l
		parsers[l] = &sync.Pool{New: func() any {
			p := sitter.NewParser()
			p.SetLanguage(lang.Grammar)
			return p
		}}
	}
}

func parse(ctx context.Context, lang *Language, old *sitter.Tree, content []byte) (*sitter.Tree, error) {
	if lang == nil {
		return nil, ErrNoLanguage
	}
	if ctx == nil {
		ctx = context.Background()
	}
	// go-tree-sitter cancels a parse by setting the parser's cancellation
	// flag from a goroutine that watches ctx, may do so after the parse has
	// returned, and never clears the flag after a successful parse. A parser
	// that has seen a cancellable context could halt every later parse at
	// once ("parse timed out"), so only parsers used without one are pooled.
	pool := parsers[lang]
	pooled := ctx.Done() == nil
	var p *sitter.Parser
	if pooled {
		p = pool.Get().(*sitter.Parser)
	} else {
		p = sitter.NewParser() // closed by its finalizer
		p.SetLanguage(lang.Grammar)
	}
	p.SetOperationLimit(int(ParseTimeout / time.Microsecond))
	t, err := p.ParseCtx(ctx, old, content)
	if err != nil {
		// A halted parse leaves state behind for resumption; start clean next time.
		p.Reset()
		if pooled {
			pool.Put(p)
		}
		if errors.Is(err, sitter.ErrOperationLimit) {
			return nil, fmt.Errorf("%w after %v", ErrParseTimeout, ParseTimeout)
		}
		return nil, err
	}
	if pooled {
		pool.Put(p)
	}
	return t, nil
}

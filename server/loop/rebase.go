package loop

// This file carries an accepted fix over to a newer version of the files:
// the editor's document changed while the loop worked, and the fix must be
// verified again against the new text, or dropped, never applied stale.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/gauntlet-dev/gauntlet/analysis"
	"github.com/gauntlet-dev/gauntlet/analysis/patch"
)

// ErrMoved is returned (wrapped) by Rebase and Reverify when the text a fix
// changes is no longer there, or no longer only once, in the new version.
var ErrMoved = errors.New("the text the fix changes was edited meanwhile")

// Rebase carries changes (made against their Old contents) over to the
// files of snapshot to: each changed region, in whole lines with a line
// of context on either side, must be found once in to's version of the
// file (exactly, or ignoring indentation), and is replaced there. A file
// the changes create must still not exist. The result is text edits of to.
func Rebase(changes []FileChange, to *analysis.Snapshot) ([]analysis.TextEdit, error) {
	var blocks []patch.Block
	for _, c := range changes {
		if c.Created {
			if _, err := to.File(c.Path); err == nil {
				return nil, fmt.Errorf("%s: %w: the file was created meanwhile", c.Path, ErrMoved)
			}
			blocks = append(blocks, patch.Block{Path: c.Path, Replace: string(c.New)})
			continue
		}
		search, replace, ok := region(c.Old, c.New)
		if !ok {
			continue // no change
		}
		if search == "" {
			// The old file was empty: it must still be.
			f, err := to.File(c.Path)
			if err != nil || len(bytes.TrimSpace(f.Content)) > 0 {
				return nil, fmt.Errorf("%s: %w", c.Path, ErrMoved)
			}
		}
		blocks = append(blocks, patch.Block{Path: c.Path, Search: search, Replace: replace})
	}
	if len(blocks) == 0 {
		return nil, nil
	}
	fes, err := patch.Edits(blocks, to.ReadFile)
	if err != nil {
		if errors.Is(err, patch.ErrNoChange) {
			return nil, fmt.Errorf("%w: the new version already holds the fix", ErrMoved)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %v", ErrMoved, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrMoved, err)
	}
	var out []analysis.TextEdit
	for _, fe := range fes {
		out = append(out, fe.Edits...)
	}
	return out, nil
}

// region is the part of old that differs from new, widened to whole lines
// plus one line of context on each side, and what replaces it.
func region(old, new []byte) (search, replace string, changed bool) {
	if bytes.Equal(old, new) {
		return "", "", false
	}
	p, s := commonEnds(old, new)
	// [p, len(old)-s) of old becomes [p, len(new)-s) of new.
	m := analysis.NewMapper(old)
	// lineEnd is off when off starts a line, else the end of off's line
	// (its line break included).
	lineEnd := func(off int) int {
		if off >= len(old) {
			return len(old)
		}
		start, end := m.LineRange(m.Line(off))
		if off > 0 && off == start {
			return off
		}
		return end
	}
	start, _ := m.LineRange(max(m.Line(p)-1, 0)) // one line of context above
	end := lineEnd(len(old) - s)
	end = lineEnd(min(end+1, len(old))) // and below
	if start > end {
		end = start
	}
	tail := len(old) - end // unchanged bytes after the region
	return string(old[start:end]), string(new[start : len(new)-tail]), true
}

// Reverify carries the accepted changes of res over to snapshot to (see
// Rebase) and verifies them there, with the same check that they fix
// res's first fixed problem. The result has one attempt (source
// "rebased"); it is accepted only if that attempt is. An error wrapping
// ErrMoved means the fix no longer fits the text: drop it.
func Reverify(ctx context.Context, to *analysis.Snapshot, res *Result, opts Options) (*Result, error) {
	edits, err := Rebase(res.Changes, to)
	if err != nil {
		return nil, err
	}
	var p Problem
	for _, q := range res.Problems {
		if q.Status == Fixed {
			p = *q
			break
		}
	}
	if p.Kind == "" {
		return nil, errors.New("reverify: no fixed problem in the result")
	}
	p.Status, p.FixedBy = "", 0
	r := &runner{opts: opts, orig: to, cur: to, res: &Result{Snapshot: to, Problems: []*Problem{&p}}}
	if r.opts.Verify.Analyzers == nil {
		r.opts.Verify.Analyzers = opts.Analyzers
	}
	if p.Kind == KindDiagnostic && p.Diagnostic != nil {
		// The finding's place in the new text, for the check's evidence.
		r.stillReported(ctx, &p)
	}
	a := &Attempt{Problem: 1, N: 1, Source: "rebased", Title: "the accepted fix, on the new text", Edits: edits, Base: to}
	r.judge(ctx, 0, a, &p)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.res.Attempts = append(r.res.Attempts, a)
	p.Status = NotFixed
	if a.Accepted {
		p.Status, p.FixedBy = Fixed, 1
		r.accept(a)
	}
	return r.res, nil
}

// Edits are the change as text edits of Old: one edit per file, covering
// what lies between the common beginning and end of Old and New. A file
// the change creates is one insertion into an empty file.
func (c FileChange) Edits() []analysis.TextEdit {
	old, nw := c.Old, c.New
	if bytes.Equal(old, nw) && !c.Created {
		return nil
	}
	p, s := commonEnds(old, nw)
	return []analysis.TextEdit{{Path: c.Path, Start: p, End: len(old) - s, NewText: string(nw[p : len(nw)-s])}}
}

// commonEnds is how many bytes a and b share at their beginning (p), and
// then at their end (s) in what remains of them: [p, len(a)-s) of a is
// what differs from [p, len(b)-s) of b.
func commonEnds(a, b []byte) (p, s int) {
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	return p, s
}

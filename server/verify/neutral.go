package verify

import (
	"context"

	"github.com/gauntlet-dev/gauntlet/analysis"
)

// onlyComments reports whether every change of the edit leaves the code's
// tokens as they were (analysis.SameCode): each changed file keeps its path
// and language, parses without errors before and after, and differs only in
// comments that are not directives. Such an edit cannot change what builds
// or what tests do.
func (r *run) onlyComments(ctx context.Context) bool {
	for _, c := range r.changes {
		if c.oldPath == "" || c.newPath != c.oldPath {
			return false
		}
		before, err1 := r.base.File(c.oldPath)
		after, err2 := r.after.File(c.newPath)
		if err1 != nil || err2 != nil || !analysis.SameCode(ctx, before, after) {
			return false
		}
	}
	return len(r.changes) > 0
}

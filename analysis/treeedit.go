package analysis

/*
#include <stdint.h>
#include <stdlib.h>

// Declared here rather than included: these are tree-sitter's own types and
// function, compiled into the binary by github.com/smacker/go-tree-sitter.
typedef struct { uint32_t row; uint32_t column; } gauntlet_TSPoint;
typedef struct {
	uint32_t start_byte;
	uint32_t old_end_byte;
	uint32_t new_end_byte;
	gauntlet_TSPoint start_point;
	gauntlet_TSPoint old_end_point;
	gauntlet_TSPoint new_end_point;
} gauntlet_TSInputEdit;
struct TSTree;
void ts_tree_edit(struct TSTree *self, const void *edit);

typedef struct {
	gauntlet_TSPoint start_point;
	gauntlet_TSPoint end_point;
	uint32_t start_byte;
	uint32_t end_byte;
} gauntlet_TSRange;
void *ts_tree_get_changed_ranges(const struct TSTree *old_tree, const struct TSTree *new_tree, uint32_t *length);

// gauntlet_changed_ranges writes up to max [start, end) byte pairs into out
// and returns how many ranges there are.
static uint32_t gauntlet_changed_ranges(void *old_tree, void *new_tree, uint32_t *out, uint32_t max) {
	uint32_t n = 0;
	gauntlet_TSRange *r = ts_tree_get_changed_ranges(old_tree, new_tree, &n);
	for (uint32_t i = 0; i < n && i < max; i++) {
		out[2*i] = r[i].start_byte;
		out[2*i+1] = r[i].end_byte;
	}
	free(r);
	return n;
}

static void gauntlet_tree_edit(void *tree, uint32_t sb, uint32_t ob, uint32_t nb,
		uint32_t sr, uint32_t sc, uint32_t orow, uint32_t oc, uint32_t nr, uint32_t nc) {
	gauntlet_TSInputEdit e = {sb, ob, nb, {sr, sc}, {orow, oc}, {nr, nc}};
	ts_tree_edit((struct TSTree *)tree, &e);
}
*/
import "C"

import (
	"unsafe"

	sitter "github.com/smacker/go-tree-sitter"
)

// changedRanges returns the byte ranges (in new's offsets) whose syntactic
// structure differs between old, edited to match new's text, and new.
func changedRanges(old, new *sitter.Tree) [][2]int {
	const max = 64
	var buf [2 * max]C.uint32_t
	n := int(C.gauntlet_changed_ranges(treePtr(old), treePtr(new), &buf[0], max))
	if n > max {
		return nil // too many to be worth it: callers treat nil as "everything"
	}
	out := make([][2]int, n)
	for i := range out {
		out[i] = [2]int{int(buf[2*i]), int(buf[2*i+1])}
	}
	return out
}

// treePtr returns the *C.TSTree: BaseTree's first (unexported) field.
func treePtr(t *sitter.Tree) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(t.BaseTree)) }

// editTree applies an edit to t. It calls tree-sitter directly because
// go-tree-sitter's Tree.Edit passes the old end point as the new end point
// (EditInput.c in bindings.go), which leaves every node after a multi-line
// edit at the wrong row. FuzzIncremental checks the result against fresh parses.
func editTree(t *sitter.Tree, e sitter.EditInput) {
	C.gauntlet_tree_edit(treePtr(t),
		C.uint32_t(e.StartIndex), C.uint32_t(e.OldEndIndex), C.uint32_t(e.NewEndIndex),
		C.uint32_t(e.StartPoint.Row), C.uint32_t(e.StartPoint.Column),
		C.uint32_t(e.OldEndPoint.Row), C.uint32_t(e.OldEndPoint.Column),
		C.uint32_t(e.NewEndPoint.Row), C.uint32_t(e.NewEndPoint.Column))
}

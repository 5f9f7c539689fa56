package analysis

/*
#include <stdint.h>

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

// editTree applies an edit to t. It calls tree-sitter directly because
// go-tree-sitter's Tree.Edit passes the old end point as the new end point
// (EditInput.c in bindings.go), which leaves every node after a multi-line
// edit at the wrong row. FuzzIncremental checks the result against fresh parses.
func editTree(t *sitter.Tree, e sitter.EditInput) {
	// BaseTree's first (unexported) field is the *C.TSTree.
	ptr := *(*unsafe.Pointer)(unsafe.Pointer(t.BaseTree))
	C.gauntlet_tree_edit(ptr,
		C.uint32_t(e.StartIndex), C.uint32_t(e.OldEndIndex), C.uint32_t(e.NewEndIndex),
		C.uint32_t(e.StartPoint.Row), C.uint32_t(e.StartPoint.Column),
		C.uint32_t(e.OldEndPoint.Row), C.uint32_t(e.OldEndPoint.Column),
		C.uint32_t(e.NewEndPoint.Row), C.uint32_t(e.NewEndPoint.Column))
}

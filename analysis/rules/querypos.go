package rules

/*
#include <stdint.h>

// Declared rather than included: tree-sitter's own functions, compiled into
// the binary by github.com/smacker/go-tree-sitter, which does not wrap them.
struct TSQuery;
struct TSQueryCursor;
uint32_t ts_query_start_byte_for_pattern(const struct TSQuery *self, uint32_t pattern_index);
void ts_query_cursor_set_match_limit(struct TSQueryCursor *self, uint32_t limit);
*/
import "C"

import (
	"unsafe"

	sitter "github.com/smacker/go-tree-sitter"
)

// patternStart returns the byte offset in q's source at which pattern i
// starts. Compile uses it to tell which rule each pattern of a combined
// query came from.
func patternStart(q *sitter.Query, i uint32) int {
	// Query's first (unexported) field is the *C.TSQuery.
	ptr := *(*unsafe.Pointer)(unsafe.Pointer(q))
	return int(C.ts_query_start_byte_for_pattern((*C.struct_TSQuery)(ptr), C.uint32_t(i)))
}

// matchLimit bounds the matches a cursor keeps in progress at once, so that
// a rule whose pattern can match in very many ways (repetitions of
// wildcards) costs bounded memory and time on a large file; ordinary rules
// stay far below it.
const matchLimit = 1 << 16

// setMatchLimit applies matchLimit to qc.
func setMatchLimit(qc *sitter.QueryCursor) {
	// QueryCursor's first (unexported) field is the *C.TSQueryCursor.
	ptr := *(*unsafe.Pointer)(unsafe.Pointer(qc))
	C.ts_query_cursor_set_match_limit((*C.struct_TSQueryCursor)(ptr), C.uint32_t(matchLimit))
}

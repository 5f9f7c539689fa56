package rules

/*
#include <stdint.h>

// Declared rather than included: tree-sitter's own function, compiled into
// the binary by github.com/smacker/go-tree-sitter, which does not wrap it.
struct TSQuery;
uint32_t ts_query_start_byte_for_pattern(const struct TSQuery *self, uint32_t pattern_index);
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

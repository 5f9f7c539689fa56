package toml

import "fmt"

// DecodeError is an error in a document, at a line and column.
type DecodeError struct {
	Line, Column int
	Message      string
}

// Error implements error.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("toml: line %d, column %d: %s", e.Line, e.Column, e.Message)
}

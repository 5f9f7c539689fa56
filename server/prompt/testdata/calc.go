// Package calc does arithmetic.
package calc

import (
	"errors"
	"fmt"
)

// ErrDivide is returned for a division by zero.
var ErrDivide = errors.New("division by zero")

// Add returns the sum of a and b.
func Add(a, b int) int {
	return a - b
}

// Mul returns the product of a and b.
func Mul(a, b int) int {
	return a * b
}

// Div returns a divided by b.
func Div(a, b int) (int, error) {
	if b == 0 {
		return 0, fmt.Errorf("div %d: %w", a, ErrDivide)
	}
	return a / b, nil
}

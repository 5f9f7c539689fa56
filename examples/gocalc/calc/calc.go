// Package calc does integer arithmetic.
package calc

import "errors"

// ErrDivByZero is returned when dividing by zero.
var ErrDivByZero = errors.New("division by zero")

// Limit bounds the magnitude of results.
const Limit = 1000000

// Add returns a + b.
func Add(a, b int) int {
	return clamp(a + b)
}

// Sub returns a - b.
func Sub(a, b int) int {
	return clamp(a - b)
}

// Mul returns a * b.
func Mul(a, b int) int {
	return clamp(a * b)
}

// Div returns a / b, or an error when b is zero.
func Div(a, b int) (int, error) {
	if b == 0 {
		return 0, ErrDivByZero
	}
	return a / b, nil
}

// Abs returns the absolute value of a.
func Abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

func clamp(v int) int {
	if v > Limit {
		return Limit
	}
	if v < -Limit {
		return -Limit
	}
	return v
}

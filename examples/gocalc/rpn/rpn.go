// Package rpn evaluates expressions in reverse Polish notation with package calc.
package rpn

import (
	"fmt"
	"strconv"
	"strings"

	"example.com/gocalc/calc"
)

// Eval evaluates an expression such as "2 3 + 4 *".
func Eval(expr string) (int, error) {
	var stack []int
	for _, tok := range strings.Fields(expr) {
		if n, err := strconv.Atoi(tok); err == nil {
			stack = append(stack, n)
			continue
		}
		if len(stack) < 2 {
			return 0, fmt.Errorf("%q needs two operands", tok)
		}
		a, b := stack[len(stack)-2], stack[len(stack)-1]
		stack = stack[:len(stack)-2]
		var v int
		switch tok {
		case "+":
			v = calc.Add(a, b)
		case "-":
			v = calc.Sub(a, b)
		case "*":
			v = calc.Mul(a, b)
		case "/":
			q, err := calc.Div(a, b)
			if err != nil {
				return 0, err
			}
			v = q
		default:
			return 0, fmt.Errorf("unknown operator %q", tok)
		}
		stack = append(stack, v)
	}
	if len(stack) != 1 {
		return 0, fmt.Errorf("expression leaves %d values", len(stack))
	}
	return stack[0], nil
}

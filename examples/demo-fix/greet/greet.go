// Package greet says hello.
package greet

import "fmt"

// Greet prints a greeting for name and returns it.
func Greet(name string) string {
	msg := fmt.Sprintf("Hello, %s!", name)
	fmt.Println(msg)
	return msg
}

//go:build !linux

package confine

import "errors"

func abi() int { return 0 }

func works() bool { return false }

func execConfined(string, []string, []string, []string) error {
	return errors.New("confining a program needs Linux's Landlock")
}

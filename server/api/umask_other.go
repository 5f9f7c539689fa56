//go:build !unix

package api

func umask(m int) int { return m }

//go:build unix

package api

import (
	"fmt"
	"os"
	"syscall"
)

func umask(m int) int { return syscall.Umask(m) }

// checkOwner refuses a socket folder that another user owns: its owner
// could swap the socket and hear the clients' tokens.
func checkOwner(dir string, st os.FileInfo) error {
	if s, ok := st.Sys().(*syscall.Stat_t); ok && int(s.Uid) != os.Getuid() {
		return fmt.Errorf("%s belongs to user %d, not to you (%d); use a folder of your own", dir, s.Uid, os.Getuid())
	}
	return nil
}

//go:build linux

package confine

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The three Landlock system calls are made here rather than through
// github.com/landlock-lsm/go-landlock: that library restricts every thread
// of the process through psx, which in a cgo binary (tree-sitter) wraps
// pthread_create at link time; the launcher restricts only the thread that
// then calls execve, which is all the program inherits.

// abi is the Landlock ABI version of the kernel, 0 without Landlock.
func abi() int {
	v, _, e := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if e != 0 {
		return 0
	}
	return int(v)
}

// writeRights are the file system rights of Landlock ABI v that change
// the file system (reading and running stay free).
func writeRights(v int) uint64 {
	r := uint64(unix.LANDLOCK_ACCESS_FS_WRITE_FILE | unix.LANDLOCK_ACCESS_FS_REMOVE_DIR |
		unix.LANDLOCK_ACCESS_FS_REMOVE_FILE | unix.LANDLOCK_ACCESS_FS_MAKE_CHAR |
		unix.LANDLOCK_ACCESS_FS_MAKE_DIR | unix.LANDLOCK_ACCESS_FS_MAKE_REG |
		unix.LANDLOCK_ACCESS_FS_MAKE_SOCK | unix.LANDLOCK_ACCESS_FS_MAKE_FIFO |
		unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK | unix.LANDLOCK_ACCESS_FS_MAKE_SYM)
	if v >= 2 {
		r |= unix.LANDLOCK_ACCESS_FS_REFER
	}
	if v >= 3 {
		r |= unix.LANDLOCK_ACCESS_FS_TRUNCATE
	}
	if v >= 5 {
		r |= unix.LANDLOCK_ACCESS_FS_IOCTL_DEV
	}
	return r
}

// fileRights are the rights a rule on a file (not a directory) may grant.
const fileRights = unix.LANDLOCK_ACCESS_FS_WRITE_FILE | unix.LANDLOCK_ACCESS_FS_TRUNCATE | unix.LANDLOCK_ACCESS_FS_IOCTL_DEV

// rulesetAttr is struct landlock_ruleset_attr as of ABI 6 (the kernel
// reads the size it is given).
type rulesetAttr struct {
	fs, net, scoped uint64
}

// works reports whether a process can confine itself here: a kernel with
// Landlock whose system calls no seccomp filter refuses. It confines a
// thread of its own, which then ends (Landlock and no_new_privs are a
// thread's, and the runtime ends a thread whose goroutine exits locked to
// it), so the process itself stays as it was.
var works = sync.OnceValue(func() bool {
	if abi() < 1 {
		return false
	}
	ok := make(chan bool)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		ok <- restrictThread(nil) == nil
	}()
	return <-ok
})

func execConfined(prog string, argv, env, writable []string) error {
	// The restriction is the calling thread's: it must be the thread that
	// runs execve.
	runtime.LockOSThread()
	if err := restrictThread(writable); err != nil {
		return err
	}
	return syscall.Exec(prog, argv, env)
}

// restrictThread confines the calling thread, and what it starts, to
// writes in writable.
func restrictThread(writable []string) error {
	v := abi()
	if v < 1 {
		return errors.New("the kernel offers no Landlock (Linux 5.13 or later, with landlock among its security modules)")
	}
	handled := writeRights(v)
	attr := rulesetAttr{fs: handled}
	size := unsafe.Offsetof(attr.net) // ABI 1 to 3 know only the file system
	if v >= 4 {
		size = unsafe.Offsetof(attr.scoped)
	}
	if v >= 6 {
		attr.scoped = unix.LANDLOCK_SCOPE_SIGNAL | unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
		size = unsafe.Sizeof(attr)
	}
	fd, _, e := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(&attr)), size, 0)
	if e != 0 {
		return fmt.Errorf("landlock_create_ruleset: %w", e)
	}
	ruleset := int(fd)
	defer unix.Close(ruleset)
	for _, w := range writable {
		p, err := unix.Open(w, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			if errors.Is(err, syscall.ENOENT) {
				continue
			}
			return fmt.Errorf("%s: %w", w, err)
		}
		allowed := handled
		var st unix.Stat_t
		if unix.Fstat(p, &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			allowed &= fileRights
		}
		rule := unix.LandlockPathBeneathAttr{Allowed_access: allowed, Parent_fd: int32(p)}
		_, _, e := unix.Syscall6(unix.SYS_LANDLOCK_ADD_RULE, uintptr(ruleset), unix.LANDLOCK_RULE_PATH_BENEATH, uintptr(unsafe.Pointer(&rule)), 0, 0, 0)
		unix.Close(p)
		if e != 0 {
			return fmt.Errorf("landlock_add_rule %s: %w", w, e)
		}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	if _, _, e := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(ruleset), 0, 0); e != 0 {
		return fmt.Errorf("landlock_restrict_self: %w", e)
	}
	return nil
}

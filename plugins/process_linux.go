package plugins

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A plugin runs under a keeper: gauntlet's own binary (/proc/self/exe)
// started with shimEnv set, which makes itself a child subreaper
// (PR_SET_CHILD_SUBREAPER), starts the plugin with Pdeathsig, and when
// the plugin exits, or gauntlet dies (the keeper's Pdeathsig is SIGTERM,
// which it catches), kills every process left under it, found through
// /proc, before it exits as the plugin did. A process group is not
// enough: a plugin's child that calls setsid leaves it, and Pdeathsig
// reaches only the plugin itself; a subreaper gets the orphans of the
// whole tree, so none escapes the walk. (No library does this; the pattern
// is pkg/reexec's, in a dozen lines.)
const shimEnv = "GAUNTLET_PLUGIN_KEEPER"

func init() {
	if os.Getenv(shimEnv) == "1" && len(os.Args) > 1 {
		os.Exit(runKeeper(os.Args[1], os.Args[2:]))
	}
}

// keeperCommand is the command that runs path with args under a keeper.
func keeperCommand(path string, args []string, env []string) *exec.Cmd {
	cmd := exec.Command("/proc/self/exe", append([]string{path}, args...)...)
	cmd.Args[0] = "gauntlet-plugin-keeper"
	cmd.Env = append(slices.Clone(env), shimEnv+"=1")
	return cmd
}

// sysProcAttr puts a plugin's keeper in its own process group (so that
// stopping it kills whatever it started) and has the kernel tell it when
// gauntlet dies, even by SIGKILL.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// runKeeper is the keeper's whole life; it returns the plugin's exit
// status.
func runKeeper(path string, args []string) int {
	runtime.LockOSThread() // Pdeathsig of the plugin follows this thread
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "gauntlet plugin keeper: subreaper: %v\n", err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if os.Getppid() == 1 { // gauntlet died before we could hear of it
		return 1
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, shimEnv+"=") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "gauntlet: plugin %s: %v\n", path, err)
		return 127
	}
	plugin := cmd.Process.Pid
	exited := make(chan syscall.WaitStatus, 1)
	go func() {
		// Reap every child: the plugin, and the orphans of its tree.
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, 0, nil)
			if err == syscall.EINTR {
				continue
			}
			if err != nil {
				return
			}
			if pid == plugin {
				exited <- ws
			}
		}
	}()
	var ws syscall.WaitStatus
	select {
	case ws = <-exited:
	case <-sigs:
		killTree(os.Getpid())
		return 1
	}
	killTree(os.Getpid())
	switch {
	case ws.Signaled():
		signal.Reset()
		syscall.Kill(os.Getpid(), ws.Signal())
		time.Sleep(time.Second)
		return 128 + int(ws.Signal())
	default:
		return ws.ExitStatus()
	}
}

// killGroup kills the process group led by pid, and first every process
// under it (through /proc): the tree of the plugin.
func killGroup(pid int) {
	killTree(pid)
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// killTree kills every live process under pid, again until none is left:
// a process forked meanwhile is found in the next round (its parent's
// death hands it to the subreaper, which is still alive).
func killTree(pid int) {
	for round := 0; round < 200; round++ {
		ds := descendants(pid)
		if len(ds) == 0 {
			return
		}
		for _, d := range ds {
			_ = syscall.Kill(d, syscall.SIGKILL)
		}
		time.Sleep(time.Millisecond)
	}
}

// descendants lists the live (not zombie) processes under pid, from
// /proc/*/stat.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		_, state, ppid, ok := procStat(e.Name())
		if !ok || state == "Z" || state == "X" {
			continue
		}
		children[ppid] = append(children[ppid], n)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// waitExited waits until pid has exited, without reaping it: while it is a
// zombie its id, which is also its group's, cannot be given to another
// process, so killing the group afterwards cannot hit a stranger.
func waitExited(pid int) {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return
		}
	}
}

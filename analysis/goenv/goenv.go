// Package goenv reads the go command's environment once per process.
package goenv

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"sync"
)

// vars are read together: each `go env` costs a process start and the
// go command's own setup (tens of milliseconds), so one call serves verify's
// sandbox (GOROOT, GOMODCACHE, GOPATH) and the per-test map's keys
// (GOVERSION).
var vars = []string{"GOROOT", "GOMODCACHE", "GOPATH", "GOVERSION"}

var read = sync.OnceValues(func() (map[string]string, error) {
	out, err := exec.Command("go", append([]string{"env", "-json"}, vars...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w (is the go command installed?)", err)
	}
	env := map[string]string{}
	if err := json.Unmarshal(out, &env); err != nil {
		return nil, fmt.Errorf("go env -json: %w", err)
	}
	return env, nil
})

// Var returns one of GOROOT, GOMODCACHE, GOPATH and GOVERSION as the go
// command on PATH reports it, or an error if that command cannot run.
func Var(name string) (string, error) {
	env, err := read()
	if err != nil {
		return "", err
	}
	v, ok := env[name]
	if !ok {
		return "", fmt.Errorf("goenv: %s is not read (one of %v)", name, vars)
	}
	return v, nil
}

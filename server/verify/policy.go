package verify

import (
	"errors"
	"fmt"
)

// The sandbox policy: the person at the terminal, or the operator who
// starts gauntlet serve, mcp or lsp (their flags, then .gauntlet.yaml's
// loop.sandbox) decides how edited code runs; a request from a client or
// an agent may only ask for stricter; and an edit a model wrote runs
// without bubblewrap only when that decision says "none".

// ParseSandbox reads a sandbox setting as written in a flag, a request or
// the configuration: "auto" (or ""), "bwrap" or "none". It returns
// SandboxAuto, SandboxBwrap or SandboxNone.
func ParseSandbox(s string) (string, error) {
	switch s {
	case "", "auto":
		return SandboxAuto, nil
	case SandboxBwrap, SandboxNone:
		return s, nil
	}
	return "", fmt.Errorf("unknown sandbox mode %q (want auto|bwrap|none)", s)
}

// ErrLooserSandbox is a request that asks for a looser sandbox than the
// operator allows.
var ErrLooserSandbox = errors.New("a request may only ask for a stricter sandbox")

// RequestSandbox is the mode a request gets when the operator's setting
// is operator (parsed) and the request asks for requested (as written,
// "" for no wish): the stricter of the two. Asking for "none" when the
// operator did not allow it is ErrLooserSandbox, wrapped with the
// settings that would allow it.
func RequestSandbox(operator, requested string) (string, error) {
	req, err := ParseSandbox(requested)
	if err != nil {
		return "", err
	}
	if requested == "" {
		return operator, nil
	}
	switch {
	case operator == SandboxNone:
		return req, nil
	case req == SandboxNone:
		return "", fmt.Errorf("%w: it asks for sandbox %q, the server's setting is %q; only the operator may turn the sandbox off (loop.sandbox: none in .gauntlet.yaml, or --sandbox none on gauntlet serve, mcp or lsp)", ErrLooserSandbox, requested, orAuto(operator))
	case operator == SandboxBwrap || req == SandboxBwrap:
		return SandboxBwrap, nil
	}
	return SandboxAuto, nil
}

// InstallBwrap says how to get bubblewrap.
const InstallBwrap = "install bubblewrap (Debian, Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap; Alpine: apk add bubblewrap)"

// ForModelEdits is the mode for edits that a model (or a remote caller)
// wrote: "auto" becomes "bwrap", and an error saying how to install
// bubblewrap when it is missing or does not work; an edit from a model
// runs unsandboxed only when the setting says "none".
func ForModelEdits(mode string) (string, error) {
	if mode != SandboxAuto {
		return mode, nil
	}
	if _, err := findBwrap(); err != nil {
		return "", fmt.Errorf("%v: edits from a model are not run without a sandbox; %s, or set loop.sandbox: none in .gauntlet.yaml to run them unsandboxed", err, InstallBwrap)
	}
	return SandboxBwrap, nil
}

// Effective is the sandbox that mode gives here: "bwrap" or "none".
func Effective(mode string) string {
	switch mode {
	case SandboxBwrap, SandboxNone:
		return mode
	}
	if _, err := findBwrap(); err == nil {
		return SandboxBwrap
	}
	return SandboxNone
}

func orAuto(mode string) string {
	if mode == SandboxAuto {
		return "auto"
	}
	return mode
}

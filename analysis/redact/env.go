package redact

import "strings"

// allowed are the variables test and build processes get: the locale,
// the terminal, the toolchains' own settings. Everything else — tokens,
// keys, a CI's credentials — stays out, whatever its name.
var allowed = map[string]bool{
	"PATH": true, "HOME": true, "USER": true, "LOGNAME": true, "SHELL": true,
	"LANG": true, "LANGUAGE": true, "TZ": true, "TERM": true, "COLORTERM": true, "NO_COLOR": true, "CI": true,
	"TMPDIR": true, "XDG_CACHE_HOME": true, "XDG_CONFIG_HOME": true, "XDG_DATA_HOME": true,
	// Go
	"GOFLAGS": true, "GOPATH": true, "GOMODCACHE": true, "GOCACHE": true, "GOROOT": true, "GOTOOLCHAIN": true,
	"GOPROXY": true, "GOSUMDB": true, "GONOSUMDB": true, "GOPRIVATE": true, "GONOPROXY": true, "GOINSECURE": true,
	"GOOS": true, "GOARCH": true, "GOAMD64": true, "GOARM": true, "GOARM64": true, "GO386": true, "GOEXPERIMENT": true,
	"GOENV": true, "GOWORK": true, "GOTMPDIR": true, "GODEBUG": true, "GOMAXPROCS": true, "GOTRACEBACK": true,
	"CGO_ENABLED": true, "CC": true, "CXX": true, "AR": true, "PKG_CONFIG_PATH": true,
	// Python
	"PYTHONPATH": true, "PYTHONHOME": true, "PYTHONDONTWRITEBYTECODE": true, "PYTHONHASHSEED": true, "PYTHONUTF8": true,
	"PYTHONIOENCODING": true, "VIRTUAL_ENV": true, "PYENV_ROOT": true, "PYENV_VERSION": true,
	// Node
	"NODE_PATH": true, "NODE_OPTIONS": true, "NODE_ENV": true, "NODE_EXTRA_CA_CERTS": true, "NVM_DIR": true, "NVM_BIN": true,
}

var allowedPrefixes = []string{"LC_", "CGO_"}

// Allowed reports whether a variable passes into test and build processes
// (names lists the configuration's tests.env). A name that says secret
// passes only when named in names.
func Allowed(name string, names []string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	if IsSecretName(name) {
		return false
	}
	if allowed[name] {
		return true
	}
	for _, p := range allowedPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Environ keeps the variables of environ that Allowed lets through.
func Environ(environ []string, names []string) []string {
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if Allowed(k, names) {
			out = append(out, kv)
		}
	}
	return out
}

#!/bin/sh
# make demo: gauntlet on the built-in defaults, with no model and no network.
set -u
BIN=${1:-bin/gauntlet}
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }

step "Syntax errors in Go, Python and JavaScript, as an editor would see them" \
     "gauntlet check examples/broken"
"$BIN" check examples/broken
echo "(exit status $?: 1 means findings at or above --fail-on)"

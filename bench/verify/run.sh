#!/bin/sh
# gauntlet verify on mutants and neutral edits of five public Go modules
# (bench/tests's list), beside applying each edit and running
# `go test -count=1 ./...`: false accepts (must be 0), neutral edits
# accepted, wall times, the static gates' time, and the module byte-identical
# after every verify. Writes bench/verify/RESULTS.md; progress on stderr.
# Needs: the Go module proxy once (go mod download of the modules),
# bubblewrap for the sandboxed figures (Debian's bubblewrap), git.
set -eu
cd "$(dirname "$0")/../.."
go build -o bin/gauntlet ./cmd/gauntlet
go run ./bench/verify -gauntlet bin/gauntlet "$@" > bench/verify/RESULTS.md.new
mv bench/verify/RESULTS.md.new bench/verify/RESULTS.md

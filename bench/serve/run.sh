#!/bin/sh
# One `gauntlet serve` engine: 40 clients at once beside the same requests
# one at a time (median, p95, the engine's memory before and after), and a
# warm engine's verify of a one-line edit beside a cold `gauntlet verify`
# process. Writes bench/serve/RESULTS.md; progress on stderr. Needs only Go
# (GOROOT/src/net/http is the tree the clients check).
set -eu
cd "$(dirname "$0")/../.."
go build -o bin/gauntlet ./cmd/gauntlet
go run ./bench/serve -gauntlet bin/gauntlet "$@" > bench/serve/RESULTS.md.new
mv bench/serve/RESULTS.md.new bench/serve/RESULTS.md

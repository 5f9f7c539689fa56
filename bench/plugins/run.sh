#!/bin/sh
# The todo-owner analyzer in process and as a plugin (go-plugin over gRPC on a
# unix socket, with mTLS), on a 1 KB file and on net/http/server.go: p50 and
# p95 per call, and a plugin's start-up to its first answer. Writes the
# `go test -bench` output to bench/plugins/last.txt; RESULTS.md records it.
set -eu
cd "$(dirname "$0")/../.."
go test -run '^$' -bench . -benchtime "${BENCHTIME:-2s}" -count 1 ./bench/plugins | tee bench/plugins/last.txt

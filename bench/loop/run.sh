#!/bin/sh
# The closed loop's own cost per attempt, without the model's time, on
# examples/demo-fix and one public Go module (github.com/google/go-cmp from
# the module cache): median and p95, by outcome. Writes
# bench/loop/RESULTS.md; progress on stderr. Needs: Go, the module in the
# module cache (or the module proxy once), bubblewrap for the sandboxed
# figures (Debian's bubblewrap).
set -eu
cd "$(dirname "$0")/../.."
go run ./bench/loop "$@" > bench/loop/RESULTS.md.new
mv bench/loop/RESULTS.md.new bench/loop/RESULTS.md

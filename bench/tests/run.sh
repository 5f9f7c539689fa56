#!/bin/sh
# Impacted-test selection on five public Go modules (see RESULTS.md): for
# one-line mutants, gauntlet test --affected-by beside go test ./... and the
# floor, the map build beside one full run, and mutant agreement. Writes the
# tables to bench/tests/last.md; RESULTS.md keeps the recorded run and its
# reading. Needs: git, the go command and the module proxy (modules missing
# from the module cache are downloaded). Takes 15-30 minutes on 2 cores.
set -eu
cd "$(dirname "$0")/../.."
go build -o /tmp/gauntlet-testrun ./cmd/gauntlet
go run ./bench/tests -gauntlet /tmp/gauntlet-testrun > bench/tests/last.md
sed -n '/## Summary/,/^Agreement/p' bench/tests/last.md

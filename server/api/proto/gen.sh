#!/bin/sh
# Regenerates the engine service's Go code from engine.proto with pinned
# tools; the generated files are committed. Called by `make proto`.
#
# Needs Debian's protobuf-compiler (protoc 3.21); the Go generators are
# installed at the versions below into bin/tools (as plugins/proto/gen.sh).
set -eu
cd "$(dirname "$0")/../../.."
ROOT=$(pwd)

PROTOC_GEN_GO=v1.36.12      # google.golang.org/protobuf, as in go.mod
PROTOC_GEN_GO_GRPC=v1.6.2   # google.golang.org/grpc/cmd/protoc-gen-go-grpc

command -v protoc >/dev/null || {
	echo "gen.sh: protoc not found; apt-get install -y protobuf-compiler" >&2
	exit 1
}

TOOLS="$ROOT/bin/tools"
mkdir -p "$TOOLS"
GOBIN="$TOOLS" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO"
GOBIN="$TOOLS" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC"

protoc -I server/api/proto \
	--plugin=protoc-gen-go="$TOOLS/protoc-gen-go" \
	--plugin=protoc-gen-go-grpc="$TOOLS/protoc-gen-go-grpc" \
	--go_out=. --go_opt=module=github.com/gauntlet-dev/gauntlet \
	--go-grpc_out=. --go-grpc_opt=module=github.com/gauntlet-dev/gauntlet \
	gauntlet/v1/engine.proto

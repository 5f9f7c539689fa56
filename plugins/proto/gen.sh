#!/bin/sh
# Regenerates the plugin protocol's code from analyzer.proto with pinned
# tools; the generated files are committed. Called by `make proto`.
#
# Needs Debian's protobuf-compiler (protoc 3.21) and protobuf-compiler-grpc
# (grpc_python_plugin 1.51, matching python3-grpcio); the Go generators are
# installed at the versions below into bin/tools.
set -eu
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

PROTOC_GEN_GO=v1.36.12      # google.golang.org/protobuf, as in go.mod
PROTOC_GEN_GO_GRPC=v1.6.2   # google.golang.org/grpc/cmd/protoc-gen-go-grpc

for tool in protoc grpc_python_plugin; do
	command -v "$tool" >/dev/null || {
		echo "gen.sh: $tool not found; apt-get install -y protobuf-compiler protobuf-compiler-grpc" >&2
		exit 1
	}
done

TOOLS="$ROOT/bin/tools"
mkdir -p "$TOOLS"
GOBIN="$TOOLS" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO"
GOBIN="$TOOLS" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC"

# Go: under plugins/internal (go_package), so that only gauntlet's plugin
# packages import it; the .proto stays here for authors in other languages.
protoc -I plugins/proto \
	--plugin=protoc-gen-go="$TOOLS/protoc-gen-go" \
	--plugin=protoc-gen-go-grpc="$TOOLS/protoc-gen-go-grpc" \
	--go_out=. --go_opt=module=github.com/gauntlet-dev/gauntlet \
	--go-grpc_out=. --go-grpc_opt=module=github.com/gauntlet-dev/gauntlet \
	gauntlet/plugin/v1/analyzer.proto

# Python: the example plugin's stubs, and the gRPC health service go-plugin
# expects (grpcio-health-checking is not packaged in Debian).
PY=plugins/examples/python/gen
mkdir -p "$PY"
protoc -I plugins/proto -I plugins/examples/python/proto \
	--plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" \
	--python_out="$PY" --grpc_python_out="$PY" \
	gauntlet/plugin/v1/analyzer.proto health.proto

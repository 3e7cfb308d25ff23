#!/bin/sh
# Regenerates examples/gen from examples/proto. Needs protoc (Debian:
# protobuf-compiler) and protoc-gen-go v1.36.12 (the google.golang.org/protobuf
# version in go.mod): go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
#
# buf/validate/validate.proto is not vendored: validatedesc writes its
# descriptor (and its imports') from the protovalidate Go module in go.mod,
# and protoc takes it with --descriptor_set_in. The generated code is
# committed, so building the examples needs neither tool.
set -eu
cd "$(dirname "$0")/.."
desc=$(mktemp)
trap 'rm -f "$desc"' EXIT
go run ./internal/validatedesc > "$desc"
protoc --descriptor_set_in="$desc" -I proto \
	--go_out=. --go_opt=module=github.com/tributary-io/tributary/examples \
	tributary/demo/v1/shop.proto

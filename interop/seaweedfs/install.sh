#!/usr/bin/env bash
# Builds SeaweedFS's weed (an S3 service with STS AssumeRole, for e2e's
# TestVendedSTS; internal/testsweed runs it) into
# ~/.cache/tributary/seaweedfs/weed, once: a later run finds it there.
#
# SeaweedFS's Go module has no release tags and a replace directive, which
# `go install pkg@version` refuses, so it is built from this directory's
# module (go.mod pins the commit, internal/testsweed.Version; go.sum the
# rest). The first build downloads ~500 modules and compiles for several
# minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")"
out="${TESTSWEED_WEED:-$HOME/.cache/tributary/seaweedfs/weed}"
if [ -x "$out" ]; then
  exit 0
fi
mkdir -p "$(dirname "$out")"
go build -o "$out.tmp" github.com/seaweedfs/seaweedfs/weed
mv "$out.tmp" "$out"

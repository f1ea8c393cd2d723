#!/usr/bin/env bash
# Builds the Go interop verifier (ADR 0053) from Debian's packages only: golang-go and
# golang-golang-x-mod-dev (golang.org/x/mod/sumdb/note and sumdb/tlog under /usr/share/gocode).
# No module proxy, no network: GOPATH mode against the Debian source tree.
# Usage: test/interop/go/build.sh OUTPUT
set -euo pipefail
out=${1:?usage: build.sh OUTPUT}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export GOCACHE="${GOCACHE:-${TMPDIR:-/tmp}/datapunk-go-cache}"
GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off go vet .
GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off go build -o "$out" .

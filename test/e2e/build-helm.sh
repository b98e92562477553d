#!/usr/bin/env bash
# Builds a real `helm` for the chart tests (test/e2e/helm.test.ts) from its published Go module, helm.sh/helm/v3,
# with the flags of helm's own Makefile (version and the Kubernetes version its lint and template assume), into
# the cache the control plane uses (see build-cluster.sh):
#   ${INFERNO_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/inferno-e2e}/
#     helm-<version>/bin/helm    the binary, plus a .stamp file (build key)
#     gomod/ gocache/            GOMODCACHE and GOCACHE, shared with build-cluster.sh
#     helm-current               one line: absolute path of the helm binary the tests should use
#
# Usage: test/e2e/build-helm.sh [--force]     build (or reuse the cache) and print the binary's path
# Environment: INFERNO_E2E_HELM_VERSION overrides the version (default v3.22.0).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODULE=helm.sh/helm/v3
VERSION=${INFERNO_E2E_HELM_VERSION:-v3.22.0}

FORCE=0
case "${1:-}" in
  --force) FORCE=1 ;;
  "") ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

LOG_TAG=build-helm PROGRESS_TAG=helm:build
# shellcheck source=test/e2e/go-build-env.sh
source "$HERE/go-build-env.sh"
# `go install module@version` builds with the module's own go.mod and go.sum (checksums verified against the
# checksum database); no wrapper module is needed.
export GOFLAGS=-buildvcs=false

DIR="$CACHE/helm-$VERSION"
BIN="$DIR/bin"
STAMP="module=$MODULE@$VERSION
go=$("$GO" version)"

if [[ $FORCE == 0 && -x $BIN/helm && -f $BIN/.stamp && $(cat "$BIN/.stamp") == "$STAMP" ]]; then
  log "cache complete for $MODULE@$VERSION: $BIN/helm (no rebuild)"
else
  mkdir -p "$DIR"
  rm -f "$BIN/.stamp"
  log "downloading $MODULE@$VERSION"
  tmp=$(mktemp -d)
  if ! (cd "$tmp" && "$GO" mod download -json "$MODULE@$VERSION") >"$DIR/download.log" 2>&1; then
    rmdir "$tmp" 2>/dev/null || true
    explain_fetch_failure "$DIR/download.log" "helm $VERSION ($MODULE@$VERSION)"
    exit 1
  fi
  rmdir "$tmp" 2>/dev/null || true
  src=$(sed -n 's/.*"Dir": "\(.*\)".*/\1/p' "$DIR/download.log")
  # The Kubernetes version helm assumes for `template` and `lint` without a cluster: its client-go's minor, as
  # helm's Makefile derives it (client-go v0.N.x is Kubernetes 1.N).
  client_go=$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$src/go.mod" | head -1)
  if [[ -z $client_go ]]; then
    echo "build-helm: cannot read the k8s.io/client-go version from $src/go.mod" >&2
    exit 1
  fi
  flags="-s -w -X $MODULE/internal/version.version=$VERSION -X $MODULE/internal/version.gitTreeState=clean"
  for pkg in pkg/lint/rules pkg/chartutil; do
    flags+=" -X $MODULE/$pkg.k8sVersionMajor=1 -X $MODULE/$pkg.k8sVersionMinor=$client_go"
  done
  log "building helm ($MODULE/cmd/helm@$VERSION, Kubernetes 1.$client_go capabilities)"
  if ! GOBIN="$BIN" "$GO" install -trimpath -ldflags "$flags" "$MODULE/cmd/helm@$VERSION" >"$DIR/build.log" 2>&1; then
    explain_fetch_failure "$DIR/build.log" "helm $VERSION ($MODULE@$VERSION)"
    echo "build-helm: failed to build $MODULE/cmd/helm@$VERSION" >&2
    exit 1
  fi
  "$BIN/helm" version --short >&2
  echo "$STAMP" >"$BIN/.stamp"
  log "done: $BIN/helm ($(du -h "$BIN/helm" | cut -f1))"
fi
echo "$BIN/helm" >"$CACHE/helm-current"
echo "$BIN/helm"

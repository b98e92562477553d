# Sourced (not run) by build-cluster.sh and build-helm.sh: the Go toolchain, the shared cache layout
#   ${INFERNO_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/inferno-e2e}/  (gomod/ = GOMODCACHE, gocache/ = GOCACHE)
# and the message that names the module a proxy failure is about. Callers set LOG_TAG (error prefix, e.g. build-cluster)
# and PROGRESS_TAG (progress prefix, e.g. cluster:build) before sourcing.

CACHE=${INFERNO_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/inferno-e2e}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
if [[ ! -x $GO ]]; then
  echo "$LOG_TAG: no Go toolchain found (looked for 'go' on PATH and /usr/local/go/bin/go)" >&2
  exit 1
fi
export GOTOOLCHAIN=local CGO_ENABLED=0
export GOMODCACHE="$CACHE/gomod" GOCACHE="$CACHE/gocache"
mkdir -p "$CACHE"

START=$(date +%s)
log() { printf '[%s %4ds] %s\n' "$PROGRESS_TAG" "$(($(date +%s) - START))" "$*" >&2; }

# explain_fetch_failure <logfile> <what>: prints the module path(s) named in go's error output, so a proxy failure
# names the module; <what> says what could not be built ("Kubernetes v1.36.3", "helm v3.22.0").
explain_fetch_failure() {
  local logfile=$1 what=$2
  local mods
  # Lines such as "go: k8s.io/foo@v0.1.2: reading https://proxy.golang.org/...: 404 Not Found".
  mods=$(grep -Ei 'reading|verifying|downloading|not found|forbidden|gone|unknown revision|invalid version|checksum mismatch' "$logfile" \
    | grep -Eo '[A-Za-z0-9][A-Za-z0-9._~/-]*@v[0-9][A-Za-z0-9.+-]*' | sort -u | head -20 || true)
  echo "$LOG_TAG: $what cannot be resolved from the module proxy (GOPROXY=$("$GO" env GOPROXY))." >&2
  if [[ -n $mods ]]; then
    echo "$LOG_TAG: module versions that could not be fetched:" >&2
    sed 's/^/    /' <<<"$mods" >&2
  fi
  echo "$LOG_TAG: last lines of the go output ($logfile):" >&2
  tail -n 15 "$logfile" | sed 's/^/    /' >&2
}

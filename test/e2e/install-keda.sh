#!/bin/sh
# Builds the KEDA operator the e2e tier runs (the version of the keda chart the add-ons install,
# KEDA_VERSION below) from the Go module proxy into the e2e cache. The build runs inside the
# released module as downloaded, with its own go.mod (its replace directives pin k8s.io/* v0.35 and
# controller-runtime, which a consuming module would not inherit) and go.sum, so nothing of KEDA's
# is copied here. Only the operator: it polls the scalers, creates the HPAs and sets the
# ScaledObject status; the metrics adapter (an aggregated API server) is not run.
set -eu
KEDA_VERSION=v2.20.2
cache="${LLM_PLATFORM_E2E_CACHE:-$HOME/.cache/llm-platform/e2e}"
bin="$cache/bin"
mkdir -p "$bin"
stamp="keda-$KEDA_VERSION"
if [ -x "$bin/keda-operator" ] && [ -f "$bin/.stamp-keda" ] && [ "$(cat "$bin/.stamp-keda")" = "$stamp" ]; then
  echo "e2e keda: keda-operator $KEDA_VERSION cached in $bin"
  exit 0
fi
started=$(date +%s)
dir=$(GOFLAGS=-mod=mod go mod download -json "github.com/kedacore/keda/v2@$KEDA_VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$dir" ] && [ -f "$dir/cmd/operator/main.go" ] || {
  echo "e2e keda: github.com/kedacore/keda/v2@$KEDA_VERSION has no cmd/operator" >&2
  exit 1
}
# The module cache is read-only; go only reads it. GOTOOLCHAIN=auto fetches the go version the
# module asks for if the installed one is older.
(cd "$dir" && GOFLAGS=-mod=readonly GOTOOLCHAIN=auto CGO_ENABLED=0 go build -trimpath \
  -ldflags "-w -s -X github.com/kedacore/keda/v2/version.Version=${KEDA_VERSION#v}" \
  -o "$bin/keda-operator.tmp" ./cmd/operator)
mv "$bin/keda-operator.tmp" "$bin/keda-operator"
echo "$stamp" > "$bin/.stamp-keda"
echo "e2e keda: built keda-operator $KEDA_VERSION into $bin in $(( $(date +%s) - started )) s"

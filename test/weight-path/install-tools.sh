#!/bin/sh
# Installs what the weight-path tier runs, idempotently, into a cache outside the repository
# (${XDG_CACHE_HOME:-~/.cache}/llm-platform/weight-path, or $LLM_PLATFORM_WEIGHT_PATH_CACHE):
#   - rclone v1.68.2, the version the cache scripts' image (docker.io/rclone/rclone:1.68.2) ships,
#     built from the Go module proxy as the release is (CGO off, version stamped)
#   - llm-d-inference-sim v0.10.2 (the local stack's simulator image) from the Go module proxy,
#     through the recipe module tools/sim
#   - fake-gcs-server, a GCS-compatible server for the GKE stack's command checks
#   - huggingface_hub (the `hf` CLI) in a venv, at the version pinned below
#   - moto's S3/IAM server and busybox through test/cache/install-tools.sh
# Each tool has its own stamp (version + build flags): a warm run compares strings only.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache_home=${XDG_CACHE_HOME:-$HOME/.cache}
cache=${LLM_PLATFORM_WEIGHT_PATH_CACHE:-$cache_home/llm-platform/weight-path}
bin="$cache/bin"
mkdir -p "$bin"

RCLONE_VERSION=v1.68.2
SIM_VERSION=v0.10.2
FAKE_GCS_VERSION=v1.56.1
# vllm-openai-cpu v0.19.1 installs vllm 0.19.1, which requires transformers >=4.56 except
# 5.0-5.5.0; transformers 5.5.x requires huggingface_hub >=1.5,<2. The image's exact resolution
# is not published; this is a version inside that range.
HF_HUB_VERSION=1.9.0
# huggingface_hub 1.9.0's CLI imports click, which typer (its dependency) no longer pulls in
# since 0.2x; the image's resolution had it.
CLICK_VERSION=8.2.1

# go_tool NAME MODULE_PKG VERSION LDFLAGS: go install into $bin unless its stamp matches.
go_tool() {
  name=$1 pkg=$2 version=$3 ldflags=$4
  stamp="$pkg@$version $ldflags $(go env GOVERSION)"
  if [ -x "$bin/$name" ] && [ -f "$bin/.stamp-$name" ] && [ "$(cat "$bin/.stamp-$name")" = "$stamp" ]; then
    echo "weight-path tools: $name $version cached"
    return 0
  fi
  started=$(date +%s)
  GOBIN="$bin" CGO_ENABLED=0 GOFLAGS=-mod=mod go install -trimpath -ldflags "$ldflags" "$pkg@$version"
  echo "$stamp" > "$bin/.stamp-$name"
  echo "weight-path tools: built $name $version in $(( $(date +%s) - started )) s"
}

command -v go >/dev/null 2>&1 || { echo "weight-path tools: go is not installed" >&2; exit 1; }
go_tool rclone github.com/rclone/rclone "$RCLONE_VERSION" "-s -X github.com/rclone/rclone/fs.Version=$RCLONE_VERSION"

# The simulator: `go install …@version` is refused for it (its version list is not served), so it
# is built from a recipe module (tools/sim/go.mod requires v0.10.2; go.sum pins every module).
sim_stamp="$(cat "$here/tools/sim/go.mod" "$here/tools/sim/go.sum" | sha256sum | cut -c1-16) $(go env GOVERSION)"
if [ -x "$bin/llm-d-inference-sim" ] && [ -f "$bin/.stamp-llm-d-inference-sim" ] && [ "$(cat "$bin/.stamp-llm-d-inference-sim")" = "$sim_stamp" ]; then
  echo "weight-path tools: llm-d-inference-sim $SIM_VERSION cached"
else
  started=$(date +%s)
  have=$(cd "$here/tools/sim" && go list -m -f '{{.Version}}' github.com/llm-d/llm-d-inference-sim)
  [ "$have" = "$SIM_VERSION" ] || { echo "weight-path tools: tools/sim/go.mod requires llm-d-inference-sim $have, not $SIM_VERSION" >&2; exit 1; }
  (cd "$here/tools/sim" && CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -ldflags "-s" -o "$bin/llm-d-inference-sim" github.com/llm-d/llm-d-inference-sim/cmd/llm-d-inference-sim)
  echo "$sim_stamp" > "$bin/.stamp-llm-d-inference-sim"
  echo "weight-path tools: built llm-d-inference-sim $SIM_VERSION in $(( $(date +%s) - started )) s"
fi
go_tool fake-gcs-server github.com/fsouza/fake-gcs-server "$FAKE_GCS_VERSION" "-s"

venv="$cache/hf-venv"
if [ -x "$venv/bin/hf" ] && [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("huggingface_hub"))' 2>/dev/null)" = "$HF_HUB_VERSION" ]; then
  echo "weight-path tools: huggingface_hub $HF_HUB_VERSION cached"
else
  # The system interpreter: containers of the tier run as other users, who cannot enter a
  # pyenv or a venv under root's home (the harness copies the venv's packages out).
  py=/usr/bin/python3
  [ -x "$py" ] || py=$(command -v python3)
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "huggingface_hub==$HF_HUB_VERSION" "click==$CLICK_VERSION"
  echo "weight-path tools: huggingface_hub $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("huggingface_hub"))') installed"
fi

# moto (S3 + IAM) and busybox: the cache tests' installer.
sh "$here/../cache/install-tools.sh"

#!/bin/sh
# Builds the real kube-apiserver, etcd and kubectl for the e2e tier from the Go module proxy
# (recipe: tools/go.mod), into a cache outside the repository. A warm run only checks the stamp.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache="${LLM_PLATFORM_E2E_CACHE:-$HOME/.cache/llm-platform/e2e}"
bin="$cache/bin"
stamp=$(cat "$here/tools/go.mod" "$here/tools/go.sum" "$here/tools/cmd/etcd/main.go" | sha256sum | cut -c1-16)
if [ -f "$bin/.stamp" ] && [ "$(cat "$bin/.stamp")" = "$stamp" ] \
  && [ -x "$bin/kube-apiserver" ] && [ -x "$bin/etcd" ] && [ -x "$bin/kubectl" ]; then
  echo "e2e tools: cached in $bin ($stamp)"
  exit 0
fi
mkdir -p "$bin"
started=$(date +%s)
cd "$here/tools"
# Stamp the Kubernetes version the module pins, as the upstream release build does.
k8s=$(go list -m -f '{{.Version}}' k8s.io/kubernetes)
minor=$(echo "$k8s" | cut -d. -f2)
version_pkg=k8s.io/component-base/version
GOFLAGS=-mod=readonly go build -o "$bin/" \
  -ldflags "-X $version_pkg.gitVersion=$k8s -X $version_pkg.gitMajor=1 -X $version_pkg.gitMinor=$minor -X $version_pkg.gitTreeState=clean" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl ./cmd/etcd
echo "$stamp" > "$bin/.stamp"
echo "e2e tools: built kube-apiserver, etcd, kubectl into $bin in $(( $(date +%s) - started )) s"

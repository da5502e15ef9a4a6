#!/bin/sh
# Builds what the e2e controller tier runs, from the Go module proxy, into the cache
# install-tools.sh uses: the KServe llmisvc controller and the LeaderWorkerSet controller
# (recipe: tools/controllers/go.mod), kwok (tools/controllers/kwok/go.mod) and kube-scheduler +
# kube-controller-manager at the API server's version (tools/controllers/kube/go.mod). Three
# modules because they pin three different k8s.io/* minors. Each has its own stamp, so a warm run
# only compares hashes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mods="$here/tools/controllers"
. "$here/tools/cache.sh"

# KServe llmisvc + LWS: one binary per go build, named after the component.
stamp=$(stamp_of "$mods")
if fresh "$bin/.stamp-controllers" "$stamp" llmisvc-controller lws-controller; then
  echo "e2e controllers: llmisvc-controller, lws-controller cached in $bin ($stamp)"
else
  started=$(date +%s)
  (cd "$mods" && GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -ldflags "-w -s" \
    -o "$bin/llmisvc-controller" github.com/kserve/kserve/cmd/llmisvc)
  (cd "$mods" && GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -ldflags "-w -s" \
    -o "$bin/lws-controller" sigs.k8s.io/lws/cmd)
  echo "$stamp" > "$bin/.stamp-controllers"
  echo "e2e controllers: built llmisvc-controller, lws-controller into $bin in $(( $(date +%s) - started )) s"
fi

stamp=$(stamp_of "$mods/kwok")
if fresh "$bin/.stamp-kwok" "$stamp" kwok; then
  echo "e2e controllers: kwok cached in $bin ($stamp)"
else
  started=$(date +%s)
  (cd "$mods/kwok" && GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -ldflags "-w -s" \
    -o "$bin/kwok" sigs.k8s.io/kwok/cmd/kwok)
  echo "$stamp" > "$bin/.stamp-kwok"
  echo "e2e controllers: built kwok into $bin in $(( $(date +%s) - started )) s"
fi
# kwok's own "fast" stages (nodes initialise and keep a lease, pods become ready at once, deleted
# pods go), from the module as released, in one config file for `kwok --config`.
kwok_dir=$(cd "$mods/kwok" && GOFLAGS=-mod=readonly go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
stages="$cache/kwok-stages.yaml"
: > "$stages.tmp"
for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
  pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
  [ -f "$kwok_dir/kustomize/stage/$f" ] || { echo "kwok module has no stage $f" >&2; exit 1; }
  { echo "---"; cat "$kwok_dir/kustomize/stage/$f"; } >> "$stages.tmp"
done
mv "$stages.tmp" "$stages"

# Stamped with the Kubernetes version the module pins, as install-tools.sh stamps the API server.
stamp=$(stamp_of "$mods/kube")
if fresh "$bin/.stamp-kube" "$stamp" kube-scheduler kube-controller-manager; then
  echo "e2e controllers: kube-scheduler, kube-controller-manager cached in $bin ($stamp)"
else
  started=$(date +%s)
  k8s=$(cd "$mods/kube" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
  minor=$(echo "$k8s" | cut -d. -f2)
  version_pkg=k8s.io/component-base/version
  (cd "$mods/kube" && GOFLAGS=-mod=readonly go build -o "$bin/" \
    -ldflags "-X $version_pkg.gitVersion=$k8s -X $version_pkg.gitMajor=1 -X $version_pkg.gitMinor=$minor -X $version_pkg.gitTreeState=clean" \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-controller-manager)
  echo "$stamp" > "$bin/.stamp-kube"
  echo "e2e controllers: built kube-scheduler, kube-controller-manager into $bin in $(( $(date +%s) - started )) s"
fi

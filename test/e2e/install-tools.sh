#!/bin/sh
# Builds the real kube-apiserver, etcd and kubectl (recipe: tools/go.mod) and Helm (recipe:
# tools/helm/go.mod, a module of its own: it needs the v0.34 Kubernetes libraries, the API server
# the v0.33 ones) for the e2e tier from the Go module proxy, into a cache outside the repository.
# Each module has its own stamp, so a warm run only compares two hashes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/tools/cache.sh"

stamp=$(cat "$here/tools/go.mod" "$here/tools/go.sum" "$here/tools/cmd/etcd/main.go" | sha256sum | cut -c1-16)
if fresh "$bin/.stamp" "$stamp" kube-apiserver etcd kubectl; then
  echo "e2e tools: kube-apiserver, etcd, kubectl cached in $bin ($stamp)"
else
  started=$(date +%s)
  # Stamp the Kubernetes version the module pins, as the upstream release build does.
  k8s=$(cd "$here/tools" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
  minor=$(echo "$k8s" | cut -d. -f2)
  version_pkg=k8s.io/component-base/version
  (cd "$here/tools" && GOFLAGS=-mod=readonly go build -o "$bin/" \
    -ldflags "-X $version_pkg.gitVersion=$k8s -X $version_pkg.gitMajor=1 -X $version_pkg.gitMinor=$minor -X $version_pkg.gitTreeState=clean" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl ./cmd/etcd)
  echo "$stamp" > "$bin/.stamp"
  echo "e2e tools: built kube-apiserver, etcd, kubectl into $bin in $(( $(date +%s) - started )) s"
fi

# Helm: the version and default Kubernetes version stamped as its Makefile does for a release
# (the tier still passes --kube-version of the API server it applies to).
helm_stamp=$(cat "$here/tools/helm/go.mod" "$here/tools/helm/go.sum" | sha256sum | cut -c1-16)
if fresh "$bin/.stamp-helm" "$helm_stamp" helm; then
  echo "e2e tools: helm cached in $bin ($helm_stamp)"
else
  started=$(date +%s)
  helm=$(cd "$here/tools/helm" && go list -m -f '{{.Version}}' helm.sh/helm/v3)
  client_go=$(cd "$here/tools/helm" && go list -m -f '{{.Version}}' k8s.io/client-go)
  k8s_minor=$(echo "$client_go" | cut -d. -f2)
  (cd "$here/tools/helm" && GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -o "$bin/helm" \
    -ldflags "-w -s -X helm.sh/helm/v3/internal/version.version=$helm -X helm.sh/helm/v3/internal/version.gitTreeState=clean -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s_minor" \
    helm.sh/helm/v3/cmd/helm)
  echo "$helm_stamp" > "$bin/.stamp-helm"
  echo "e2e tools: built helm $helm into $bin in $(( $(date +%s) - started )) s"
fi

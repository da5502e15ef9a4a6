#!/bin/sh
# envoy-gateway-certs.sh SCRATCH CERTS PROGRAM ARG...: runs PROGRAM with CERTS at /certs.
# Envoy Gateway v1.8.1 reads its xDS and rate-limit server certificates from /certs (constants in
# internal/xds/runner and internal/globalratelimit/runner, as mounted in its Pod); out of cluster
# the tier gives it that path without writing to the host (pod-root.sh).
set -eu
scratch=$1 certs=$2
shift 2
exec sh "$(dirname "$0")/pod-root.sh" "$scratch" "/certs=$certs" -- "$@"

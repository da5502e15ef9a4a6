#!/bin/sh
# envoy-gateway-netns.sh DIR NODE TSX FORWARD_TS LISTEN=TARGET... -- PROGRAM ARG...: runs PROGRAM
# in a network namespace of its own, with only loopback, reaching out and reached through Unix
# sockets in DIR by the forwarder (envoy-gateway-forward.ts). Envoy Gateway v1.8.1 and the AI
# Gateway v1.0.0 controller both bind controller-runtime's metrics on :8080 and port 18002, with
# no flag to move them (each has a Pod of its own in a cluster), so one of them gets its own
# loopback. A PID namespace too: when PROGRAM (its init) exits, the forwarder goes with it.
set -eu
if [ "${LLM_PLATFORM_GATEWAY_NETNS:-}" != 1 ]; then
  LLM_PLATFORM_GATEWAY_NETNS=1 exec unshare --user --map-root-user --net --pid --fork --kill-child sh "$0" "$@"
fi
dir=$1 node=$2 tsx=$3 forwarder=$4
shift 4
pairs=""
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
  pairs="$pairs $1"
  shift
done
[ "${1:-}" = "--" ] || { echo "envoy-gateway-netns.sh: no -- before the program" >&2; exit 2; }
shift
ip link set lo up
# Extra loopback addresses (LLM_PLATFORM_NETNS_ADDRESSES, space-separated), before the forwarder
# listens on them: the data path's Pod addresses.
for address in ${LLM_PLATFORM_NETNS_ADDRESSES:-}; do
  ip addr add "$address/32" dev lo
done
ready="$dir/forward.ready"
rm -f "$ready"
# shellcheck disable=SC2086 # one word per LISTEN=TARGET pair
"$node" --require "$tsx" "$forwarder" "$ready" $pairs &
tries=0
until [ -f "$ready" ]; do
  tries=$((tries + 1))
  [ "$tries" -lt 300 ] || { echo "envoy-gateway-netns.sh: the forwarder did not start" >&2; exit 1; }
  sleep 0.1
done
exec "$@"

#!/bin/sh
# Runs a command in a private network namespace with only loopback up: the simulators listen on
# every address, and nothing of the benchmark may reach or be reached from outside.
set -eu
if [ "${LLM_PLATFORM_IN_NETNS:-}" = 1 ]; then
  ip link set lo up
  exec "$@"
fi
LLM_PLATFORM_IN_NETNS=1 exec unshare -rn sh "$0" "$@"

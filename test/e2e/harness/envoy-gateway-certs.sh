#!/bin/sh
# envoy-gateway-certs.sh SCRATCH CERTS PROGRAM ARG...: runs PROGRAM with CERTS at /certs.
# Envoy Gateway v1.8.1 reads its xDS and rate-limit server certificates from /certs (constants in
# internal/xds/runner and internal/globalratelimit/runner, as mounted in its Pod); out of cluster
# the tier gives it that path without writing to the host: in a private user and mount namespace
# it builds a root in a tmpfs at SCRATCH/root from bind mounts of every top-level entry of /, adds
# /certs, and chroots there (same files, same network, same working directory). Every step execs,
# so PROGRAM keeps this script's process id and gets its signals.
set -eu
if [ "${LLM_PLATFORM_CERTS_NS:-}" != 1 ]; then
  LLM_PLATFORM_CERTS_NS=1 exec unshare --user --map-root-user --mount sh "$0" "$@"
fi
scratch=$1 certs=$2
shift 2
root="$scratch/root"
mkdir -p "$root"
mount -t tmpfs tmpfs "$root"
for entry in /* /.[!.]*; do
  [ -e "$entry" ] || [ -L "$entry" ] || continue
  name=${entry#/}
  [ "$name" != certs ] || continue
  if [ -L "$entry" ]; then
    ln -s "$(readlink "$entry")" "$root/$name"
  elif [ -d "$entry" ]; then
    mkdir "$root/$name" && mount --rbind "$entry" "$root/$name"
  else
    : > "$root/$name" && mount --bind "$entry" "$root/$name"
  fi
done
mkdir "$root/certs"
mount --bind "$certs" "$root/certs"
exec chroot "$root" sh -c 'cd "$1" && shift && exec "$@"' sh "$(pwd)" "$@"

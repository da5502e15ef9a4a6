#!/bin/sh
# pod-root.sh SCRATCH TARGET=SOURCE... -- PROGRAM ARG...: runs PROGRAM with each SOURCE (a file or
# directory on the host) at the absolute path TARGET, as a Pod's volume mounts put Secrets,
# ConfigMaps and shared directories at fixed paths (Envoy Gateway's /certs and /sds, the AI
# Gateway's /etc/ai-gateway-extproc-uds, an /etc/hosts for the Pod's DNS names). Nothing on the
# host is written: in a private user and mount namespace it builds a root in a tmpfs at
# SCRATCH/root from bind mounts of every top-level entry of /; a directory on a TARGET's way that
# must gain an entry becomes a tmpfs of bind mounts of its own entries; then it chroots there
# (same files, same network, same working directory). Every step execs, so PROGRAM keeps this
# script's process id and gets its signals.
set -eu
if [ "${LLM_PLATFORM_POD_ROOT_NS:-}" != 1 ]; then
  LLM_PLATFORM_POD_ROOT_NS=1 exec unshare --user --map-root-user --mount sh "$0" "$@"
fi
scratch=$1
shift
root="$scratch/root"
mkdir -p "$root"

# populate HOST_DIR: ROOT/HOST_DIR (an empty tmpfs) gets a bind mount of each entry of HOST_DIR.
populate() {
  into="$root$1"
  mount -t tmpfs tmpfs "$into"
  for entry in "${1%/}"/* "${1%/}"/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    name=${entry##*/}
    if [ -L "$entry" ]; then
      ln -s "$(readlink "$entry")" "$into/$name"
    elif [ -d "$entry" ]; then
      mkdir "$into/$name" && mount --rbind "$entry" "$into/$name"
    else
      : > "$into/$name" && mount --bind "$entry" "$into/$name"
    fi
  done
  echo "$1" >> "$scratch/opened"
}

# open DIR: makes ROOT/DIR writable (a tmpfs of its host entries), its parents first.
open_dir() {
  grep -qxF "$1" "$scratch/opened" 2>/dev/null && return 0
  parent=$(dirname "$1")
  [ "$parent" = "$1" ] || open_dir "$parent"
  if [ -d "$root$1" ]; then
    # A bind of the host's directory: replace it by a tmpfs of its entries.
    umount -l "$root$1"
  else
    mkdir "$root$1"
  fi
  if [ -d "$1" ]; then populate "$1"; else mount -t tmpfs tmpfs "$root$1"; echo "$1" >> "$scratch/opened"; fi
}

: > "$scratch/opened"
populate /
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
  target=${1%%=*} source=${1#*=}
  shift
  case "$target" in /*) ;; *) echo "pod-root.sh: $target is not an absolute path" >&2; exit 2 ;; esac
  [ -e "$source" ] || { echo "pod-root.sh: $source does not exist" >&2; exit 2; }
  if [ ! -e "$root$target" ]; then
    open_dir "$(dirname "$target")"
    if [ -d "$source" ]; then mkdir "$root$target"; else : > "$root$target"; fi
  fi
  # Over whatever is there (a bind of the host's entry, or the empty one just made).
  mount --bind "$source" "$root$target"
done
[ "${1:-}" = "--" ] || { echo "pod-root.sh: no -- before the program" >&2; exit 2; }
shift
exec chroot "$root" sh -c 'cd "$1" && shift && exec "$@"' sh "$(pwd)" "$@"

#!/bin/sh
# Installs what the snapshot-restore cache tests and bench need, idempotently:
#   - rclone (Debian package; the in-cluster image pins its own rclone)
#   - busybox (Debian package, optional: the scripts are also tested under busybox ash)
#   - moto's S3 server in a venv at ${XDG_CACHE_HOME:-~/.cache}/llm-platform/moto-venv
# Fast when both are already there. Needs root (or sudo-less apt) only for rclone.
set -eu

MOTO_VERSION=5.2.5
cache_home=${XDG_CACHE_HOME:-$HOME/.cache}
venv=${MOTO_VENV:-$cache_home/llm-platform/moto-venv}

if command -v rclone >/dev/null 2>&1; then
  echo "install-tools: rclone present: $(rclone version 2>/dev/null | head -1)"
elif [ "$(id -u)" -eq 0 ]; then
  echo "install-tools: installing rclone (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q rclone >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q rclone >/dev/null; }
  echo "install-tools: $(rclone version | head -1)"
else
  echo "install-tools: rclone missing and not root; install the rclone package" >&2
  exit 1
fi

# busybox (optional): the tests also run the scripts under busybox ash with busybox applets.
if ! command -v busybox >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox >/dev/null 2>&1 ||
    echo "install-tools: busybox could not be installed; its test will be skipped" >&2
fi

if [ -x "$venv/bin/moto_server" ] && [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null)" = "$MOTO_VERSION" ]; then
  echo "install-tools: moto $MOTO_VERSION present in $venv"
  exit 0
fi

py=$(command -v python3 || true)
if [ -z "$py" ]; then
  echo "install-tools: python3 not found" >&2
  exit 1
fi
mkdir -p "$(dirname "$venv")"
if ! "$py" -m venv "$venv" >/dev/null 2>&1; then
  # Debian's python3 needs the venv module from a separate package.
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null
    rm -rf "$venv"
    "$py" -m venv "$venv"
  else
    echo "install-tools: '$py -m venv' failed; install python3-venv" >&2
    exit 1
  fi
fi
echo "install-tools: installing moto[server]==$MOTO_VERSION into $venv"
"$venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION"
echo "install-tools: moto $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))') ready"

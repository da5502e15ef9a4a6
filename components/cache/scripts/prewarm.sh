#!/bin/sh
# prewarm.sh: the pre-warm loop of a GPU pool's DaemonSet. Keeps every model revision the pool
# serves restored on this node (restore.sh), and prunes revisions no longer configured
# (prune.sh), for as long as the node lives.
#
# The configured list is a file (MODELS_FILE, a ConfigMap key mounted as a volume) that the loop
# reads again on every pass, so adding or removing a model changes that ConfigMap only: the
# DaemonSet's pod template, and so its pods, stay as they are. Kubelet swaps a mounted ConfigMap's
# files atomically, about a minute after the object changes.
#
# MODELS_FILE lines: "<model-id>\t<revision>\t<kind>", kind "commit" (a pinned commit) or "ref"
# (a moving branch or tag, dev only: restore.sh MOVING_REF=1). Empty lines and lines starting
# with '#' are skipped. Each entry's snapshot is SNAPSHOT_ROOT/<model-id>/<revision>.
#
# A revision restored (or found cached) by this process is not checked again until the next
# prune pass (every PRUNE_INTERVAL_SECONDS), when every entry is re-checked by marker and sizes.
# Refs are checked on every pass: the seeder may have moved them. A failed restore is retried on
# the next pass. Prune runs only after a pass that could read MODELS_FILE, never on a guess.
#
# POSIX sh plus the tools busybox also has; sources common.sh and runs restore.sh and prune.sh
# from its own directory.
#
# Environment (besides what restore.sh and prune.sh read, passed through: VERIFY_CHECKSUMS,
# TRANSFERS, RCLONE_*, IN_USE_GRACE_MINUTES, ...):
#   CACHE_ROOT             node directory holding models/                           required
#   MODELS_FILE            the configured list (see above)                          required
#   SNAPSHOT_ROOT          rclone path (or local directory) holding <model-id>/<revision>  required
#   INTERVAL_SECONDS       seconds between passes                                   default 60
#   PRUNE_INTERVAL_SECONDS seconds between prunes                                   default 900
#   ONCE                   1: one pass (with a prune), then exit: 0 if every entry is restored
#
# Output: restore.sh's and prune.sh's JSON lines, plus {"event":"prewarm-error",...} lines on
# stderr for an unreadable list or an invalid line.
set -u

_dir=$(dirname "$0")
_common=$_dir/common.sh
if [ ! -r "$_common" ]; then
  echo '{"event":"prewarm-error","code":1,"reason":"common.sh is missing beside prewarm.sh"}' >&2
  exit 1
fi
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$_common"

fail() {
  printf '{"event":"prewarm-error","code":%s,"reason":%s}\n' "$1" "$(json_str "$2")" >&2
  exit "$1"
}

complain() {
  printf '{"event":"prewarm-error","reason":%s}\n' "$(json_str "$1")" >&2
}

for _v in CACHE_ROOT MODELS_FILE SNAPSHOT_ROOT; do
  eval "_val=\${$_v:-}"
  [ -n "$_val" ] || fail "$EX_USAGE" "$_v is not set"
done
INTERVAL_SECONDS=${INTERVAL_SECONDS:-60}
PRUNE_INTERVAL_SECONDS=${PRUNE_INTERVAL_SECONDS:-900}
ONCE=${ONCE:-0}
for _v in INTERVAL_SECONDS PRUNE_INTERVAL_SECONDS; do
  eval "_val=\$$_v"
  { is_uint "$_val" && [ "$_val" -ge 1 ]; } || fail "$EX_USAGE" "$_v must be a positive integer, not '$_val'"
done
case "$ONCE" in 0 | 1) ;; *) fail "$EX_USAGE" "ONCE must be 0 or 1" ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/llm-platform-prewarm.XXXXXX") || fail "$EX_FAIL" "cannot create a temporary directory"
trap 'rm -rf "$work"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

done_set=" "
last_prune=""
while :; do
  failures=0
  if cp "$MODELS_FILE" "$work/models" 2>"$work/cp.err"; then
    configured=""
    _now=$(awk '{ printf "%d", $1 }' /proc/uptime 2>/dev/null || date +%s)
    prune_due=0
    if [ -z "$last_prune" ] || [ $((_now - last_prune)) -ge "$PRUNE_INTERVAL_SECONDS" ] || [ "$ONCE" = 1 ]; then
      prune_due=1
      done_set=" " # every entry is checked again on a prune pass
    fi
    while IFS="$TAB" read -r id rev kind _rest; do
      case "$id" in '' | '#'*) continue ;; esac
      case "$kind" in
        commit) moving=0 ;;
        ref) moving=1 ;;
        *)
          complain "$MODELS_FILE: line for $id@$rev has kind '$kind', not commit or ref"
          failures=$((failures + 1))
          continue
          ;;
      esac
      configured="$configured $id@$rev"
      case "$done_set" in *" $id@$rev "*) continue ;; esac
      if MODEL_ID=$id REVISION=$rev SNAPSHOT=$SNAPSHOT_ROOT/$id/$rev MOVING_REF=$moving sh "$_dir/restore.sh" </dev/null; then
        [ "$moving" = 1 ] || done_set="$done_set$id@$rev "
      else
        failures=$((failures + 1))
      fi
    done <"$work/models"
    if [ "$prune_due" = 1 ]; then
      CONFIGURED=$configured sh "$_dir/prune.sh" </dev/null || failures=$((failures + 1))
      last_prune=$_now
    fi
  else
    complain "cannot read MODELS_FILE $MODELS_FILE ($(head -n 1 "$work/cp.err")); nothing restored or pruned this pass"
    failures=$((failures + 1))
  fi
  if [ "$ONCE" = 1 ]; then
    [ "$failures" -eq 0 ] || exit 1
    exit 0
  fi
  sleep "$INTERVAL_SECONDS" &
  wait $!
done

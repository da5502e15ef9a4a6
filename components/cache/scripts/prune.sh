#!/bin/sh
# prune.sh: removes model revisions from the node cache that are neither configured nor in use.
#
# Looks at every $CACHE_ROOT/models/<model-id>/<revision>/ that restore.sh made (it holds the
# manifest) and removes it unless "<model-id>@<revision>" is in CONFIGURED or IN_USE. Each removal
# holds the same lock restore.sh takes for that revision, without waiting: a revision being
# restored right now is skipped, never deleted under the restore. Leftover staging, work and
# set-aside directories of killed restores are removed the same way, and model directories left
# empty are removed at the end.
#
# Moving refs (dev): restore.sh with MOVING_REF=1 keeps a ref as a symlink <model-id>/<ref> to
# the commit directory it restored. A configured (or in-use) ref keeps the commit its link points
# at; a link whose commit directory is gone (removed here, or by hand) is removed as well.
#
# Use stamps: restore.sh touches $CACHE_ROOT/models/.last-used/<id>@<rev> (<id> with '/' as %2F)
# on every success, holding the revision's lock. With IN_USE_GRACE_MINUTES > 0 a revision whose
# stamp is less than that many minutes old counts as in use too, so a revision a pod started
# from recently is kept even when it is no longer configured (and IN_USE missed it). The stamp
# is checked under the revision's lock, right before the removal. Removing a revision removes
# its stamp; stamps whose revision directory no longer exists are removed as well.
#
# POSIX sh plus the tools busybox also has; sources common.sh from its own directory (see
# restore.sh).
#
# Environment:
#   CACHE_ROOT   node directory holding models/                                   required
#   CONFIGURED   space-separated <model-id>@<revision> list of configured revisions  required (may be empty)
#   IN_USE       same format: revisions used by pods on this node (computed by the caller)  default empty
#   IN_USE_GRACE_MINUTES  revisions whose use stamp is younger than this count as in use; 0 = off  default 0
#
# Output: one JSON line per removal on stdout,
#   {"event":"prune","model":...,"revision":...,"path":...,"kind":"revision|leftover|stamp","bytes":N}
# (kind "stamp": a use stamp whose revision directory is gone; a removed revision's own stamp
# goes with it and gets no line of its own; kind "ref": a ref's link whose commit is gone),
# one {"event":"prune-skip",...,"reason":"busy"} line per revision skipped because it is locked,
# and a closing {"event":"prune-summary","kept":N,"removed":N,"skipped":N} line.
# Exit codes: 2 usage, 1 a removal failed.
set -u

# Constants and helpers shared with restore.sh and seed.sh.
_common=$(dirname "$0")/common.sh
if [ ! -r "$_common" ]; then
  echo '{"event":"prune-error","code":1,"reason":"common.sh is missing beside prune.sh"}' >&2
  exit 1
fi
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$_common"

fail() {
  printf '{"event":"prune-error","code":%s,"reason":%s}\n' "$1" "$(json_str "$2")" >&2
  exit "$1"
}

[ -n "${CACHE_ROOT:-}" ] || fail 2 "CACHE_ROOT is not set"
[ "${CONFIGURED+set}" = set ] || fail 2 "CONFIGURED is not set (set it to an empty string to keep only IN_USE)"
IN_USE_GRACE_MINUTES=${IN_USE_GRACE_MINUTES:-0}
case "$IN_USE_GRACE_MINUTES" in
  *[!0-9]* | ??????????*) fail 2 "IN_USE_GRACE_MINUTES must be a whole number of minutes (at most 9 digits), not '$IN_USE_GRACE_MINUTES'" ;;
esac
command -v flock >/dev/null 2>&1 || fail 1 "flock is not installed"
case "$CACHE_ROOT" in /*) ;; *) CACHE_ROOT=$(pwd)/$CACHE_ROOT ;; esac
models=$CACHE_ROOT/models
stamps=$models/.last-used
keep=" $(printf '%s %s' "$CONFIGURED" "${IN_USE:-}" | tr '\t\n\r' '   ') "

kept=0
removed=0
skipped=0
failed=0
[ -d "$models" ] || {
  printf '{"event":"prune-summary","kept":0,"removed":0,"skipped":0}\n'
  exit 0
}
mkdir -p "$models/.locks" || fail 1 "cannot create $models/.locks"

lock_of() {
  printf '%s/.locks/%s@%s.lock' "$models" "$(printf '%s' "$1" | sed 's|/|--|g')" "$2"
}

stamp_of() {
  printf '%s/%s@%s' "$stamps" "$(printf '%s' "$1" | sed 's|/|%2F|g')" "$2"
}

# recently_used STAMP: true when STAMP exists and is younger than IN_USE_GRACE_MINUTES (never
# when that is 0). find -mmin -N means "less than N minutes old" in GNU and busybox find alike.
recently_used() {
  [ "$IN_USE_GRACE_MINUTES" -gt 0 ] && [ -f "$1" ] &&
    [ -n "$(find "$1" -type f -mmin "-$IN_USE_GRACE_MINUTES" 2>/dev/null)" ]
}

# remove MODEL REVISION DIR KIND: removes DIR while holding the revision's lock (not waiting).
# KIND revision: keeps DIR if its use stamp is recent (checked under the lock), else removes
# the stamp with it. KIND stamp: DIR is a stamp, removed if its revision directory is still gone.
remove() {
  _bytes=0
  [ "$4" = stamp ] || _bytes=$(du -sk "$3" 2>/dev/null | awk '{ printf "%.0f", $1 * 1024 }')
  (
    flock -n 9 || exit 75
    case "$4" in
      revision)
        _stamp=$(stamp_of "$1" "$2")
        ! recently_used "$_stamp" || exit 76
        # The marker goes first: a prune killed halfway leaves a directory restore.sh redoes.
        rm -f "$3/$MARKER_NAME" && rm -rf "$3" && rm -f "$_stamp"
        ;;
      stamp)
        [ ! -d "$models/$1/$2" ] || exit 76
        rm -f "$3"
        ;;
      *)
        rm -rf "$3"
        ;;
    esac
  ) 9>>"$(lock_of "$1" "$2")"
  case $? in
    0)
      removed=$((removed + 1))
      printf '{"event":"prune","model":%s,"revision":%s,"path":%s,"kind":"%s","bytes":%s}\n' \
        "$(json_str "$1")" "$(json_str "$2")" "$(json_str "$3")" "$4" "${_bytes:-0}"
      ;;
    76)
      [ "$4" != revision ] || kept=$((kept + 1))
      ;;
    75)
      skipped=$((skipped + 1))
      printf '{"event":"prune-skip","model":%s,"revision":%s,"path":%s,"reason":"busy"}\n' \
        "$(json_str "$1")" "$(json_str "$2")" "$(json_str "$3")"
      ;;
    *)
      failed=$((failed + 1))
      printf '{"event":"prune-error","model":%s,"revision":%s,"path":%s,"reason":"cannot remove"}\n' \
        "$(json_str "$1")" "$(json_str "$2")" "$(json_str "$3")" >&2
      ;;
  esac
}

cd "$models" || fail 1 "cannot enter $models"

# A kept ref keeps the commit its link points at.
for _entry in $keep; do
  case "$_entry" in *@*) ;; *) continue ;; esac
  _link=$models/${_entry%@*}/${_entry##*@}
  [ -L "$_link" ] || continue
  _target=$(readlink "$_link")
  case "$_target" in '' | */* | .*) continue ;; esac
  keep="$keep${_entry%@*}@$_target "
done

# Revisions: directories holding a manifest, outside any dot directory.
find . -mindepth 1 -name '.*' -type d -prune -o -type f -name "$MANIFEST_NAME" -print >"$models/.locks/.prune-$$" 2>/dev/null
# Leftovers of killed restores: .staging-<rev>-<pid>, .work-<rev>-<pid>, .old-<rev>-<pid>.
find . -mindepth 2 -type d \( -name '.staging-*' -o -name '.work-*' -o -name '.old-*' \) -prune -print \
  >"$models/.locks/.prune-leftovers-$$" 2>/dev/null

while IFS= read -r f; do
  rel=${f#./}
  rel=${rel%/"$MANIFEST_NAME"}
  case "$rel" in */*) ;; *) continue ;; esac
  rev=${rel##*/}
  id=${rel%/*}
  case "$keep" in
    *" $id@$rev "*) kept=$((kept + 1)) ;;
    *) remove "$id" "$rev" "$models/$rel" revision ;;
  esac
done <"$models/.locks/.prune-$$"

while IFS= read -r d; do
  rel=${d#./}
  id=${rel%/*}
  name=${rel##*/}
  name=${name#.staging-}
  name=${name#.work-}
  name=${name#.old-}
  pid=${name##*-}
  rev=${name%-*}
  case "$pid" in '' | *[!0-9]*) continue ;; esac
  if [ -z "$rev" ] || [ "$rev" = "$name" ]; then continue; fi
  remove "$id" "$rev" "$models/$rel" leftover
done <"$models/.locks/.prune-leftovers-$$"
rm -f "$models/.locks/.prune-$$" "$models/.locks/.prune-leftovers-$$"

# Stamps of revisions that are gone (removed by hand, or by a prune killed before the stamp).
# Names restore.sh cannot have written are left alone.
if [ -d "$stamps" ]; then
  for s in "$stamps"/*; do
    [ -f "$s" ] || continue
    name=${s##*/}
    case "$name" in *[!A-Za-z0-9._%@-]* | @* | *@ | *@*@*) continue ;; *@*) ;; *) continue ;; esac
    rev=${name##*@}
    id=$(printf '%s' "${name%@*}" | sed 's|%2F|/|g')
    [ -d "$models/$id/$rev" ] || remove "$id" "$rev" "$s" stamp
  done
fi

# Ref links whose commit directory is gone. A link restore.sh is replacing right now is a rename
# away from pointing at a complete commit, so only dangling links are touched.
find . -mindepth 1 -name '.*' -type d -prune -o -type l -print >"$models/.locks/.prune-links-$$" 2>/dev/null
while IFS= read -r l; do
  rel=${l#./}
  case "$rel" in */*) ;; *) continue ;; esac
  [ ! -d "$l" ] || continue
  if rm -f "$l"; then
    removed=$((removed + 1))
    printf '{"event":"prune","model":%s,"revision":%s,"path":%s,"kind":"ref","bytes":0}\n' \
      "$(json_str "${rel%/*}")" "$(json_str "${rel##*/}")" "$(json_str "$models/$rel")"
  else
    failed=$((failed + 1))
  fi
done <"$models/.locks/.prune-links-$$"
rm -f "$models/.locks/.prune-links-$$"

# Model directories left empty (deepest first; rmdir leaves non-empty ones alone).
find . -mindepth 1 -depth -type d ! -path '*/.*' 2>/dev/null | while IFS= read -r d; do
  rmdir "$d" 2>/dev/null || true
done

printf '{"event":"prune-summary","kept":%s,"removed":%s,"skipped":%s}\n' "$kept" "$removed" "$skipped"
[ "$failed" -eq 0 ] || exit 1
exit 0

#!/bin/sh
# restore.sh: makes $CACHE_ROOT/models/<MODEL_ID>/<REVISION>/ a complete, verified copy of the
# snapshot at $SNAPSHOT (an rclone path such as snap:bucket/models/<id>/<rev>, the remote defined
# by RCLONE_CONFIG_SNAP_* variables, or a local directory for the filesystem store).
#
# Runs as the serving pod's init container and in the per-pool pre-warm DaemonSet. POSIX sh plus
# the tools busybox also has (rclone, flock, sha256sum, stat, df, find, awk, sed, ...), so it runs
# under busybox ash in the rclone/rclone Alpine image and under dash or bash on Debian. The
# control-file names, shared exit codes and helpers (json_str, rclone_error, ...) live in
# common.sh, which restore.sh, seed.sh and prune.sh source from their own directory: install all
# four side by side.
#
# Environment:
#   CACHE_ROOT             node directory holding models/ (the NVMe array)           required
#   MODEL_ID               model id; may contain '/' (org/name)                        required
#   REVISION               revision (commit); [A-Za-z0-9._-]                           required
#   SNAPSHOT               rclone path or local directory of the snapshot              required
#   MOVING_REF             1: REVISION is a moving ref (dev), see below                default 0
#   VERIFY_CHECKSUMS       1: also check the sha256 of every file copied (sizes are always
#                          checked); a cached copy is checked by marker and sizes only  default 0
#   TRANSFERS              parallel file transfers                                     default 32
#   CHECKERS               parallel checkers                                           default TRANSFERS
#   MULTI_THREAD_STREAMS   streams per large file                                      default 8
#   MULTI_THREAD_CUTOFF    size above which a file is fetched with several streams     default 64Mi
#   MIN_FREE_HEADROOM_PCT  free space required beyond the model size, in percent       default 5
#   VERIFY_PARALLEL        sha256sum processes run at once                             default nproc
#   FREE_BYTES_OVERRIDE    tests only: pretend the cache filesystem has this many free bytes
# Any rclone flag can also be set as RCLONE_<FLAG> (e.g. RCLONE_BWLIMIT=10M); rclone reads them.
#
# The copy takes exactly the files the manifest lists; a snapshot holding any other file (beside
# the manifest and the marker) is refused with exit 13, as is one missing a listed file.
#
# Moving refs (MOVING_REF=1, dev only): REVISION is a branch or tag and SNAPSHOT's last segment
# is that ref. The seeder writes the commit the ref points at into the pointer object
# <SNAPSHOT's parent>/refs/<REVISION>; this script reads it, restores <SNAPSHOT's parent>/<commit>
# into models/<MODEL_ID>/<commit> like any commit, then points the symlink models/<MODEL_ID>/
# <REVISION> at it. A pod mounting the ref's path gets the commit current when it started; when
# the pointer cannot be read, a complete copy the link already points at is used (with a warning).
#
# Output: one JSON line on stdout at the end,
#   {"event":"restore","model":...,"revision":...,"result":"restored|cached","bytes":N,"seconds":S,"gbps":G}
# where bytes are the bytes copied (0 when cached) and gbps is GB/s (1e9 bytes); for a moving ref,
# revision is the commit and a "ref" field names the ref. Failures print
# one {"event":"restore-error","code":N,"reason":...} line on stderr and exit with:
#   2 usage, 10 snapshot missing or not seeded, 11 store refused access (credentials/permissions),
#   12 not enough free space, 13 a restored file does not match the manifest, 1 anything else.
#
# Metrics: every restore that copies (not one that finds the revision complete) writes the
# model's figures for node-exporter's textfile collector into $CACHE_ROOT/.metrics/restore-<id>.prom,
# where <id> is MODEL_ID with each '/' as %2F: gauges llm_cache_restore_bytes, _seconds and
# _timestamp_seconds labelled model and revision, replacing the model's previous figures.
#
# Use stamp: every success (restored or cached) touches $CACHE_ROOT/models/.last-used/<id>@<rev>,
# where <id> is MODEL_ID with each '/' written as %2F (one path segment). The file is empty; its
# mtime is the last time restore.sh succeeded for the revision (a serving pod starting, or the
# pre-warm). It is touched while the revision's lock is held, so prune.sh (IN_USE_GRACE_MINUTES),
# which checks it under the same lock, never misses a use that has just happened. A stamp that
# cannot be written is only a warning: the copy itself is complete.
set -u

# Constants and helpers shared with seed.sh and prune.sh (see the header).
_common=$(dirname "$0")/common.sh
if [ ! -r "$_common" ]; then
  echo '{"event":"restore-error","code":1,"reason":"common.sh is missing beside restore.sh"}' >&2
  exit 1
fi
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$_common"

EX_NO_SNAPSHOT=10
EX_NO_SPACE=12

# rclone error text that means the snapshot (or its bucket) does not exist.
NOT_FOUND_RE='directory not found|object not found|file not found|NoSuchBucket|NoSuchKey|bucket does not exist|Error 404'

staging=""
work=""
aside=""
rclone_pid=""

# ---- helpers ---------------------------------------------------------------------------------

# fail CODE REASON [EXTRA_JSON_FIELDS]: one JSON error line on stderr, then exit CODE.
fail() {
  printf '{"event":"restore-error","model":%s,"revision":%s,"code":%s,"reason":%s%s}\n' \
    "$(json_str "${MODEL_ID:-}")" "$(json_str "${REVISION:-}")" "$1" "$(json_str "$2")" \
    "${3:+,$3}" >&2
  exit "$1"
}

warn() {
  printf '{"event":"restore-warning","model":%s,"revision":%s,"reason":%s}\n' \
    "$(json_str "$MODEL_ID")" "$(json_str "$REVISION")" "$(json_str "$1")" >&2
}

# shellcheck disable=SC2317 # runs from the EXIT trap
cleanup() {
  if [ -n "$rclone_pid" ]; then
    kill "$rclone_pid" 2>/dev/null
    wait "$rclone_pid" 2>/dev/null
  fi
  for _d in "$staging" "$work" "$aside"; do
    if [ -n "$_d" ]; then rm -rf "$_d"; fi
  done
  # A failed first restore of a model leaves no empty model directory behind.
  if [ -n "${model_dir:-}" ]; then
    _d=$model_dir
    while [ "$_d" != "$models" ] && rmdir "$_d" 2>/dev/null; do _d=${_d%/*}; done
  fi
  return 0
}

# remove_leftovers PREFIX: removes PREFIX<digits> directories (staging, work and set-aside dirs of
# earlier runs that were killed). Only called while holding the revision's lock.
remove_leftovers() {
  for _d in "$1"*; do
    [ -e "$_d" ] || continue
    is_uint "${_d#"$1"}" || continue
    rm -rf "$_d"
  done
}

# verify_tree DIR MANIFEST CHECKSUMS: checks that every manifest entry exists in DIR with its
# size (and sha256 when CHECKSUMS is 1). Prints the first mismatch and returns 1.
verify_tree() {
  (cd "$1" && find . -type f -exec stat -c '%s %n' {} +) >"$work/sizes" 2>"$work/sizes.err" || {
    echo "cannot list $1: $(head -n 1 "$work/sizes.err")"
    return 1
  }
  awk -F "$TAB" -v sizes="$work/sizes" '
    BEGIN {
      while ((getline line < sizes) > 0) {
        sp = index(line, " ")
        p = substr(line, sp + 1)
        sub(/^\.\//, "", p)
        have[p] = substr(line, 1, sp - 1)
      }
    }
    {
      if (!($3 in have)) { printf "%s: missing\n", $3; exit 1 }
      if (have[$3] + 0 != $1 + 0) { printf "%s: size %s, manifest says %s\n", $3, have[$3], $1; exit 1 }
    }' "$2" || return 1
  [ "$3" = 1 ] || return 0

  _n=$VERIFY_PARALLEL
  rm -f "$work"/sums.*
  awk -F "$TAB" -v n="$_n" -v out="$work/sums" '{ printf "%s  %s\n", $2, $3 > (out "." (NR % n)) }' "$2"
  _k=0
  while [ "$_k" -lt "$_n" ]; do
    if [ -f "$work/sums.$_k" ]; then
      (cd "$1" && sha256sum -c "$work/sums.$_k" >"$work/sums.$_k.out" 2>&1) &
    fi
    _k=$((_k + 1))
  done
  wait
  _bad=$(cat "$work"/sums.*.out 2>/dev/null | grep -v ': OK$' | grep -v '^[[:space:]]*$' | head -n 1)
  if [ -n "$_bad" ]; then
    echo "checksum mismatch: $_bad"
    return 1
  fi
  return 0
}

# stamp_use: sets the revision's use stamp to now (see the header). Only called holding the lock.
stamp_use() {
  if ! { mkdir -p "$stamps" && touch "$stamp"; } 2>"$work/stamp.err"; then
    warn "cannot write the use stamp $stamp: $(head -n 1 "$work/stamp.err")"
  fi
}

# write_metrics BYTES SECONDS: the model's last copy onto this node as a node-exporter textfile,
# $CACHE_ROOT/.metrics/restore-<id, '/' as %2F>.prom (see the header); written under another name
# and renamed, so the collector never reads half a file. Failing to write it is only a warning.
write_metrics() {
  _dir=$CACHE_ROOT/.metrics
  _file=$_dir/restore-$(printf '%s' "$MODEL_ID" | sed 's|/|%2F|g').prom
  _labels="model=$j_model,revision=$j_revision"
  if ! {
    mkdir -p "$_dir" &&
      printf '%s\n' \
        '# HELP llm_cache_restore_bytes Bytes the last restore of the model onto this node copied.' \
        '# TYPE llm_cache_restore_bytes gauge' \
        "llm_cache_restore_bytes{$_labels} $1" \
        '# HELP llm_cache_restore_seconds Seconds the last restore of the model onto this node took, from taking its lock to publishing.' \
        '# TYPE llm_cache_restore_seconds gauge' \
        "llm_cache_restore_seconds{$_labels} $2" \
        '# HELP llm_cache_restore_timestamp_seconds When the last restore of the model onto this node finished, in Unix time.' \
        '# TYPE llm_cache_restore_timestamp_seconds gauge' \
        "llm_cache_restore_timestamp_seconds{$_labels} $(date +%s)" >"$_file.tmp-$$" &&
      mv -f "$_file.tmp-$$" "$_file"
  } 2>"$work/metrics.err"; then
    rm -f "$_file.tmp-$$"
    warn "cannot write the restore metrics $_file: $(head -n 1 "$work/metrics.err")"
  fi
}

# link_ref: points the moving ref's symlink at the commit (only with MOVING_REF=1, holding the
# commit's lock). The link is replaced by a rename, so a pod starting meanwhile sees the old or the
# new commit, never nothing. An empty directory in its place (kubelet's DirectoryOrCreate made it
# before this ran) or any other leftover there is removed first.
link_ref() {
  [ -n "$ref" ] || return 0
  [ "$(readlink "$ref_link" 2>/dev/null)" != "$REVISION" ] || return 0
  if [ -e "$ref_link" ] && [ ! -L "$ref_link" ]; then
    _old=$model_dir/.old-$ref-$$
    if ! { mv "$ref_link" "$_old" && rm -rf "$_old"; }; then
      fail "$EX_FAIL" "cannot clear $ref_link for the ref's link"
    fi
  fi
  if ! { ln -s "$REVISION" "$model_dir/.link-$ref-$$" && mv -f -T "$model_dir/.link-$ref-$$" "$ref_link"; }; then
    rm -f "$model_dir/.link-$ref-$$"
    fail "$EX_FAIL" "cannot point $ref_link at $REVISION"
  fi
}

# ---- inputs ----------------------------------------------------------------------------------

for _v in CACHE_ROOT MODEL_ID REVISION SNAPSHOT; do
  eval "_val=\${$_v:-}"
  [ -n "$_val" ] || fail "$EX_USAGE" "$_v is not set"
done
case "$REVISION" in
  .* | *[!A-Za-z0-9._-]*) fail "$EX_USAGE" "REVISION '$REVISION' may hold only A-Z a-z 0-9 . _ - and must not start with '.'" ;;
esac
case "$MODEL_ID" in
  /* | */ | *//* | .* | */.* | *[!A-Za-z0-9._/-]*)
    fail "$EX_USAGE" "MODEL_ID '$MODEL_ID' must be path segments of A-Z a-z 0-9 . _ - separated by '/', none starting with '.'" ;;
esac
VERIFY_CHECKSUMS=${VERIFY_CHECKSUMS:-0}
MOVING_REF=${MOVING_REF:-0}
case "$MOVING_REF" in 0 | 1) ;; *) fail "$EX_USAGE" "MOVING_REF must be 0 or 1" ;; esac
TRANSFERS=${TRANSFERS:-32}
CHECKERS=${CHECKERS:-$TRANSFERS}
MULTI_THREAD_STREAMS=${MULTI_THREAD_STREAMS:-8}
MULTI_THREAD_CUTOFF=${MULTI_THREAD_CUTOFF:-64Mi}
MIN_FREE_HEADROOM_PCT=${MIN_FREE_HEADROOM_PCT:-5}
VERIFY_PARALLEL=${VERIFY_PARALLEL:-$(nproc 2>/dev/null || echo 4)}
case "$VERIFY_CHECKSUMS" in 0 | 1) ;; *) fail "$EX_USAGE" "VERIFY_CHECKSUMS must be 0 or 1" ;; esac
for _v in TRANSFERS CHECKERS MULTI_THREAD_STREAMS VERIFY_PARALLEL; do
  eval "_val=\$$_v"
  { is_uint "$_val" && [ "$_val" -ge 1 ]; } || fail "$EX_USAGE" "$_v must be a positive integer, not '$_val'"
done
[ "$VERIFY_PARALLEL" -le 16 ] || VERIFY_PARALLEL=16
case "$MIN_FREE_HEADROOM_PCT" in
  '' | *[!0-9.]* | *.*.*) fail "$EX_USAGE" "MIN_FREE_HEADROOM_PCT must be a number of percent" ;;
esac
if [ -n "${FREE_BYTES_OVERRIDE:-}" ] && ! is_uint "$FREE_BYTES_OVERRIDE"; then
  fail "$EX_USAGE" "FREE_BYTES_OVERRIDE must be a number of bytes"
fi
command -v rclone >/dev/null 2>&1 || fail "$EX_FAIL" "rclone is not installed"
command -v flock >/dev/null 2>&1 || fail "$EX_FAIL" "flock is not installed"

case "$CACHE_ROOT" in /*) ;; *) CACHE_ROOT=$(pwd)/$CACHE_ROOT ;; esac
models=$CACHE_ROOT/models
model_dir=$models/$MODEL_ID

# ---- moving ref: which commit? -----------------------------------------------------------------

ref=""
if [ "$MOVING_REF" = 1 ]; then
  ref=$REVISION
  ref_pointer=${SNAPSHOT%/*}/refs/$ref
  ref_link=$model_dir/$ref
  _tmp=$(mktemp -d "${TMPDIR:-/tmp}/llm-platform-ref.XXXXXX") || fail "$EX_FAIL" "cannot create a temporary directory"
  commit=$(rclone cat --log-level ERROR "$ref_pointer" 2>"$_tmp/err" | head -n 1 | tr -d ' \r')
  case "$commit" in
    *[!0-9a-f]* | '') _ok=0 ;;
    *) if [ "${#commit}" -eq 40 ]; then _ok=1; else _ok=0; fi ;;
  esac
  if [ "$_ok" = 0 ]; then
    _why=$(grep -v '^[[:space:]]*$' "$_tmp/err" | tail -n 1)
    # rclone cat of an object that does not exist prints nothing and succeeds on S3 and GCS.
    if [ -z "$_why" ]; then
      if [ -z "$commit" ]; then _why="no such object"; else _why="it holds '$commit', not a 40-hex commit"; fi
    fi
    _linked=$(readlink "$ref_link" 2>/dev/null || true)
    case "$_linked" in *[!0-9a-f]*) _linked="" ;; esac
    if [ "${#_linked}" -eq 40 ] && [ -f "$model_dir/$_linked/$MARKER_NAME" ]; then
      commit=$_linked
      printf '{"event":"restore-warning","model":"%s","revision":"%s","reason":%s}\n' "$MODEL_ID" "$ref" \
        "$(json_str "cannot read the ref pointer $ref_pointer ($_why); using the cached commit $commit")" >&2
    elif grep -qiE "$ACCESS_RE" "$_tmp/err"; then
      rm -rf "$_tmp"
      fail "$EX_ACCESS" "the snapshot store refused access while reading the ref pointer $ref_pointer (check the credentials and the bucket policy): $_why"
    else
      rm -rf "$_tmp"
      fail "$EX_NO_SNAPSHOT" "ref $ref of $MODEL_ID is not resolved in the store: $ref_pointer: $_why (the seeder writes it once the commit is seeded)"
    fi
  fi
  rm -rf "$_tmp"
  REVISION=$commit
  SNAPSHOT=${SNAPSHOT%/*}/$commit
fi

# Validated above to hold nothing JSON would need to escape.
j_model="\"$MODEL_ID\""
j_revision="\"$REVISION\""
j_ref=""
[ -z "$ref" ] || j_ref=",\"ref\":\"$ref\""
final=$model_dir/$REVISION
lock=$models/.locks/$(printf '%s' "$MODEL_ID" | sed 's|/|--|g')@$REVISION.lock
stamps=$models/.last-used
stamp=$stamps/$(printf '%s' "$MODEL_ID" | sed 's|/|%2F|g')@$REVISION

umask 022
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- lock: one restore (or prune) of this revision at a time ----------------------------------

mkdir -p "$models/.locks" "$model_dir" || fail "$EX_FAIL" "cannot create $model_dir"
exec 9>>"$lock" || fail "$EX_FAIL" "cannot open the lock file $lock"
flock -x 9 || fail "$EX_FAIL" "cannot lock $lock"
t0=$(now)

remove_leftovers "$model_dir/.staging-$REVISION-"
remove_leftovers "$model_dir/.work-$REVISION-"
remove_leftovers "$model_dir/.old-$REVISION-"
work=$model_dir/.work-$REVISION-$$
# prune.sh may remove an empty model directory between our mkdir -p and this one: try again.
_try=0
until mkdir -p "$model_dir" && mkdir "$work" 2>/dev/null; do
  _try=$((_try + 1))
  [ "$_try" -lt 5 ] || { work=""; fail "$EX_FAIL" "cannot create $model_dir/.work-$REVISION-$$"; }
done

# ---- already complete? -----------------------------------------------------------------------

if [ -f "$final/$MARKER_NAME" ] && [ -f "$final/$MANIFEST_NAME" ]; then
  # Marker and sizes only: the files were hashed when they were copied, and re-hashing every
  # cached model on each restart would cost minutes of disk reads per node.
  if problem=$(verify_tree "$final" "$final/$MANIFEST_NAME" 0); then
    link_ref
    stamp_use
    seconds=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
    printf '{"event":"restore","model":%s,"revision":%s%s,"result":"cached","bytes":0,"seconds":%s,"gbps":0}\n' \
      "$j_model" "$j_revision" "$j_ref" "$seconds"
    exit 0
  fi
  warn "the cached copy in $final does not match its manifest ($problem); restoring it again"
elif [ -e "$final" ]; then
  warn "$final exists without $MARKER_NAME (an incomplete copy); restoring it again"
fi

# ---- snapshot: seeded? manifest --------------------------------------------------------------

# One rclone call fetches both control files (a missing prefix on S3/GCS lists as empty).
rclone copy "$SNAPSHOT" "$work/snapshot" --include "/$MARKER_NAME" --include "/$MANIFEST_NAME" \
  --no-check-dest --use-server-modtime --log-level ERROR 2>"$work/control.err"
rc=$?
if [ "$rc" -ne 0 ]; then
  if grep -qiE "$ACCESS_RE" "$work/control.err"; then
    rclone_error "$work/control.err" "reading"
  elif [ "$rc" -eq 3 ] || [ "$rc" -eq 4 ] || grep -qiE "$NOT_FOUND_RE" "$work/control.err"; then
    fail "$EX_NO_SNAPSHOT" "snapshot $SNAPSHOT does not exist (seed it first)"
  fi
  rclone_error "$work/control.err" "reading"
fi
[ -f "$work/snapshot/$MARKER_NAME" ] ||
  fail "$EX_NO_SNAPSHOT" "snapshot $SNAPSHOT is not seeded: it has no $MARKER_NAME (seeding missing or unfinished)"
[ -f "$work/snapshot/$MANIFEST_NAME" ] ||
  fail "$EX_NO_SNAPSHOT" "snapshot $SNAPSHOT has $MARKER_NAME but no $MANIFEST_NAME"
mv "$work/snapshot/$MANIFEST_NAME" "$work/manifest" || fail "$EX_FAIL" "cannot read $work/snapshot/$MANIFEST_NAME"

# Validate the manifest and add it up: "<size>\t<sha256>\t<relative path>" per line.
summary=$(awk -F "$TAB" '
  {
    bad = ""
    if (NF != 3) bad = "expected 3 tab-separated fields"
    else if ($1 !~ /^[0-9]+$/) bad = "size is not a number"
    else if ($2 !~ /^[0-9a-f]+$/ || length($2) != 64) bad = "sha256 is not 64 hex digits"
    else if ($3 == "" || $3 ~ /^\// || $3 ~ /(^|\/)\.\.(\/|$)/ || index($3, "\\") > 0) bad = "unsafe path"
    if (bad != "") { printf "bad line %d: %s\n", NR, bad; exit 1 }
    files++; total += $1
  }
  END { if (files == 0) { print "no files"; exit 1 } printf "%d %.0f\n", files, total }' "$work/manifest") ||
  fail "$EX_FAIL" "the manifest of $SNAPSHOT is invalid: $summary"
total=${summary#* }

# The snapshot must hold exactly the manifest's files (plus manifest and marker) at their sizes:
# a file the manifest does not list is not published, and is reported rather than ignored.
rclone lsf -R --files-only --format sp --separator "$TAB" --log-level ERROR "$SNAPSHOT" \
  >"$work/remote" 2>"$work/remote.err" || rclone_error "$work/remote.err" "listing"
problem=$(awk -F "$TAB" -v manifest="$work/manifest" -v m="$MANIFEST_NAME" -v k="$MARKER_NAME" '
  BEGIN { while ((getline line < manifest) > 0) { split(line, f, "\t"); want[f[3]] = f[1] } }
  {
    i = index($0, "\t"); size = substr($0, 1, i - 1); p = substr($0, i + 1)
    if (p == m || p == k) next
    if (!(p in want)) { printf "%s is in the snapshot but not in its manifest\n", p; bad = 1; exit 1 }
    if (size + 0 != want[p] + 0) { printf "%s: size %s, manifest says %s\n", p, size, want[p]; bad = 1; exit 1 }
    seen[p] = 1
  }
  END {
    if (bad) exit 1
    for (p in want) if (!(p in seen)) { printf "%s: missing\n", p; exit 1 }
  }' "$work/remote") ||
  fail "$EX_MISMATCH" "snapshot $SNAPSHOT does not match its manifest: $problem"
cut -f 3 "$work/manifest" >"$work/files" || fail "$EX_FAIL" "cannot write into $work"

# ---- free space ------------------------------------------------------------------------------

if [ -n "${FREE_BYTES_OVERRIDE:-}" ]; then
  avail=$FREE_BYTES_OVERRIDE
else
  avail=$(df -Pk "$models" 2>/dev/null | awk 'END { printf "%.0f", $4 * 1024 }')
  is_uint "$avail" || fail "$EX_FAIL" "cannot read the free space of $models (df -Pk)"
fi
needed=$(awk -v t="$total" -v h="$MIN_FREE_HEADROOM_PCT" 'BEGIN { n = t * (100 + h) / 100; if (n > int(n)) n = int(n) + 1; printf "%.0f", n }')
if awk -v a="$avail" -v n="$needed" 'BEGIN { exit !(a < n) }'; then
  fail "$EX_NO_SPACE" "not enough free space in $models: need $needed bytes ($total bytes of model + $MIN_FREE_HEADROOM_PCT% headroom), $avail available" \
    "\"needed\":$needed,\"available\":$avail"
fi

# ---- copy into staging -----------------------------------------------------------------------

staging=$model_dir/.staging-$REVISION-$$
mkdir "$staging" || fail "$EX_FAIL" "cannot create $staging"
cp "$work/manifest" "$staging/$MANIFEST_NAME" || fail "$EX_FAIL" "cannot write into $staging"
rclone copy "$SNAPSHOT" "$staging" --files-from-raw "$work/files" \
  --transfers "$TRANSFERS" --checkers "$CHECKERS" \
  --multi-thread-streams "$MULTI_THREAD_STREAMS" --multi-thread-cutoff "$MULTI_THREAD_CUTOFF" \
  --no-check-dest --use-server-modtime --fast-list --order-by size,descending \
  --log-level ERROR 2>"$work/copy.err" &
rclone_pid=$!
wait "$rclone_pid"
rc=$?
rclone_pid=""
if [ "$rc" -ne 0 ]; then
  rm -rf "$staging"
  staging=""
  rclone_error "$work/copy.err" "copying"
fi

if ! problem=$(verify_tree "$staging" "$staging/$MANIFEST_NAME" "$VERIFY_CHECKSUMS"); then
  rm -rf "$staging"
  staging=""
  fail "$EX_MISMATCH" "restored copy does not match the manifest of $SNAPSHOT: $problem"
fi

# ---- publish: rename, then the marker last ---------------------------------------------------

if [ -e "$final" ] || [ -L "$final" ]; then
  aside=$model_dir/.old-$REVISION-$$
  mv "$final" "$aside" || fail "$EX_FAIL" "cannot move the stale $final aside"
fi
mv "$staging" "$final" || fail "$EX_FAIL" "cannot rename $staging to $final"
staging=""
t1=$(now)
if ! printf '{"model":%s,"revision":%s,"snapshot":%s,"bytes":%s,"restored_at":"%s"}\n' \
  "$j_model" "$j_revision" "$(json_str "$SNAPSHOT")" "$total" \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$final/$MARKER_NAME.tmp" ||
  ! mv -f "$final/$MARKER_NAME.tmp" "$final/$MARKER_NAME"; then
  fail "$EX_FAIL" "cannot write $final/$MARKER_NAME"
fi
if [ -n "$aside" ]; then
  rm -rf "$aside"
  aside=""
fi
link_ref
stamp_use

# awk -v would unescape the JSON strings, so only the numbers come from awk.
figures=$(awk -v a="$t0" -v b="$t1" -v bytes="$total" 'BEGIN {
  s = b - a; if (s < 0.01) s = 0.01
  printf "%.0f,\"seconds\":%.2f,\"gbps\":%.3f", bytes, s, bytes / s / 1e9
}')
write_metrics "$total" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { s = b - a; if (s < 0.01) s = 0.01; printf "%.2f", s }')"
printf '{"event":"restore","model":%s,"revision":%s%s,"result":"restored","bytes":%s}\n' \
  "$j_model" "$j_revision" "$j_ref" "$figures"
exit 0

#!/bin/sh
# seed.sh: fills the snapshot $SNAPSHOT (rclone path, or a local directory for the filesystem
# store) from the local directory $SOURCE_DIR, once per model revision.
#
# The seeder Job first downloads the revision into SOURCE_DIR with a separate tool; this script
# only does directory -> store: it writes the manifest (one "<size>\t<sha256>\t<relative path>"
# line per file, sorted by path), uploads the files, then the manifest, then the completion
# marker LAST, so a half-seeded snapshot is never taken for a complete one. A snapshot that
# already has the marker is left alone; that check comes first and needs no SOURCE_DIR, so the
# Job runs this script once with CHECK_ONLY=1 to decide whether to download at all.
#
# Whether the marker exists is read from the snapshot's listing, never from an exit code: on S3
# and GCS listing a prefix (or object) that does not exist succeeds with no output.
#
# Moving refs (dev): with RESOLVED_COMMIT_FILE set, SNAPSHOT names the ref (its last path segment,
# e.g. .../models/<id>/main) and the file holds the 40-hex commit the ref points at now. The
# snapshot filled is then .../models/<id>/<commit>, and once it is complete the pointer object
# .../models/<id>/refs/<ref> is (re)written to hold that commit; restore.sh (MOVING_REF=1) reads it.
#
# POSIX sh plus the tools busybox also has; sources common.sh from its own directory (see
# restore.sh).
#
# Environment:
#   SOURCE_DIR   local directory holding the model files        required unless already seeded
#   SNAPSHOT     rclone path or local directory to fill                           required
#   TRANSFERS    parallel uploads                                                 default 32
#   HASH_PARALLEL  sha256sum processes run at once                                default nproc
#   CHECK_ONLY   1: only report whether the snapshot is seeded (touching SEEDED_FLAG if it is)
#   SEEDED_FLAG  file to create when CHECK_ONLY finds the snapshot seeded         optional
#   RESOLVED_COMMIT_FILE  file holding the commit a moving ref resolved to (see above)  optional
# Any rclone flag can also be set as RCLONE_<FLAG>. RCLONE_S3_NO_CHECK_BUCKET defaults to true:
# a one-object upload in a fresh rclone process would otherwise call CreateBucket, which a seeder
# allowed only to write objects is refused (the bucket exists: the platform made it).
#
# Output: one JSON line on stdout,
#   {"event":"seed","snapshot":...,"result":"seeded|already-seeded|not-seeded","files":N,"bytes":N,"seconds":S}
# ("not-seeded" only with CHECK_ONLY=1; with a moving ref the line also carries "ref":...)
# Failures print one {"event":"seed-error","code":N,"reason":...} line on stderr and exit with
#   2 usage, 11 store refused access, 13 the upload does not match the manifest, 1 anything else.
set -u

# Constants and helpers shared with restore.sh and prune.sh.
_common=$(dirname "$0")/common.sh
if [ ! -r "$_common" ]; then
  echo '{"event":"seed-error","code":1,"reason":"common.sh is missing beside seed.sh"}' >&2
  exit 1
fi
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$_common"

# rclone error text that means the snapshot's directory (or bucket) does not exist yet.
NOT_FOUND_RE='directory not found|NoSuchBucket|bucket does not exist|Error 404'

work=""

fail() {
  printf '{"event":"seed-error","snapshot":%s,"code":%s,"reason":%s}\n' \
    "$(json_str "${SNAPSHOT:-}")" "$1" "$(json_str "$2")" >&2
  exit "$1"
}

# done_line RESULT FILES BYTES T0
done_line() {
  printf '{"event":"seed","snapshot":%s,"result":"%s","files":%s,"bytes":%s,"seconds":%s%s}\n' \
    "$(json_str "$SNAPSHOT")" "$1" "$2" "$3" "$(awk -v a="$4" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')" \
    "${ref:+,\"ref\":$(json_str "$ref")}"
}

# write_ref_pointer: points the moving ref at the commit just seeded (or found seeded).
write_ref_pointer() {
  [ -n "$ref" ] || return 0
  printf '%s\n' "$commit" >"$work/ref" || fail "$EX_FAIL" "cannot write into $work"
  rclone copyto --log-level ERROR "$work/ref" "$ref_pointer" 2>"$work/copy.err" ||
    rclone_error "$work/copy.err" "writing the ref pointer $ref_pointer for"
}

[ -n "${SNAPSHOT:-}" ] || fail "$EX_USAGE" "SNAPSHOT is not set"
CHECK_ONLY=${CHECK_ONLY:-0}
case "$CHECK_ONLY" in 0 | 1) ;; *) fail "$EX_USAGE" "CHECK_ONLY must be 0 or 1" ;; esac
ref=""
commit=""
ref_pointer=""
if [ -n "${RESOLVED_COMMIT_FILE:-}" ]; then
  [ -r "$RESOLVED_COMMIT_FILE" ] || fail "$EX_USAGE" "cannot read RESOLVED_COMMIT_FILE $RESOLVED_COMMIT_FILE"
  commit=$(head -n 1 "$RESOLVED_COMMIT_FILE" | tr -d ' \r')
  case "$commit" in
    *[!0-9a-f]* | '') fail "$EX_USAGE" "RESOLVED_COMMIT_FILE $RESOLVED_COMMIT_FILE must hold a 40-hex commit, not '$commit'" ;;
  esac
  [ "${#commit}" -eq 40 ] || fail "$EX_USAGE" "RESOLVED_COMMIT_FILE $RESOLVED_COMMIT_FILE must hold a 40-hex commit, not '$commit'"
  ref=${SNAPSHOT##*/}
  case "$ref" in
    '' | .* | *[!A-Za-z0-9._-]*) fail "$EX_USAGE" "the ref '$ref' (SNAPSHOT's last segment) may hold only A-Z a-z 0-9 . _ - and must not start with '.'" ;;
  esac
  ref_pointer=${SNAPSHOT%/*}/refs/$ref
  SNAPSHOT=${SNAPSHOT%/*}/$commit
fi
TRANSFERS=${TRANSFERS:-32}
_val=""
HASH_PARALLEL=${HASH_PARALLEL:-$(nproc 2>/dev/null || echo 4)}
for _v in TRANSFERS HASH_PARALLEL; do
  eval "_val=\$$_v"
  { is_uint "$_val" && [ "$_val" -ge 1 ]; } || fail "$EX_USAGE" "$_v must be a positive integer, not '$_val'"
done
[ "$HASH_PARALLEL" -le 16 ] || HASH_PARALLEL=16
command -v rclone >/dev/null 2>&1 || fail "$EX_FAIL" "rclone is not installed"
RCLONE_S3_NO_CHECK_BUCKET=${RCLONE_S3_NO_CHECK_BUCKET:-true}
export RCLONE_S3_NO_CHECK_BUCKET

t0=$(now)
work=$(mktemp -d "${TMPDIR:-/tmp}/llm-platform-seed.XXXXXX") || fail "$EX_FAIL" "cannot create a temporary directory"
trap 'rm -rf "$work"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- already seeded? -------------------------------------------------------------------------

rclone lsf --files-only --max-depth 1 --log-level ERROR "$SNAPSHOT" >"$work/listing" 2>"$work/listing.err"
rc=$?
if [ "$rc" -ne 0 ]; then
  # A snapshot directory (or bucket) that does not exist yet is fine: the copy creates it.
  if grep -qiE "$ACCESS_RE" "$work/listing.err" ||
    { [ "$rc" -ne 3 ] && ! grep -qiE "$NOT_FOUND_RE" "$work/listing.err"; }; then
    rclone_error "$work/listing.err" "listing"
  fi
  : >"$work/listing"
fi
if grep -qxF "$MARKER_NAME" "$work/listing"; then
  if [ "$CHECK_ONLY" = 1 ]; then
    if [ -n "${SEEDED_FLAG:-}" ]; then
      : >"$SEEDED_FLAG" || fail "$EX_FAIL" "cannot create SEEDED_FLAG $SEEDED_FLAG"
    fi
  else
    write_ref_pointer
  fi
  done_line already-seeded 0 0 "$t0"
  exit 0
fi
if [ "$CHECK_ONLY" = 1 ]; then
  done_line not-seeded 0 0 "$t0"
  exit 0
fi

# Only now is a source needed: a seeded snapshot never asks for one.
[ -n "${SOURCE_DIR:-}" ] || fail "$EX_USAGE" "SOURCE_DIR is not set"
[ -d "$SOURCE_DIR" ] || fail "$EX_USAGE" "SOURCE_DIR $SOURCE_DIR is not a directory"
case "$SOURCE_DIR" in /*) ;; *) SOURCE_DIR=$(pwd)/$SOURCE_DIR ;; esac

# ---- manifest --------------------------------------------------------------------------------

# Every regular file (symlinks followed, as a Hugging Face cache layout has them), relative to
# SOURCE_DIR, without the manifest, the marker and the downloader's own .cache/ directory.
(cd "$SOURCE_DIR" && find -L . -type f ! -path "./$MANIFEST_NAME" ! -path "./$MARKER_NAME" ! -path './.cache/*') \
  >"$work/files" 2>"$work/files.err" || fail "$EX_FAIL" "cannot list $SOURCE_DIR: $(head -n 1 "$work/files.err")"
[ -s "$work/files" ] || fail "$EX_USAGE" "SOURCE_DIR $SOURCE_DIR holds no files"
# The manifest is tab- and line-separated: refuse names it cannot hold.
if grep -q "[$TAB\\\\]" "$work/files"; then
  fail "$EX_USAGE" "file names with a tab or a backslash cannot be seeded: $(grep "[$TAB\\\\]" "$work/files" | head -n 1)"
fi
nul_count=$(cd "$SOURCE_DIR" && find -L . -type f ! -path "./$MANIFEST_NAME" ! -path "./$MARKER_NAME" ! -path './.cache/*' -print0 | tr -cd '\000' | wc -c)
if [ "$(wc -l <"$work/files")" -ne "$nul_count" ]; then
  fail "$EX_USAGE" "a file name in $SOURCE_DIR holds a newline; it cannot be seeded"
fi

# Hash in HASH_PARALLEL background groups; each line of a group's output is "<size>\t<sha>\t<path>".
awk -v n="$HASH_PARALLEL" -v out="$work/group" '{ sub(/^\.\//, ""); print > (out "." (NR % n)) }' "$work/files"
for _g in "$work"/group.*; do
  [ -f "$_g" ] || continue
  case "$_g" in *.out | *.rc) continue ;; esac
  (
    cd "$SOURCE_DIR" || exit 1
    while IFS= read -r _f; do
      _sum=$(sha256sum <"$_f") || exit 1
      _size=$(stat -L -c %s "$_f") || exit 1
      printf '%s\t%s\t%s\n' "$_size" "${_sum%% *}" "$_f"
    done <"$_g" >"$_g.out"
    echo 0 >"$_g.rc"
  ) &
done
wait
for _g in "$work"/group.*; do
  case "$_g" in *.out | *.rc) continue ;; esac
  [ -f "$_g.rc" ] || fail "$EX_FAIL" "hashing the files of $SOURCE_DIR failed"
done
cat "$work"/group.*.out | LC_ALL=C sort -t "$TAB" -k 3 >"$work/$MANIFEST_NAME"
files=$(wc -l <"$work/$MANIFEST_NAME" | tr -d ' ')
bytes=$(awk -F "$TAB" '{ t += $1 } END { printf "%.0f", t }' "$work/$MANIFEST_NAME")

# ---- upload: files, then the manifest, then (after checking) the marker ------------------------

rclone copy "$SOURCE_DIR" "$SNAPSHOT" --copy-links \
  --exclude "/$MANIFEST_NAME" --exclude "/$MARKER_NAME" --exclude "/.cache/**" \
  --transfers "$TRANSFERS" --checkers "$TRANSFERS" --log-level ERROR 2>"$work/copy.err" ||
  rclone_error "$work/copy.err" "uploading to"
rclone copyto --log-level ERROR "$work/$MANIFEST_NAME" "$SNAPSHOT/$MANIFEST_NAME" 2>"$work/copy.err" ||
  rclone_error "$work/copy.err" "uploading the manifest to"

# The store must now hold every manifest entry at its size.
rclone lsf -R --files-only --format sp --separator "$TAB" --log-level ERROR "$SNAPSHOT" \
  >"$work/remote" 2>"$work/remote.err" || rclone_error "$work/remote.err" "listing"
problem=$(awk -F "$TAB" -v remote="$work/remote" '
  BEGIN { while ((getline line < remote) > 0) { i = index(line, "\t"); have[substr(line, i + 1)] = substr(line, 1, i - 1) } }
  {
    if (!($3 in have)) { printf "%s: missing in the store\n", $3; exit 1 }
    if (have[$3] + 0 != $1 + 0) { printf "%s: %s bytes in the store, %s locally\n", $3, have[$3], $1; exit 1 }
  }' "$work/$MANIFEST_NAME") || fail "$EX_MISMATCH" "the upload to $SNAPSHOT is incomplete: $problem"

printf '{"snapshot":%s,"files":%s,"bytes":%s,"seeded_at":"%s"}\n' "$(json_str "$SNAPSHOT")" "$files" "$bytes" \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$work/$MARKER_NAME"
rclone copyto --log-level ERROR "$work/$MARKER_NAME" "$SNAPSHOT/$MARKER_NAME" 2>"$work/copy.err" ||
  rclone_error "$work/copy.err" "uploading the marker to"
write_ref_pointer

done_line seeded "$files" "$bytes" "$t0"
exit 0

# common.sh: constants and helpers shared by restore.sh, seed.sh and prune.sh.
#
# Not run on its own: each script sources it from its own directory,
#   . "$(dirname "$0")/common.sh"
# so it must be installed beside them (in the cluster: the same ConfigMap mount). Only
# definitions, no commands with effects, and POSIX sh plus busybox tools like the scripts.
#
# The sourcing script defines fail CODE REASON (its own "<script>-error" JSON line, then exit
# CODE); rclone_error below calls it and uses $SNAPSHOT.
# shellcheck shell=sh
# shellcheck disable=SC2034 # the constants are used by the scripts that source this file

# The snapshot's control files, also kept in each restored copy: the manifest ("<size>\t<sha256>\t
# <relative path>" per file) and the completion marker, written last.
MANIFEST_NAME=.llm-platform-manifest.tsv
MARKER_NAME=.llm-platform-complete

# Exit codes the scripts share (restore.sh has more of its own).
EX_FAIL=1
EX_USAGE=2
EX_ACCESS=11
EX_MISMATCH=13

# rclone error text that means the store refused our credentials or permissions (S3, GCS, local).
ACCESS_RE='AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|InvalidToken|TokenRefreshRequired|InvalidClientTokenId|AuthorizationHeaderMalformed|AllAccessDisabled|NoCredentialProviders|no valid credential|could not find default credentials|invalid_grant|Unauthorized|Forbidden|status code: 40[13]|Error 40[13]|permission denied'

TAB=$(printf '\t')

# now: seconds since boot with fractions (seconds since the epoch without /proc).
now() {
  awk '{ print $1 }' /proc/uptime 2>/dev/null || date +%s
}

# json_str VALUE: VALUE as a quoted JSON string (control characters dropped, newlines as \n).
json_str() {
  printf '"%s"' "$(printf '%s' "$1" | tr '\t\r' '  ' | tr -d '\000-\010\013-\037' |
    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | awk 'NR > 1 { printf "%s", "\\n" } { printf "%s", $0 }')"
}

# is_uint VALUE: true when VALUE is digits only (and not empty).
is_uint() {
  case "$1" in '' | *[!0-9]*) return 1 ;; esac
  return 0
}

# rclone_error ERRFILE WHAT: exits, through the script's fail, with the code that fits rclone's
# error output in ERRFILE: EX_ACCESS when the store refused access, else EX_FAIL. WHAT is the
# action, worded to go before $SNAPSHOT ("reading", "uploading to", ...).
rclone_error() {
  _msg=$(grep -v '^[[:space:]]*$' "$1" | tail -n 4)
  [ -n "$_msg" ] || _msg="rclone failed without a message"
  if grep -qiE "$ACCESS_RE" "$1"; then
    fail "$EX_ACCESS" "the snapshot store refused access while $2 $SNAPSHOT (check the credentials and the bucket policy): $_msg"
  fi
  fail "$EX_FAIL" "rclone failed while $2 $SNAPSHOT: $_msg"
}

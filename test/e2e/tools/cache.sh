# Sourced by the e2e install scripts: the tool cache outside the repository and its stamps.
cache="${LLM_PLATFORM_E2E_CACHE:-$HOME/.cache/llm-platform/e2e}"
bin="$cache/bin"
mkdir -p "$bin"

# fresh STAMP_FILE STAMP TOOL...: true when the stamp matches and every tool is there.
fresh() {
  file=$1 want=$2
  shift 2
  [ -f "$file" ] && [ "$(cat "$file")" = "$want" ] || return 1
  for tool in "$@"; do
    [ -x "$bin/$tool" ] || return 1
  done
}

# stamp_of RECIPE_DIR: a hash of a recipe module's go.mod, go.sum and tools.go.
stamp_of() {
  cat "$1/go.mod" "$1/go.sum" "$1/tools.go" | sha256sum | cut -c1-16
}

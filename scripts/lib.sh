# Shared by scripts/village.sh and scripts/test.sh: installs what a fresh Debian machine with
# only the Rust toolchain lacks, and picks a Cargo target folder outside the clone.
# Sourced, not run.

# Cargo's build output lives outside the clone so reruns (and CI) are incremental.
if [ -z "${CARGO_TARGET_DIR:-}" ]; then
  if mkdir -p /var/cache/aivillage/target 2>/dev/null && [ -w /var/cache/aivillage/target ]; then
    export CARGO_TARGET_DIR=/var/cache/aivillage/target
  else
    export CARGO_TARGET_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/aivillage/target"
    mkdir -p "$CARGO_TARGET_DIR"
  fi
fi

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Runs a command as root: directly when root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian packages named, if any is missing (apt-get update once per run).
need_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  if [ -z "${APT_UPDATED:-}" ]; then
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

need_cargo() {
  if ! command -v cargo >/dev/null 2>&1; then
    # shellcheck disable=SC1091
    [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
  fi
  command -v cargo >/dev/null 2>&1 || {
    echo "cargo not found: install the Rust toolchain (https://rustup.rs) first" >&2
    exit 1
  }
}

# What every build needs: a C compiler and linker (SQLite is compiled in), pkg-config.
need_build_tools() {
  need_cargo
  if command -v dpkg-query >/dev/null 2>&1; then
    need_packages gcc libc6-dev pkg-config ca-certificates
  fi
}

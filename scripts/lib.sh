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

say() { printf '\033[1m==> [%s] %s\033[0m\n' "$(date +%T)" "$*" >&2; }

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

# Starts a throwaway PostgreSQL cluster from Debian's server binaries (installing them if
# missing), listening only on a unix socket in a fresh temp folder, and exports
# VILLAGE_TEST_PG_URL for the tests. The cluster is stopped and removed when the script exits.
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` user.
start_test_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    need_packages postgresql
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  local run=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    run=(runuser -u postgres --)
  fi
  PG_TEST_DIR=$(mktemp -d /tmp/village-pg.XXXXXX)
  chmod 755 "$PG_TEST_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres "$PG_TEST_DIR"
  "${run[@]}" "$bin/initdb" -D "$PG_TEST_DIR/data" -U village --auth=trust -E UTF8 --no-sync >"$PG_TEST_DIR/initdb.log" 2>&1 \
    || { cat "$PG_TEST_DIR/initdb.log" >&2; return 1; }
  # No TCP at all; fsync off because the cluster is thrown away; room for parallel tests.
  "${run[@]}" "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w -t 60 \
    -o "-k $PG_TEST_DIR -c listen_addresses= -p 5432 -c fsync=off -c full_page_writes=off -c max_connections=400" \
    start >/dev/null || { cat "$PG_TEST_DIR/server.log" >&2; return 1; }
  PG_TEST_BIN=$bin
  PG_TEST_RUN=("${run[@]}")
  trap stop_test_postgres EXIT
  export VILLAGE_TEST_PG_URL="postgres://village@localhost/postgres?host=$PG_TEST_DIR&port=5432"
  say "throwaway PostgreSQL cluster on $PG_TEST_DIR ($("$bin/postgres" --version))"
}

stop_test_postgres() {
  [ -n "${PG_TEST_DIR:-}" ] || return 0
  "${PG_TEST_RUN[@]}" "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_TEST_DIR"
}

# What the viewer needs: the native build's libraries (the issue's list; the trimmed Bevy
# features link none of them today, but a desktop build with audio or gamepads would), and
# for its tests an X server with Mesa's software Vulkan and GL, and headless Chromium.
need_viewer_packages() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  need_packages libasound2-dev libudev-dev libwayland-dev libxkbcommon-dev pkg-config \
    libvulkan1 mesa-vulkan-drivers libgl1-mesa-dri libxkbcommon-x11-0 libxcursor1 libxrandr2 \
    libxi6 libx11-xcb1 xvfb xauth chromium chromium-driver
}

# What the agent runtime's tests need: a running Docker engine (Debian's docker.io, started
# here when it is installed but not running) and a static busybox for the test images (and the
# agent image's shell).
need_docker() {
  command -v dpkg-query >/dev/null 2>&1 && need_packages busybox-static
  command -v dockerd >/dev/null 2>&1 || { command -v dpkg-query >/dev/null 2>&1 && need_packages docker.io; }
  docker info >/dev/null 2>&1 && return 0
  say "starting the Docker engine (log: /var/log/aivillage-dockerd.log)"
  as_root sh -c 'nohup dockerd >/var/log/aivillage-dockerd.log 2>&1 &'
  local waited=0
  until docker info >/dev/null 2>&1; do
    waited=$((waited + 1))
    if [ "$waited" -gt 60 ]; then
      echo "the Docker engine did not start within 60 s; see /var/log/aivillage-dockerd.log" >&2
      return 1
    fi
    sleep 1
  done
}

#!/usr/bin/env bash
# Install what `make build|test|demo` needs, and only what is missing. Idempotent; safe on CI.
#   scripts/bootstrap.sh        everything
#   scripts/bootstrap.sh node   only the supported Node versions (.tools/node22, .tools/node24)
#   scripts/bootstrap.sh pack   only what `make pack` needs (the publish workflow): no browser, services or dist
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1mbootstrap:\033[0m %s\n' "$*" >&2; }

command -v npm >/dev/null || { echo "bootstrap: node and npm are required (any version that runs npm; Node 22 and 24 are then provided in .tools/)" >&2; exit 2; }

# Supported Node: 22 and 24 (the JS suite runs on both, the Backstage packages and the demo on 22).
# .tools/node<major> holds bin/node and include/node (the headers native modules build against, used as
# npm_config_nodedir). It is the machine's own Node when that has the major and its headers, else the npm
# registry's node-linux-<arch> package (the official binary), fetched with `npm pack`. Skipped when present.
node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || true; }
provide_node() {
  local major=$1 dir=.tools/node$1
  if [ -x "$dir/bin/node" ] && [ -f "$dir/include/node/node_version.h" ] && [ "$(node_major "$dir/bin/node")" = "$major" ]; then
    return
  fi
  mkdir -p .tools
  rm -rf "$dir" "$dir.part"
  local own prefix
  own=$(command -v node || true)
  if [ -n "$own" ]; then
    prefix=$(dirname "$(dirname "$(readlink -f "$own")")")
    if [ "$(node_major "$own")" = "$major" ] && [ -f "$prefix/include/node/node_version.h" ]; then
      log "Node $major: the machine's own ($prefix)"; ln -s "$prefix" "$dir"; return
    fi
  fi
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "bootstrap: no node-linux package for $(uname -m); install Node $major and link it at $dir" >&2; exit 2 ;;
  esac
  log "Node $major: npm pack node-linux-$arch@$major -> $dir (~50 MB)"
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "node-linux-$arch@$major" --silent --loglevel=error >/dev/null)
  mkdir -p "$dir.part"
  tar xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$dir.part" --strip-components=1
  rm -rf "$tmp"
  if [ "$(node_major "$dir.part/bin/node")" != "$major" ] || [ ! -f "$dir.part/include/node/node_version.h" ]; then
    echo "bootstrap: node-linux-$arch@$major did not unpack to a Node $major with headers" >&2; exit 2
  fi
  mv "$dir.part" "$dir"
}
provide_nodes() { provide_node 22; provide_node 24; }
if [ "${1:-}" = node ]; then provide_nodes; exit 0; fi

command -v cargo >/dev/null || { echo "bootstrap: cargo (rustup) is required" >&2; exit 2; }

if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  log "adding rust target wasm32-unknown-unknown"; rustup target add wasm32-unknown-unknown
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
# make dist / test-dist: the static Linux CLI archive (musl). Added before any `cargo install` starts below.
if [ "${1:-}" != pack ] && ! rustup target list --installed 2>/dev/null | grep -q '^x86_64-unknown-linux-musl$'; then
  log "adding rust target x86_64-unknown-linux-musl"; rustup target add x86_64-unknown-linux-musl
fi

# Debian packages (apt): one `apt-get update` and one install of what is missing, in the background while the
# Rust tools below compile (the download and unpacking need little CPU). Not in `pack` mode.
apt_pid=
apt_log=$(mktemp)
if [ "${1:-}" != pack ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)           # headless Chromium: wasm-pack tests, the e2e runs
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
  [ -x /usr/bin/redis-server ] || missing+=(redis-server)   # the backend plugin's shared-cache tests (loopback)
  command -v musl-gcc >/dev/null || missing+=(musl-tools)   # make dist: ring's C code compiled for musl
  if [ ${#missing[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
      log "installing ${missing[*]} (apt, in the background)"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >"$apt_log" 2>&1 &
      apt_pid=$!
    else
      echo "bootstrap: needed at /usr/bin: ${missing[*]} (apt-get install ${missing[*]})" >&2; exit 2
    fi
  fi
fi
wait_apt() {
  if [ -n "$apt_pid" ]; then
    wait "$apt_pid" || { cat "$apt_log" >&2; echo "bootstrap: apt-get install failed" >&2; exit 2; }
    apt_pid=
  fi
  rm -f "$apt_log"
}

# Build tools installed from crates.io (no registry ships their binaries for this platform), each `cargo install`
# in the background and all at once: one install alone keeps the 2 cores busy only about two thirds of the time
# (its dependency chain, build scripts and the final link are serial), so together they finish sooner than one
# after the other. wasm-pack and dist only orchestrate other programs, so they are built without optimisation
# (`--debug`: about a third of the compile time; measured for dist: 7.7 min instead of 22.6 on a loaded 2-core
# machine). wasm-bindgen-cli does real work on every test binary (2.2 s instead of 0.4 s each unoptimised), so it
# is built optimised (opt-level 1 instead of 3 saved 24 s of its 3 min 12 s: not worth the slower runs).
# `--debug` builds without debug info: 213 s of CPU instead of 255 for dist (the tools' panics lose line numbers).
CARGO_INSTALL_CONFIG=(--config 'profile.dev.debug=false')
tool_pids=()
tool_logs=()
cargo_install() {
  local what=$1; shift
  local log_file; log_file=$(mktemp)
  log "installing $what (cargo install, in the background)"
  cargo "${CARGO_INSTALL_CONFIG[@]}" install "$@" >"$log_file" 2>&1 &
  tool_pids+=($!)
  tool_logs+=("$what:$log_file")
}
wait_tools() {
  local i failed=
  for i in "${!tool_pids[@]}"; do
    if ! wait "${tool_pids[$i]}"; then
      cat "${tool_logs[$i]#*:}" >&2
      echo "bootstrap: installing ${tool_logs[$i]%%:*} failed" >&2
      failed=1
    fi
    rm -f "${tool_logs[$i]#*:}"
  done
  [ -z "$failed" ] || exit 2
}

if ! command -v wasm-pack >/dev/null; then
  cargo_install wasm-pack wasm-pack --debug
fi

# wasm-bindgen-cli must match the wasm-bindgen version in Cargo.lock exactly.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  cargo_install "wasm-bindgen-cli $want (have: ${have:-none})" wasm-bindgen-cli --version "$want" --force
fi

# dist (cargo-dist) at the version dist-workspace.toml pins (cargo-dist-version); with the musl target and
# musl-gcc (apt, above) it builds the static Linux CLI archive. Not in `pack` mode.
want=$(sed -n 's/^cargo-dist-version = "\(.*\)"$/\1/p' dist-workspace.toml)
have=$(dist --version 2>/dev/null | awk '{print $2}' || true)
if [ "${1:-}" != pack ] && [ "$have" != "$want" ]; then
  cargo_install "dist (cargo-dist) $want (have: ${have:-none})" cargo-dist --version "$want" --locked --force --debug
fi

root_npm() {
  if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/changeset ] || [ package.json -nt node_modules/.package-lock.json ]; then
    log "installing root npm dev dependencies (binaryen's wasm-opt, typescript, playwright-core, @changesets/cli)"
    npm install --no-audit --no-fund --loglevel=error
  fi
}
# Node 22 and 24 and the npm packages download while the tools compile.
provide_nodes
if [ "${1:-}" = pack ]; then root_npm; wait_tools; exit 0; fi

root_npm
wait_tools
wait_apt

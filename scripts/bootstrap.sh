#!/usr/bin/env bash
# Install what `make build|test|demo` needs, and only what is missing. Idempotent; safe on CI.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1mbootstrap:\033[0m %s\n' "$*" >&2; }

command -v cargo >/dev/null || { echo "bootstrap: cargo (rustup) is required" >&2; exit 2; }
command -v node >/dev/null || { echo "bootstrap: node >= 20 is required" >&2; exit 2; }

if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  log "adding rust target wasm32-unknown-unknown"; rustup target add wasm32-unknown-unknown
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt

if ! command -v wasm-pack >/dev/null; then
  log "installing wasm-pack (~4 min)"; cargo install wasm-pack
fi

# wasm-bindgen-cli must match the wasm-bindgen version in Cargo.lock exactly.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  log "installing wasm-bindgen-cli $want (have: ${have:-none}; ~3 min)"
  cargo install wasm-bindgen-cli --version "$want" --force
fi

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    log "installing chromium + chromedriver (apt)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "bootstrap: chromium and chromedriver are needed at /usr/bin (apt-get install chromium chromium-driver)" >&2; exit 2
  fi
fi

if [ ! -x node_modules/.bin/wasm-opt ] || [ package.json -nt node_modules/.package-lock.json ]; then
  log "installing root npm dev dependencies (binaryen's wasm-opt, typescript, playwright-core)"
  npm install --no-audit --no-fund --loglevel=error
fi

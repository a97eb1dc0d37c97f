# Shared by bench/cli/check-bench.sh and bench/cli-fix-bench.sh (sourced, not run): sets n, runs
# and bin (ASSET_ID_BIN, or target/release/asset-id built from $repo when unset).
# Expects $repo; takes the scripts' first argument as N.
n="${1:-10000}"
runs="${RUNS:-5}"
bin="${ASSET_ID_BIN:-}"
if [ -z "$bin" ]; then
  target="${CARGO_TARGET_DIR:-$repo/target}"
  (cd "$repo" && cargo build --release --features cli --quiet)
  bin="$target/release/asset-id"
fi

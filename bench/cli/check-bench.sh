#!/usr/bin/env bash
# Benchmark `asset-id check` on N generated catalog files (default 10,000), format only and with a
# registry lookup, side by side with a straightforward Node script (js-yaml + RegExp) doing the
# same job. Pinned to one core (taskset -c 0) when available; best wall time of RUNS runs
# (default 5) after a warm-up, with the CPU time (user + sys) of that run.
#
#   bench/cli/check-bench.sh [N]          # builds target/release/asset-id if needed
#   ASSET_ID_BIN=/path/to/asset-id RUNS=3 bench/cli/check-bench.sh 10000
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
. "$here/lib.sh"
if [ ! -d "$here/node_modules/js-yaml" ]; then
  (cd "$here" && npm install --no-audit --no-fund --silent >/dev/null)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
node "$here/generate.mjs" "$work/repo" "$n" >/dev/null

pin=()
if command -v taskset >/dev/null 2>&1; then pin=(taskset -c 0); fi

# "WALL_MS CPU_MS": best wall time of $runs runs (after a warm-up) and that run's user+sys time.
# Exit status 1 (findings) is expected.
best() {
  local best_wall="" best_cpu="" t wall cpu
  (cd "$work/repo" && "${pin[@]}" "$@" >/dev/null 2>&1) || true
  for _ in $(seq "$runs"); do
    t=$( { TIMEFORMAT='%R %U %S'; time (cd "$work/repo" && "${pin[@]}" "$@" >/dev/null 2>&1 || true); } 2>&1 )
    read -r wall cpu <<<"$(awk '{ printf "%d %d", $1 * 1000, ($2 + $3) * 1000 }' <<<"$t")"
    if [ -z "$best_wall" ] || [ "$wall" -lt "$best_wall" ]; then best_wall=$wall; best_cpu=$cpu; fi
  done
  echo "$best_wall $best_cpu"
}

read -r ro_w ro_c <<<"$(best "$bin" check --offline --format json)"
read -r rr_w rr_c <<<"$(best "$bin" check --format json)"
read -r no_w no_c <<<"$(best node "$here/naive-check.mjs" . --offline)"
read -r nr_w nr_c <<<"$(best node "$here/naive-check.mjs" .)"
summary=$(cd "$work/repo" && { "$bin" check --format json || true; } | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s).summary;console.log(`${j.files} files, ${j.checked} checked, ${j.errors} errors, ${j.warnings} warnings`)})')
naive=$(cd "$work/repo" && node "$here/naive-check.mjs" . || true)

echo "asset-id check benchmark: $n catalog files (System + Component each, one directory per System)"
echo "best of $runs runs, ${pin[*]:-not pinned}; $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'), node $(node --version)"
echo "asset-id:   $summary"
echo "naive Node: $naive"
echo
printf '| %-30s | %-24s | %-24s |\n' "$n files, one core" "format only (wall / cpu)" "+ registry (wall / cpu)"
printf '|%s|%s|%s|\n' "--------------------------------" "--------------------------" "--------------------------"
printf '| %-30s | %8s ms / %8s ms | %8s ms / %8s ms |\n' "asset-id check (Rust)" "$ro_w" "$ro_c" "$rr_w" "$rr_c"
printf '| %-30s | %8s ms / %8s ms | %8s ms / %8s ms |\n' "naive Node (js-yaml + RegExp)" "$no_w" "$no_c" "$nr_w" "$nr_c"
if [ "$n" -eq 10000 ]; then
  verdict=MISSED; [ "$ro_w" -lt 1000 ] && verdict=met
  echo
  echo "budget: asset-id check on 10,000 files, format only, one core, under 1000 ms: $verdict (${ro_w} ms)"
fi

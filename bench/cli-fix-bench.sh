#!/usr/bin/env bash
# Benchmark `asset-id check --fix` next to `check` on N generated catalog files (default 10,000;
# the tree of bench/cli/check-bench.sh, with exactly 10% of the IDs written loosely, e.g.
# "apm-0000003", which --fix rewrites, and 4% malformed, which it cannot fix). Format only
# (--offline), pinned to one core (taskset -c 0) when available; best wall time of RUNS runs
# (default 5), each --fix run on a fresh copy of the tree (the copy is not timed).
#
#   bench/cli-fix-bench.sh [N]          # builds target/release/asset-id if needed
#   ASSET_ID_BIN=/path/to/asset-id RUNS=3 bench/cli-fix-bench.sh 10000
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
. "$here/cli/lib.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
node "$here/cli/generate.mjs" "$work/tree" "$n" >/dev/null
# 10% loosely written (fixable), 4% malformed (not fixable), the rest normalized.
node - "$work/tree" "$n" <<'EOF'
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const [dir, nArg] = process.argv.slice(2);
const n = Number(nArg);
for (let i = 0; i < n; i++) {
  const f = join(dir, 'systems', `team-${String(Math.floor(i / 100)).padStart(3, '0')}`, `system-${i}`, 'catalog-info.yaml');
  const digits = String(i).padStart(7, '0');
  const id = i % 25 === 24 ? `APM${i}-x` : i % 10 === 3 ? `apm-${digits}` : `APM${digits}`;
  writeFileSync(f, readFileSync(f, 'utf8').replace(/example\.com\/asset-id: "[^"]*"/, `example.com/asset-id: "${id}"`));
}
EOF

pin=()
if command -v taskset >/dev/null 2>&1; then pin=(taskset -c 0); fi

# "WALL_MS CPU_MS" of one run in directory $1 (exit status 1, findings, is expected).
once() {
  local dir="$1" t
  shift
  t=$( { TIMEFORMAT='%R %U %S'; time (cd "$dir" && "${pin[@]}" "$@" >/dev/null 2>&1 || true); } 2>&1 )
  awk '{ printf "%d %d", $1 * 1000, ($2 + $3) * 1000 }' <<<"$t"
}

# Best of $runs; with FRESH=1 each run gets a fresh copy of the tree.
best() {
  local best_wall="" best_cpu="" wall cpu dir="$work/tree"
  for _ in $(seq "$runs"); do
    if [ "${FRESH:-0}" = 1 ]; then
      rm -rf "$work/copy" && cp -r "$work/tree" "$work/copy" && dir="$work/copy"
    fi
    read -r wall cpu <<<"$(once "$dir" "$@")"
    if [ -z "$best_wall" ] || [ "$wall" -lt "$best_wall" ]; then best_wall=$wall; best_cpu=$cpu; fi
  done
  echo "$best_wall $best_cpu"
}

once "$work/tree" "$bin" check --offline >/dev/null   # warm-up (page cache)
read -r c_w c_c <<<"$(best "$bin" check --offline)"
read -r d_w d_c <<<"$(best "$bin" check --offline --fix --dry-run)"
read -r f_w f_c <<<"$(FRESH=1 best "$bin" check --offline --fix)"
# Once fixed, a second --fix finds nothing to rewrite.
rm -rf "$work/copy" && cp -r "$work/tree" "$work/copy"
(cd "$work/copy" && "$bin" check --offline --fix >/dev/null 2>&1 || true)
fixed=$(cd "$work/tree" && { "$bin" check --offline --fix --dry-run || true; } | tail -1)
changed=$(diff -r "$work/tree" "$work/copy" | grep -c '^<' || true)
cp -r "$work/copy" "$work/fixed"
rm -rf "$work/tree" && mv "$work/fixed" "$work/tree"
read -r a_w a_c <<<"$(best "$bin" check --offline --fix)"

echo "asset-id check --fix benchmark: $n catalog files, $((n / 10)) loosely written IDs (10%), format only"
echo "best of $runs runs, ${pin[*]:-not pinned}; $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
echo "dry run says: $fixed"
echo "lines changed by --fix: $changed"
echo
printf '| %-44s | %-22s |\n' "$n files, one core, --offline" "wall / cpu"
printf '|%s|%s|\n' "----------------------------------------------" "------------------------"
printf '| %-44s | %7s ms / %7s ms |\n' "check" "$c_w" "$c_c"
printf '| %-44s | %7s ms / %7s ms |\n' "check --fix --dry-run" "$d_w" "$d_c"
printf '| %-44s | %7s ms / %7s ms |\n' "check --fix (writes $((n / 10)) files)" "$f_w" "$f_c"
printf '| %-44s | %7s ms / %7s ms |\n' "check --fix again (nothing left to fix)" "$a_w" "$a_c"

#!/usr/bin/env bash
# Peak memory (RSS) of `asset-id check` on hostile file sizes: a 100 MB catalog file of list items
# (refused by the 4 MiB file cap without being read), files just under the cap (list items, and
# the densest shape, a flow sequence of one-letter items, which meets the 1,000,000-node budget),
# and the same content read with larger caps to show how the cost grows. Figures go to docs/cli.md
# ("Bounded cost"). Needs /usr/bin/time (GNU time) and target/release/asset-id (make cli).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${ASSET_ID_BIN:-target/release/asset-id}")
[ -x "$BIN" ] || { echo "cli-memory: $BIN missing (make cli)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "cli-memory: /usr/bin/time (GNU time) missing" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/asset-id.yaml" <<'YAML'
schemes: [{name: business-app, pattern: 'APM\d{7}'}]
catalog: {annotation: example.com/asset-id}
YAML
# A System followed by list items up to SIZE bytes.
make_file() { # path size
  node -e '
    const fs = require("fs");
    const [path, size] = [process.argv[1], Number(process.argv[2])];
    const head = "apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: big\n  annotations:\n    example.com/asset-id: APM0001234\nspec:\n  items:\n";
    const item = "    - item\n";
    const fd = fs.openSync(path, "w");
    fs.writeSync(fd, head);
    const chunk = item.repeat(65536);
    let n = head.length;
    while (n + chunk.length <= size) { fs.writeSync(fd, chunk); n += chunk.length; }
    while (n + item.length <= size) { fs.writeSync(fd, item); n += item.length; }
    fs.closeSync(fd);
  ' "$1" "$2"
}
# The densest shape: a flow sequence of one-letter items (2 bytes a node).
make_flow() { # path size
  node -e '
    const fs = require("fs");
    const [path, size] = [process.argv[1], Number(process.argv[2])];
    fs.writeFileSync(path, "[" + "a,".repeat(Math.floor((size - 2) / 2)) + "]");
  ' "$1" "$2"
}
MiB=$((1024 * 1024))
make_flow "$dir/flow.yaml" $((4 * MiB - 16))
# Two of them in different work items (64 files each), so two threads would parse them at once.
mkdir -p "$dir/two"
cp "$dir/flow.yaml" "$dir/two/a.yaml"
for i in $(seq -w 0 62); do echo "k: v" > "$dir/two/m-$i.yaml"; done
cp "$dir/flow.yaml" "$dir/two/z.yaml"
make_flow "$dir/flow-1m.yaml" 1999990
make_file "$dir/100mb.yaml" 100000000
make_file "$dir/cap.yaml" $((4 * MiB - 16))
make_file "$dir/16mib.yaml" $((16 * MiB - 16))
measure() { # label args...
  local label=$1; shift
  local out
  out=$( { /usr/bin/time -v "$BIN" check --offline --format json "$@" >/dev/null; } 2>&1 || true)
  local rss wall
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' <<<"$out")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' <<<"$out")
  printf '| %-56s | %8.1f MB | %10s |\n' "$label" "$(echo "$rss / 1024" | bc -l)" "$wall"
}
cd "$dir"
echo "| check (format only), file                                 | peak RSS    | wall       |"
echo "|----------------------------------------------------------|-------------|------------|"
measure "100 MB of list items (default cap 4 MiB: a finding)" 100mb.yaml
measure "4 MiB - 16 bytes of list items (just under the cap)" cap.yaml
measure "4 MiB - 16 bytes of [a,a,...] (node budget: a finding)" flow.yaml
measure "two such files on two threads (parsed one at a time)" two
measure "2 MB of [a,a,...] (just under 1,000,000 nodes)" flow-1m.yaml
measure "16 MiB of list items, --max-file-bytes 16MiB" --max-file-bytes 16MiB 16mib.yaml
measure "100 MB of list items, --max-file-bytes 128MiB" --max-file-bytes 128MiB 100mb.yaml
echo
echo "($(nproc) cores, $(uname -m), $("$BIN" --version 2>/dev/null || echo asset-id); /usr/bin/time -v)"

#!/usr/bin/env bash
# Run a command with the local fake CMDB (tests/support/fake-cmdb.mjs) listening on a free
# loopback port; its URL is exported as FAKE_CMDB_URL. The server stops when the command ends.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
node tests/support/fake-cmdb.mjs --port 0 >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
  grep -q '^listening ' "$out" && break
  sleep 0.1
done
FAKE_CMDB_URL=$(sed -n 's/^listening //p' "$out")
[ -n "$FAKE_CMDB_URL" ] || { echo "fake CMDB did not start" >&2; exit 2; }
export FAKE_CMDB_URL
"$@"

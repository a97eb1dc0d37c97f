#!/usr/bin/env bash
# `make app-install`: install examples/backstage-app from the four tarballs of `make pack` (dist-packages/): the
# plugins, the -common package and asset-id.
# The app depends on them by `file:` paths inside it (vendor/, git-ignored), as an adopter does before the
# packages are published. yarn records a content hash for each local tarball, which moves whenever a package
# is rebuilt; every registry package must stay exactly as locked. So: install with --no-immutable, check that
# the lockfile changed in the entries of those local packages only (fail otherwise: the committed yarn.lock is stale), and
# put the committed lockfile back, so a test run leaves the tree as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
app=examples/backstage-app
yarn_cjs=$(ls "$app"/.yarn/releases/yarn-*.cjs | head -1)
ls dist-packages/*.tgz >/dev/null 2>&1 || { echo "pack-install-app: no tarballs in dist-packages/ (make pack)" >&2; exit 2; }
mkdir -p "$app/vendor"
rm -f "$app"/vendor/*.tgz
cp dist-packages/*.tgz "$app/vendor/"

saved=$(mktemp)
trap 'cp "$saved" "$app/yarn.lock"; rm -f "$saved"' EXIT
cp "$app/yarn.lock" "$saved"
(cd "$app" && node "$PWD/../../$yarn_cjs" install --no-immutable)

# The lockfile without the entries of the four local packages (a blank line ends each entry).
strip_local() { awk 'BEGIN { RS = ""; ORS = "\n\n" } !/^"(@asset-id\/[^@]+|asset-id)@file:/' "$1"; }
if ! diff <(strip_local "$saved") <(strip_local "$app/yarn.lock") >/dev/null; then
  echo "pack-install-app: installing changed examples/backstage-app/yarn.lock beyond the four local tarballs:" >&2
  diff <(strip_local "$saved") <(strip_local "$app/yarn.lock") | head -40 >&2
  echo "(update the committed yarn.lock: run the install in $app and commit it)" >&2
  exit 1
fi
echo "pack-install-app: registry packages exactly as in the committed yarn.lock"

#!/usr/bin/env bash
# `make pack`: the three publishable tarballs, in dist-packages/ (git-ignored):
#   asset-id-<v>.tgz                                        the root npm package (pkg/ must be built: make pkg)
#   asset-id-backstage-plugin-scaffolder-asset-id-<v>.tgz   plugin-frontend (field ValidateAsset)
#   asset-id-backstage-plugin-asset-id-backend-<v>.tgz      plugin-backend (asset-id:validate + catalog processor)
# Each is what `npm publish` would upload. The Backstage packages are built (tsc to dist-types/, then
# `backstage-cli package build` to dist/) and packed with their prepack/postpack scripts
# (`backstage-cli package prepack` points main/types/exports at dist/). Packing happens in a staging copy
# (package.json, dist/, config.d.ts, README.md; node_modules linked), so the tracked package.json is never
# rewritten under the feet of anyone else working in the tree.
# Run on a supported Node (the Makefile puts .tools/node22/bin first on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/dist-packages
log() { printf '\033[1mpack:\033[0m %s\n' "$*" >&2; }

[ -f pkg/.built ] || { echo "pack: the root package is not built (pkg/.built missing): run make pkg" >&2; exit 2; }
mkdir -p "$out"
rm -f "$out"/*.tgz

log "asset-id (root) on Node $(node --version)"
npm pack --silent --pack-destination "$out" >/dev/null

stage=$(mktemp -d /tmp/asset-id-pack.XXXXXX)
trap 'rm -rf "$stage"' EXIT

pack_plugin() {
  local dir=$1
  log "$dir: install (ci:install), build"
  (cd "$dir" && npm run --silent ci:install >/dev/null)
  # tsc writes the declarations backstage-cli's build bundles into dist/index.d.ts
  (cd "$dir" && node_modules/.bin/tsc && node_modules/.bin/backstage-cli package build)
  mkdir -p "$stage/$dir"
  cp "$dir/package.json" "$stage/$dir/"
  cp -r "$dir/dist" "$stage/$dir/dist"
  for f in config.d.ts README.md tsconfig.json; do [ -f "$dir/$f" ] && cp "$dir/$f" "$stage/$dir/"; done
  ln -s "$root/$dir/node_modules" "$stage/$dir/node_modules"
  log "$dir: npm pack (prepack/postpack: backstage-cli)"
  (cd "$stage/$dir" && npm pack --silent --pack-destination "$out" >/dev/null)
}
pack_plugin plugin-frontend
pack_plugin plugin-backend

ls -l "$out"/*.tgz >&2

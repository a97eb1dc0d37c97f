#!/usr/bin/env bash
# `make pack`: the four publishable tarballs, in dist-packages/ (git-ignored):
#   asset-id-<v>.tgz                                        the root npm package (pkg/ must be built: make pkg)
#   asset-id-backstage-plugin-scaffolder-asset-id-<v>.tgz   plugin-frontend (field ValidateAsset)
#   asset-id-backstage-plugin-asset-id-backend-<v>.tgz      plugin-backend (asset-id:validate + catalog processor)
#   asset-id-backstage-plugin-asset-id-common-<v>.tgz       plugin-common (the HTTP contract both plugins import)
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

# Under the lock `make pkg` is run with elsewhere (flock /tmp/asset-id-pkg.lock make pkg), so a rebuild of
# pkg/ in the same tree never lands half-written in the tarball; then every file the package lists must be in it.
log "asset-id (root) on Node $(node --version)"
flock "${ASSET_ID_PKG_LOCK:-/tmp/asset-id-pkg.lock}" npm pack --silent --pack-destination "$out" >/dev/null
root_tgz=$(ls "$out"/asset-id-[0-9]*.tgz)
listed=$(node -p "require('./package.json').files.filter(f => !f.endsWith('/')).join('\n')")
contents=$(tar tzf "$root_tgz")
for f in $listed; do
  grep -qx "package/$f" <<<"$contents" || { echo "pack: $f is missing from $root_tgz (pkg/ half-built? run make pkg)" >&2; exit 1; }
done
# Every entry the package exports (`.`, `./web`, `./format`, the .wasm files) is in the tarball.
targets=$(node -p "const t = []; const walk = (x) => typeof x === 'string' ? t.push(x.replace(/^\.\//, '')) : Object.values(x).forEach(walk); walk(require('./package.json').exports); t.join('\n')")
for f in $targets; do
  grep -qx "package/$f" <<<"$contents" || { echo "pack: the export $f is missing from $root_tgz" >&2; exit 1; }
done
grep -qx 'package/pkg/format/asset_id_bg.wasm' <<<"$contents" || { echo "pack: no format build (asset-id/format) in $root_tgz" >&2; exit 1; }

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

# plugin-common has no node_modules of its own (no extra install on a fresh machine): it is built in the staging
# copy with plugin-backend's toolchain (typescript, backstage-cli; asset-id's types through the same link).
log "plugin-common: build with plugin-backend's toolchain"
mkdir -p "$stage/plugin-common"
cp -r plugin-common/package.json plugin-common/tsconfig.json plugin-common/README.md plugin-common/src "$stage/plugin-common/"
ln -s "$root/plugin-backend/node_modules" "$stage/plugin-common/node_modules"
(cd "$stage/plugin-common" && node_modules/.bin/tsc && node_modules/.bin/backstage-cli package build)
log "plugin-common: npm pack (prepack/postpack: backstage-cli)"
(cd "$stage/plugin-common" && npm pack --silent --pack-destination "$out" >/dev/null)

# Published manifests name the -common package by its exact version, as they must (no file: links).
v=$(node -p "require('./package.json').version")
for t in "$out"/asset-id-backstage-plugin-scaffolder-asset-id-*.tgz "$out"/asset-id-backstage-plugin-asset-id-backend-*.tgz; do
  dep=$(tar -xzOf "$t" package/package.json | node -e 'const m = JSON.parse(require("fs").readFileSync(0, "utf8")); process.stdout.write(m.dependencies?.["@asset-id/backstage-plugin-asset-id-common"] ?? "")')
  # plugin-frontend moves to the -common package in its own change; once it depends on it, the version must match.
  if [ -n "$dep" ] && [ "$dep" != "$v" ]; then echo "pack: $(basename "$t") depends on the -common package $dep, not $v" >&2; exit 1; fi
done

# Each tarball as the publish workflow (.github/workflows/publish.yml) hands it to `npm publish --provenance`:
# `npm publish --dry-run` reads the tarball and its manifest and says what it would upload, as what; nothing is
# sent. Provenance itself needs the CI's OIDC token and is only added there.
for t in "$out"/*.tgz; do
  want=$(tar -xzOf "$t" package/package.json | node -e 'const m = JSON.parse(require("fs").readFileSync(0, "utf8")); process.stdout.write(`${m.name}@${m.version}`)')
  log "npm publish --dry-run $(basename "$t") ($want)"
  if ! npm publish --dry-run --access public "$t" > "$stage/publish.log" 2>&1; then
    cat "$stage/publish.log" >&2; echo "pack: npm publish --dry-run refused $t" >&2; exit 1
  fi
  grep -qxF "+ $want" "$stage/publish.log" || { cat "$stage/publish.log" >&2; echo "pack: npm publish --dry-run did not publish $want" >&2; exit 1; }
done

ls -l "$out"/*.tgz >&2

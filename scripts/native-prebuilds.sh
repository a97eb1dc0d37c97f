#!/usr/bin/env bash
# Compile better-sqlite3 once per machine, not once per install.
#
# better-sqlite3 (a native module: plugin-backend's dev dependencies and the example app's backend) installs with
# `prebuild-install || node-gyp rebuild`. prebuild-install downloads from GitHub, which CI machines cannot reach, so
# every install compiles SQLite from source (about 2 min of one core on this kind of machine). prebuild-install
# first looks for a local prebuild, `$npm_config_better_sqlite3_local_prebuilds/<name>-v<version>-node-v<abi>-
# <platform>-<arch>.tar.gz`: the Makefile points that variable at .tools/prebuilds/ (git-ignored), and this script
# puts there the binary an install has just compiled, so the next install of the same version for the same Node
# unpacks it instead of compiling. Another version, or another Node ABI, finds no file and compiles as before.
#
#   scripts/native-prebuilds.sh <node_modules dir>    run on the Node the install ran on (its ABI names the file)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
modules=$(cd "${1:?usage: native-prebuilds.sh <node_modules dir>}" && pwd)
out=${npm_config_better_sqlite3_local_prebuilds:-$root/.tools/prebuilds}
pkg=$modules/better-sqlite3
binary=$pkg/build/Release/better_sqlite3.node
[ -f "$binary" ] || exit 0   # not installed there, or not compiled (nothing to keep)

version=$(node -p "require('$pkg/package.json').version")
name="better-sqlite3-v$version-node-v$(node -p process.versions.modules)-$(node -p process.platform)-$(node -p process.arch).tar.gz"
[ -f "$out/$name" ] && exit 0
# The binary must load in this Node (the ABI in the name is this Node's): a broken build is not kept.
node -e "require('$binary')" || { echo "native-prebuilds: $binary does not load in Node $(node --version); not kept" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp "$out/.$name.XXXXXX")
tar -czf "$tmp" -C "$pkg" build/Release/better_sqlite3.node
chmod 644 "$tmp"
mv "$tmp" "$out/$name"
echo "native-prebuilds: kept $out/$name for the next install"

// `npm run ci:install`: idempotent install on a bare machine (npm only).
//  --legacy-peer-deps: @material-ui/core@4 declares React 16/17 peers only (Backstage runs it on React 18).
//  package.json "overrides" pins @yarnpkg/core (its newest version has a patch: dependency npm rejects).
// The root package `asset-id` (a semver range in package.json, as published) is linked from the repository
// root for development: `npm install --no-save ..` (package.json and package-lock.json stay as they are).
// Build it with `make pkg`. The -common package (`@asset-id/backstage-plugin-asset-id-common`, ../plugin-common:
// the HTTP contract) is an exact version in package.json (as published) and linked the same way; its `main` is
// src/index.ts in the tree, so jest and tsc read its source (tsconfig's preserveSymlinks resolves its `asset-id`
// types from this package's node_modules).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PKG_DIR, REPO_DIR } from './demo-lib.mjs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
if (!existsSync(join(REPO_DIR, 'plugin-common', 'package.json'))) {
  console.error('plugin-frontend: ../plugin-common (the -common package, @asset-id/backstage-plugin-asset-id-common) is missing.');
  process.exit(1);
}
const args = ['install', '--no-save', '--no-audit', '--no-fund', '--legacy-peer-deps', '--loglevel=error', '..', '../plugin-common'];
console.log(`plugin-frontend: npm ${args.join(' ')}`);
const r = spawnSync(npm, args, { cwd: PKG_DIR, stdio: 'inherit' });
if (r.status !== 0) {
  console.error(`npm install failed (exit ${r.status})`);
  process.exit(r.status ?? 1);
}
if (!existsSync(join(REPO_DIR, 'pkg/web/asset_id_bg.wasm'))) {
  console.warn('note: the root package is not built yet (no pkg/web/asset_id_bg.wasm): run `make build` at the repository root before testing or running the demo.');
}
console.log('plugin-frontend: dependencies installed');

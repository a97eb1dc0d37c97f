// `npm run ci:install`: idempotent install on a bare machine (npm only).
//  --legacy-peer-deps: @material-ui/core@4 declares React 16/17 peers only (Backstage runs it on React 18).
//  package.json "overrides" pins @yarnpkg/core (its newest version has a patch: dependency npm rejects).
// The root package `asset-id` (a semver range in package.json, as published) is linked from the repository
// root for development: `npm install --no-save ..` (package.json and package-lock.json stay as they are).
// Build it with `make pkg`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PKG_DIR, REPO_DIR } from './demo-lib.mjs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const args = ['install', '--no-save', '--no-audit', '--no-fund', '--legacy-peer-deps', '--loglevel=error', '..'];
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

#!/usr/bin/env node
// Idempotent install for CI and fresh machines: `npm run ci:install`.
//
// - Installs with --legacy-peer-deps (see /work/shared/BACKSTAGE-NOTES.md: @backstage/* peers such as React
//   are not wanted in a backend package; with this flag npm installs no peers, so the ones the tests need
//   are devDependencies).
// - Skips the install when node_modules already matches package.json and package-lock.json (a stamp file
//   holds their hash), so repeated `make test` runs cost nothing.
// - The root package `asset-id` is a `file:..` dependency (a symlink to the repository root), so a rebuilt
//   root package (`make build`) is picked up without reinstalling.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const stamp = join(here, 'node_modules', '.ci-install-stamp');

function digest() {
  const h = createHash('sha256');
  for (const f of ['package.json', 'package-lock.json']) {
    const p = join(here, f);
    h.update(f).update(existsSync(p) ? readFileSync(p) : '');
  }
  return h.digest('hex');
}

const rootPkg = join(here, '..', 'package.json');
if (!existsSync(rootPkg)) {
  console.error('ci:install: ../package.json (the root package asset-id) is missing; this package depends on it.');
  process.exit(1);
}

const want = digest();
const haveBin = existsSync(join(here, 'node_modules', '.bin', 'backstage-cli'));
if (haveBin && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) {
  console.log('ci:install: node_modules is up to date');
} else {
  const args = ['install', '--no-audit', '--no-fund', '--legacy-peer-deps'];
  console.log(`ci:install: npm ${args.join(' ')}`);
  const r = spawnSync('npm', args, { cwd: here, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  writeFileSync(stamp, digest());
}

// The tests load the root package's Node entry; say clearly when it has not been built yet.
try {
  const req = (await import('node:module')).createRequire(join(here, 'package.json'));
  req.resolve('asset-id');
} catch {
  console.warn('ci:install: warning: asset-id does not resolve yet; run `make build` at the repository root before ci:test.');
}

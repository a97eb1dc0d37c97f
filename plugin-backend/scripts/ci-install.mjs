#!/usr/bin/env node
// Idempotent install for CI and fresh machines: `npm run ci:install`.
//
// - Installs with --legacy-peer-deps: @backstage/* peers such as React are not wanted in a backend package;
//   with this flag npm installs no peers, so the ones the tests need are devDependencies (see README,
//   "Development").
// - Skips the install when node_modules already matches package.json, package-lock.json AND the running
//   Node's ABI (a stamp file holds their hash), so repeated `make test` runs cost nothing. Native modules
//   (better-sqlite3 for the catalog's in-memory database) are built for one Node ABI: when the ABI changed
//   (e.g. the tests moved from Node 20 to 22), node_modules is removed and installed again, built against
//   the headers in npm_config_nodedir (the root Makefile points it at the Node it runs).
// - The root package `asset-id` is a semver range in package.json (as published); for development it is linked
//   from the repository root with `npm install --no-save ..` (a symlink; package.json and the lock stay as they
//   are), so a rebuilt root package (`make pkg`) is picked up without reinstalling.
// - The -common package (`@asset-id/backstage-plugin-asset-id-common`, ../plugin-common: the HTTP contract) is
//   an exact version in package.json (as published) and linked the same way (`npm install --no-save
//   ../plugin-common`; the lock records both links). Its `main` is src/index.ts in the tree, so jest and tsc
//   read its source; tsconfig's preserveSymlinks resolves its `asset-id` types from this package's node_modules.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const stamp = join(here, 'node_modules', '.ci-install-stamp');

const abi = `node-abi ${process.versions.modules} ${process.platform}-${process.arch}`;
const abiStamp = join(here, 'node_modules', '.ci-install-abi');

function digest() {
  const h = createHash('sha256');
  h.update(abi);
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

if (!existsSync(join(here, '..', 'plugin-common', 'package.json'))) {
  console.error('ci:install: ../plugin-common (the -common package, @asset-id/backstage-plugin-asset-id-common) is missing.');
  process.exit(1);
}

const want = digest();
const haveBin = existsSync(join(here, 'node_modules', '.bin', 'backstage-cli'));
if (haveBin && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) {
  console.log('ci:install: node_modules is up to date');
} else {
  const builtFor = existsSync(abiStamp) ? readFileSync(abiStamp, 'utf8') : undefined;
  if (builtFor !== undefined && builtFor !== abi) {
    console.log(`ci:install: node_modules was built for ${builtFor}, this is Node ${process.version} (${abi}): reinstalling`);
    rmSync(join(here, 'node_modules'), { recursive: true, force: true });
  } else if (builtFor === undefined && haveBin) {
    console.log(`ci:install: node_modules has no record of the Node it was built for: reinstalling for Node ${process.version}`);
    rmSync(join(here, 'node_modules'), { recursive: true, force: true });
  }
  console.log(`ci:install: Node ${process.version}, npm_config_nodedir=${process.env.npm_config_nodedir ?? '(unset)'}`);
  const args = ['install', '--no-save', '--no-audit', '--no-fund', '--legacy-peer-deps', '..', '../plugin-common'];
  console.log(`ci:install: npm ${args.join(' ')}`);
  const r = spawnSync('npm', args, { cwd: here, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  writeFileSync(abiStamp, abi);
  writeFileSync(stamp, digest());
}

// The tests load the root package's Node entry; say clearly when it has not been built yet.
try {
  const req = (await import('node:module')).createRequire(join(here, 'package.json'));
  req.resolve('asset-id');
} catch {
  console.warn('ci:install: warning: asset-id does not resolve yet; run `make build` at the repository root before ci:test.');
}

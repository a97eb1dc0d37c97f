#!/usr/bin/env node
// `npm run ci:test`: strict type check, then every Jest test, non-interactively. Exit code is meaningful.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const bin = name => join(here, 'node_modules', '.bin', name);
const run = (cmd, args, env = {}) => {
  console.log(`ci:test: ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: here, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

try {
  createRequire(join(here, 'package.json'))('asset-id');
} catch (error) {
  console.error(`ci:test: the root package asset-id cannot be loaded (run \`make build\` at the repository root): ${error.message}`);
  process.exit(1);
}

run(bin('tsc'), ['--noEmit', '-p', '.']);
run(bin('backstage-cli'), ['package', 'test', '--ci', '--runInBand'], { CI: 'true' });

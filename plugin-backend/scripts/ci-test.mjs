#!/usr/bin/env node
// `npm run ci:test`: strict type check, lint, then every Jest test, non-interactively. Exit code is meaningful.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
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
// Backstage's ESLint rules for backend plugins (backstage-cli package lint), the bench included.
run(bin('backstage-cli'), ['package', 'lint', 'src', 'bench']);
// Jest's own summary, plus one plain "N passed, N failed" line for CI logs.
const report = join(mkdtempSync(join(tmpdir(), 'asset-id-backend-')), 'jest.json');
const r = spawnSync(bin('backstage-cli'), ['package', 'test', '--ci', '--runInBand', '--json', `--outputFile=${report}`], {
  cwd: here,
  stdio: 'inherit',
  env: { ...process.env, CI: 'true' },
});
try {
  const j = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = j.numPendingTests + j.numTodoTests;
  console.log(`plugin-backend: ${j.numPassedTests} passed, ${j.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
} catch {
  console.log('plugin-backend: no Jest report (see the output above)');
}
process.exit(r.status ?? 1);

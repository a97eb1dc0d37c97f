// `npm run ci:test`: every test of plugin-frontend, non-interactive; exit code 0 only if all pass.
//   1. tsc (strict) + backstage-cli package build of the plugin
//   2. Jest (backstage-cli package test): policy, validator, component, scaffolder form, NFS module, template
//   3. app build check: backstage-cli builds a minimal app importing the plugin; .wasm emitted and working
//   4. e2e: the demo in headless Chromium (node:test)
// Prints one closing line with the summed test counts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PKG_DIR, checkInstalled } from './demo-lib.mjs';
import { CHROMIUM } from '../e2e/browser.mjs';

const problems = checkInstalled();
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  console.error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH): the app-build and e2e checks need it.`);
  process.exit(2);
}

const bin = name => join(PKG_DIR, 'node_modules/.bin', name);
function run(label, args, env = {}) {
  console.log(`\n=== ${label}: ${args.map(a => a.replace(PKG_DIR + '/', '')).join(' ')}`);
  return new Promise(resolve => {
    const child = spawn(process.execPath, args, {
      cwd: PKG_DIR,
      env: { ...process.env, CI: 'true', FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', d => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', d => {
      out += d;
      process.stderr.write(d);
    });
    child.on('exit', code => resolve({ label, code: code ?? 1, out }));
  });
}

const counts = { passed: 0, failed: 0, skipped: 0 };
const results = [];
function tally(r, parse) {
  results.push(r);
  const c = parse(r.out);
  counts.passed += c.passed;
  counts.failed += c.failed;
  counts.skipped += c.skipped ?? 0;
  if (r.code !== 0 && c.failed === 0) counts.failed += 1; // a step that failed without a test failing
}
const num = (out, re) => Number((out.match(re) ?? [])[1] ?? 0);

tally(await run('tsc', [bin('tsc'), '-p', '.']), o => ({ passed: 0, failed: 0 }));
tally(await run('package build', [bin('backstage-cli'), 'package', 'build']), () => ({ passed: 0, failed: 0 }));
tally(await run('jest', [bin('backstage-cli'), 'package', 'test', '--ci']), o => {
  const line = (o.match(/^Tests:.*$/m) ?? [''])[0];
  return { passed: num(line, /(\d+) passed/), failed: num(line, /(\d+) failed/), skipped: num(line, /(\d+) skipped/) };
});
tally(await run('app build', [join(PKG_DIR, 'scripts/check-build.mjs')]), o => ({
  passed: num(o, /^(\d+) passed, \d+ failed$/m),
  failed: num(o, /^\d+ passed, (\d+) failed$/m),
}));
tally(await run('e2e', ['--test', '--test-concurrency=1', '--test-reporter=spec', join(PKG_DIR, 'e2e/demo.e2e.test.mjs')]), o => ({
  passed: num(o, /ℹ pass (\d+)/),
  failed: num(o, /ℹ fail (\d+)/),
}));

console.log('\n=== plugin-frontend ci:test summary');
for (const r of results) console.log(`  ${r.code === 0 ? 'ok    ' : 'FAILED'} ${r.label}`);
console.log(`frontend: ${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`);
process.exit(results.every(r => r.code === 0) ? 0 : 1);

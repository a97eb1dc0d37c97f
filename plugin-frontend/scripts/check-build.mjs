// Proves the asset-id WASM survives a Backstage app build: builds e2e/app-build (a minimal app that
// imports this plugin by package name) with `backstage-cli package build` (rspack), checks that the
// .wasm is emitted byte-identical to the asset-id package's, that a JS chunk references it, and that
// the built app, served statically, validates an ID in headless Chromium.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { PKG_DIR, serveStatic, startBackendStandIn } from './demo-lib.mjs';

const APP_DIR = join(PKG_DIR, 'e2e/app-build');
const DIST = join(APP_DIR, 'dist');
const PORT = Number(process.env.ASSET_ID_BUILD_CHECK_PORT ?? 3100);
let failures = 0;
let passes = 0;
const check = (ok, what) => {
  console.log(`${ok ? 'ok' : 'not ok'} - ${what}`);
  if (ok) passes += 1;
  else failures += 1;
};

function walk(dir) {
  return readdirSync(dir).flatMap(name => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
const sha = buf => createHash('sha256').update(buf).digest('hex');

// 1. build with Backstage's own tooling
const link = join(APP_DIR, 'node_modules/@asset-id/backstage-plugin-scaffolder-asset-id');
if (!existsSync(link)) {
  mkdirSync(resolve(link, '..'), { recursive: true });
  symlinkSync(relative(resolve(link, '..'), PKG_DIR), link);
}
rmSync(DIST, { recursive: true, force: true });
const sourceAtStart = sha(readFileSync(createRequire(join(PKG_DIR, 'package.json')).resolve('asset-id/format/asset_id_bg.wasm')));
const t0 = Date.now();
const build = spawnSync(
  process.execPath,
  [join(PKG_DIR, 'node_modules/.bin/backstage-cli'), 'package', 'build', '--config', '../../app-config.yaml'],
  { cwd: APP_DIR, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=4096' } },
);
check(build.status === 0, `backstage-cli package build of e2e/app-build (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
if (build.status !== 0) {
  console.error(build.stdout.slice(-3000), build.stderr.slice(-3000));
  process.exit(1);
}

// 2. the .wasm is emitted, identical to the package's, and referenced by the bundle
const files = walk(DIST);
const wasmFiles = files.filter(f => f.endsWith('.wasm'));
const sourcePath = createRequire(join(PKG_DIR, 'package.json')).resolve('asset-id/format/asset_id_bg.wasm');
const source = readFileSync(sourcePath);
if (sha(source) !== sourceAtStart) {
  console.error('note: asset-id (pkg/) was rebuilt while the app was being built; rerun this check');
}
check(wasmFiles.length === 1, `exactly one .wasm emitted: ${wasmFiles.map(f => relative(APP_DIR, f)).join(', ')}`);
const wasm = wasmFiles[0];
check(wasm && sha(readFileSync(wasm)) === sha(source), `the emitted .wasm is asset-id's asset_id_bg.wasm (${source.length} bytes)`);
const wasmName = wasm ? wasm.split('/').pop() : '<none>';
const referencing = files.filter(f => f.endsWith('.js') && readFileSync(f, 'utf8').includes(wasmName));
check(referencing.length > 0, `a JS chunk references ${wasmName} (${referencing.map(f => relative(DIST, f)).join(', ')})`);
const schema = JSON.parse(readFileSync(join(DIST, '.config-schema.json'), 'utf8'));
check(
  !schema.schemas.some(s => s.packageName === '@asset-id/backstage-plugin-scaffolder-asset-id'),
  'the plugin brings no frontend config schema (the assetId policy stays on the backend)',
);
// app-config.yaml's assetId section (a scheme description only it holds) must not be in what the browser gets
const POLICY_MARKER = 'cmdb_ci_business_app.number';
const leaking = files.filter(f => /\.(js|html|json)$/.test(f) && readFileSync(f, 'utf8').includes(POLICY_MARKER));
check(
  readFileSync(join(PKG_DIR, 'app-config.yaml'), 'utf8').includes(POLICY_MARKER) && leaking.length === 0,
  `the app-config assetId section is not in the built app (${leaking.map(f => relative(DIST, f)).join(', ') || 'no file holds it'})`,
);

// 3. the built app works: serve dist/ statically, open it in headless Chromium, type an ID
const server = await serveStatic(DIST, PORT);
const backend = await startBackendStandIn();
const { launchBrowser, field, waitForState } = await import('../e2e/browser.mjs');
const browser = await launchBrowser();
try {
  const { page } = browser;
  let wasmRequests = 0;
  page.on('response', r => {
    if (r.url().endsWith('.wasm') && r.ok()) wasmRequests += 1;
  });
  await page.goto(`http://localhost:${PORT}/asset-id`);
  const { input } = field(page);
  await input.waitFor({ timeout: 60_000 });
  await page.waitForSelector('[data-testid=validate-asset][data-ready=true]', { timeout: 30_000 });
  check(wasmRequests === 1, 'the built app fetched the .wasm once');
  await input.fill('apm-0001234');
  const text = await waitForState(page, 'valid');
  check(/Payments Gateway/.test(text), `the built app validates and looks up an ID: "${text}"`);
  check(
    backend.stats.policy >= 1 && backend.stats.validate >= 1 && backend.stats.paths.every(p => p.startsWith('/api/asset-id/') || p.startsWith('/api/auth/')),
    `the built app asked only the asset-id backend plugin, besides the guest sign-in (${[...new Set(backend.stats.paths)].join(', ')})`,
  );
} catch (error) {
  check(false, `built app in Chromium: ${error.message.split('\n')[0]}`);
} finally {
  await browser.close();
  await backend.close();
  await server.close();
}
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);

// After `yarn build:all` in examples/backstage-app (make app-build): the production builds of both apps on
// the packed packages (packages/app: new frontend system; packages/app-legacy: legacy) each emit the asset-id
// .wasm exactly once, byte-identical to the package's format build (asset-id/format: the frontend ships
// only it, never the full build's), referenced from the bundle; nothing of app-config's
// `assetId` (backend-only) is in the app's config schema or bundle; each app's bundle carries the coverage page
// (/asset-id); the backend bundle is built.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const app = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'backstage-app');
for (const pkg of ['app', 'app-legacy']) {
  const dist = join(app, 'packages', pkg, 'dist');
  const files = readdirSync(dist, { recursive: true }).map(String);

  test(`packages/${pkg}: the app build emits only the format build's .wasm, once, as shipped in the package, and the bundle loads it`, () => {
    const wasm = files.filter(f => f.endsWith('.wasm'));
    assert.equal(wasm.length, 1, `one .wasm in packages/${pkg}/dist, found: ${wasm.join(', ')}`);
    const emitted = readFileSync(join(dist, wasm[0]));
    const shipped = readFileSync(join(app, 'node_modules', 'asset-id', 'pkg', 'format', 'asset_id_bg.wasm'));
    const full = readFileSync(join(app, 'node_modules', 'asset-id', 'pkg', 'web', 'asset_id_bg.wasm'));
    assert.ok(!emitted.equals(full), 'the full build (asset-id/pkg/web) is not shipped');
    assert.ok(emitted.equals(shipped), 'byte-identical to asset-id/pkg/format/asset_id_bg.wasm');
    // No lookup engine in the browser: the bundle has no transport code of the full build.
    for (const f of files.filter(f => f.endsWith('.js'))) {
      assert.doesNotMatch(readFileSync(join(dist, f), 'utf8'), /validateEntities|whenAborted/, `packages/${pkg}/dist/${f} carries the full build's glue`);
    }
    const name = wasm[0].split('/').pop();
    const referencing = files.filter(f => f.endsWith('.js') && readFileSync(join(dist, f), 'utf8').includes(name));
    assert.ok(referencing.length >= 1, `${name} is referenced from the bundle`);
  });

  test(`packages/${pkg}: the bundle carries the coverage page (/asset-id) and its request to /v1/coverage`, () => {
    const js = files.filter(f => f.endsWith('.js')).map(f => readFileSync(join(dist, f), 'utf8'));
    assert.ok(js.some(t => t.includes('asset-id-coverage-share')), `no chunk of packages/${pkg}/dist holds the coverage page`);
    assert.ok(js.some(t => t.includes('/v1/coverage')), `no chunk of packages/${pkg}/dist asks /v1/coverage`);
  });

  test(`packages/${pkg}: no assetId configuration reaches the browser (backend-only config)`, () => {
    // The frontend package declares no config schema; app-config's `assetId` (the policy, the CMDB's records
    // and URLs, credentials) is read by the asset-id backend plugin only.
    const schema = readFileSync(join(dist, '.config-schema.json'), 'utf8');
    assert.doesNotMatch(schema, /"assetId"/);
    for (const f of files.filter(f => /\.(js|html|json)$/.test(f))) {
      const text = readFileSync(join(dist, f), 'utf8');
      for (const secretish of ['team-payments', 'cmdb.example.com']) {
        assert.ok(!text.includes(secretish), `packages/${pkg}/dist/${f} contains ${secretish} (from app-config assetId)`);
      }
    }
  });
}

test('the backend bundle is built', () => {
  assert.ok(existsSync(join(app, 'packages', 'backend', 'dist', 'bundle.tar.gz')));
});

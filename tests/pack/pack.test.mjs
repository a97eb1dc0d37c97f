// `make test-pack`: the four tarballs of `make pack` (dist-packages/) install as published.
// They are installed together, with npm, into a scratch folder (as an adopter's project would get them
// from the registry), then each package.json and entry point is checked.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = process.env.ASSET_ID_PACKAGES ?? join(repo, 'dist-packages');

const PACKAGES = {
  root: 'asset-id',
  frontend: '@asset-id/backstage-plugin-scaffolder-asset-id',
  backend: '@asset-id/backstage-plugin-asset-id-backend',
  common: '@asset-id/backstage-plugin-asset-id-common',
};
// The versions Backstage 1.55.0 (create-app 0.9.2) installs of the @backstage packages the plugins use
// (examples/backstage-app/yarn.lock). Every @backstage range of the packed plugins must admit them, so a
// 1.55 app gets no second copy.
const BACKSTAGE_1_55 = {
  '@backstage/backend-plugin-api': '1.12.0',
  '@backstage/backend-defaults': '0.18.0',
  '@backstage/catalog-client': '1.16.4',
  '@backstage/catalog-model': '1.10.3',
  '@backstage/config': '1.3.11',
  '@backstage/errors': '1.4.0',
  '@backstage/types': '1.2.2',
  '@backstage/plugin-catalog-common': '1.2.2',
  '@backstage/plugin-catalog-node': '3.0.0',
  '@backstage/plugin-scaffolder-node': '1.0.0',
  '@backstage/core-components': '0.18.16',
  '@backstage/core-plugin-api': '1.13.0',
  '@backstage/frontend-plugin-api': '1.0.0',
  '@backstage/plugin-scaffolder': '1.41.0',
  '@backstage/plugin-scaffolder-react': '3.0.0',
  '@backstage/plugin-catalog-react': '4.0.0',
};
const PEERS_ONLY = ['react', 'react-dom', 'react-router-dom', 'react-router'];

let scratch;
let req;
let semver;
const manifests = {};

before(() => {
  const tarballs = readdirSync(dist).filter(f => f.endsWith('.tgz'));
  assert.equal(tarballs.length, 4, `expected 4 tarballs in ${dist} (make pack), found: ${tarballs.join(', ')}`);
  scratch = mkdtempSync(join(tmpdir(), 'asset-id-pack-'));
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', version: '0.0.0', private: true }));
  // --legacy-peer-deps: @material-ui/core@4 (a Backstage dependency) declares React 16/17 peers only.
  // --ignore-scripts: native parts of Backstage's dependencies are not needed to resolve entry points.
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--legacy-peer-deps', '--ignore-scripts', '--prefer-offline', '--loglevel=error',
      ...tarballs.map(t => join(dist, t))],
    { cwd: scratch, stdio: 'inherit' },
  );
  req = createRequire(join(scratch, 'package.json'));
  for (const [key, name] of Object.entries(PACKAGES)) {
    manifests[key] = JSON.parse(readFileSync(join(scratch, 'node_modules', name, 'package.json'), 'utf8'));
  }
  // semver arrives with the Backstage dependencies; it is what npm and yarn match ranges with.
  semver = req('semver');
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

for (const key of Object.keys(PACKAGES)) {
  test(`${PACKAGES[key]}: publishable package.json`, () => {
    const m = manifests[key];
    assert.notEqual(m.private, true, 'private');
    assert.ok(m.engines?.node, 'engines.node is set');
    for (const v of ['22.0.0', '22.12.0', '24.0.0', '24.11.0']) {
      assert.ok(semver.satisfies(v, m.engines.node), `engines.node ${m.engines.node} admits Node ${v}`);
    }
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, spec] of Object.entries(m[field] ?? {})) {
        assert.doesNotMatch(spec, /^(file|link|portal|workspace):/, `${field}.${dep} = ${spec}`);
        assert.ok(semver.validRange(spec), `${field}.${dep} = ${spec} is a semver range`);
      }
    }
    const exportsText = JSON.stringify(m.exports ?? {}) + JSON.stringify(m.typesVersions ?? {});
    assert.doesNotMatch(exportsText, /src\/[^"]*\.tsx?"/, 'exports/typesVersions point at src/*.ts');
    for (const f of ['main', 'types', 'module']) {
      if (m[f]) assert.doesNotMatch(m[f], /^(\.\/)?src\//, `${f} = ${m[f]}`);
    }
  });
}

test('the plugins depend on asset-id by a semver range that the packed root package satisfies', () => {
  for (const key of ['frontend', 'backend']) {
    const spec = manifests[key].dependencies['asset-id'];
    assert.ok(spec, `${PACKAGES[key]} depends on asset-id`);
    assert.ok(semver.satisfies(manifests.root.version, spec), `asset-id ${manifests.root.version} satisfies ${spec}`);
  }
});

test('@backstage ranges admit Backstage 1.55 (no exact pins on older releases); React and friends are peers', () => {
  for (const key of ['frontend', 'backend']) {
    const m = manifests[key];
    for (const [dep, spec] of Object.entries(m.dependencies ?? {})) {
      if (!dep.startsWith('@backstage/')) continue;
      const v = BACKSTAGE_1_55[dep];
      assert.ok(v, `${PACKAGES[key]}: ${dep} is not in this test's Backstage 1.55 table; add it`);
      assert.ok(semver.satisfies(v, spec), `${PACKAGES[key]}: ${dep} ${spec} admits ${v} (Backstage 1.55)`);
    }
    for (const p of PEERS_ONLY) {
      assert.equal(m.dependencies?.[p], undefined, `${PACKAGES[key]}: ${p} is a dependency (must be a peer)`);
    }
  }
  for (const p of ['react', 'react-dom', 'react-router-dom']) {
    assert.ok(manifests.frontend.peerDependencies?.[p], `frontend: ${p} is a peer`);
    assert.ok(semver.satisfies('18.3.1', manifests.frontend.peerDependencies.react), 'react peer admits 18');
  }
});

test('Backstage packages carry built dist/ and their Backstage metadata', () => {
  for (const key of ['frontend', 'backend', 'common']) {
    const m = manifests[key];
    assert.ok(m.backstage?.role, 'backstage.role');
    assert.ok(m.backstage?.pluginId, 'backstage.pluginId');
    // A module names the plugin it extends (pluginPackage); a plugin lists its packages (pluginPackages).
    assert.ok(m.backstage?.pluginPackage ?? m.backstage?.pluginPackages?.length, 'backstage.pluginPackage(s)');
    const resolvedMain = join(scratch, 'node_modules', PACKAGES[key], m.main);
    assert.match(m.main, /^(\.\/)?dist\//, `${key} main is in dist/`);
    assert.ok(existsSync(resolvedMain), `${resolvedMain} exists`);
    assert.ok(existsSync(join(scratch, 'node_modules', PACKAGES[key], m.types)), `${key} types exist`);
    if (m.configSchema) {
      assert.ok(existsSync(join(scratch, 'node_modules', PACKAGES[key], m.configSchema)), `${key} configSchema exists`);
    }
  }
});

test('asset-id: require() and import() of the Node entry validate an ID', async () => {
  const cjs = req('asset-id');
  const esm = await import(pathToFileURL(req.resolve('asset-id')).href.replace(/node\.cjs$/, 'node.mjs'));
  const policy = { schemes: [{ name: 'business-app', pattern: 'APM\\d{7}', normalize: ['trim', 'uppercase', 'strip-hyphens'] }] };
  for (const mod of [cjs, esm]) {
    await mod.ready();
    const v = new mod.AssetIdValidator(policy);
    const verdict = v.checkFormat(' apm-0001234 ');
    assert.equal(verdict.valid, true);
    assert.equal(verdict.value, 'APM0001234');
  }
  const out = execFileSync(process.execPath, ['--input-type=module', '-e',
    "import { ready, AssetIdValidator } from 'asset-id'; await ready(); const v = new AssetIdValidator({ schemes: [{ name: 'x', pattern: 'X\\\\d' }] }); console.log(JSON.stringify(v.checkFormat('X1')));"],
  { cwd: scratch, encoding: 'utf8' });
  assert.equal(JSON.parse(out).valid, true);
  assert.ok(existsSync(req.resolve('asset-id/asset_id_bg.wasm')), 'asset-id/asset_id_bg.wasm resolves');
  const web = req.resolve('asset-id/web');
  assert.match(web, /js\/web\.js$/);
});

test('asset-id/format: require(), import() and a bundler\'s resolution give the format build', async () => {
  const policy = { schemes: [{ name: 'business-app', pattern: 'APM\\d{7}', normalize: ['trim', 'uppercase'] }] };
  const cjs = req('asset-id/format');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e',
    "import { ready, AssetIdValidator } from 'asset-id/format'; await ready(); const v = new AssetIdValidator({ schemes: [{ name: 'x', pattern: 'X\\\\d' }] }); console.log(JSON.stringify([v.checkFormat('X1').valid, typeof v.validate]));"],
  { cwd: scratch, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), [true, 'undefined']);
  const v = new cjs.AssetIdValidator(policy);
  assert.equal(v.checkFormat(' apm0001234 ').value, 'APM0001234');
  assert.equal(v.validate, undefined, 'no lookup in the format build');
  // A bundler (browser conditions: no `node`) resolves the subpath to js/format.js, which imports
  // only the format build; its .wasm is the one the subpath exports.
  const rootDir = join(scratch, 'node_modules', 'asset-id');
  const entry = manifests.root.exports['./format'];
  assert.equal(entry.default, './js/format.js');
  assert.ok(existsSync(join(rootDir, entry.types)), entry.types);
  const code = readFileSync(join(rootDir, entry.default), 'utf8');
  const imports = [...code.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
  assert.ok(imports.length > 0 && imports.every((i) => i.startsWith('../pkg/format/') || i === './loader.js'), imports.join(', '));
  for (const i of imports) assert.ok(existsSync(join(rootDir, 'js', i)), i);
  assert.equal(req.resolve('asset-id/format/asset_id_bg.wasm'), join(rootDir, 'pkg/format/asset_id_bg.wasm'));
  // Instantiated from those bytes as a browser would (the ESM build), it validates.
  const esm = await import(pathToFileURL(join(rootDir, entry.default)).href);
  esm.initSync(readFileSync(join(rootDir, 'pkg/format/asset_id_bg.wasm')));
  assert.equal(new esm.AssetIdValidator(policy).checkFormat('apm0001234').valid, true);
});

test('the -common package: a common-library whose CommonJS and ES entries give the contract; the plugins depend on its exact version', async () => {
  const m = manifests.common;
  assert.equal(m.backstage.role, 'common-library');
  assert.equal(m.backstage.pluginId, 'asset-id');
  assert.equal(m.peerDependencies?.['asset-id'], `^${manifests.root.version}`, 'asset-id is a peer (types only)');
  assert.deepEqual(Object.keys(m.dependencies ?? {}), [], 'no dependencies of its own');
  const cjs = req(PACKAGES.common);
  const esm = await import(pathToFileURL(join(scratch, 'node_modules', PACKAGES.common, m.module)).href);
  for (const mod of [cjs, esm]) {
    assert.deepEqual(
      [mod.MAX_BODY_BYTES, mod.MAX_VALUES, mod.MAX_SCHEME_NAMES, mod.MAX_QUERY_CHARS, mod.MAX_SEARCH_LIMIT, mod.ASSET_ID_PLUGIN_ID],
      [65536, 100, 64, 64, 50, 'asset-id'],
    );
    assert.deepEqual([...mod.BACKEND_ONLY_KEYS].sort(), ['backend', 'cache', 'credentials', 'processor']);
  }
  const types = readFileSync(join(scratch, 'node_modules', PACKAGES.common, m.types), 'utf8');
  for (const name of ['ValidateResponse', 'SearchResponse', 'PolicyResponse', 'CoverageResponse']) {
    assert.match(types, new RegExp(`interface ${name}\\b`), `${m.types} declares ${name}`);
  }
  // Published manifests name it by its exact version, as the registry will hold it (never file:).
  assert.equal(manifests.backend.dependencies[PACKAGES.common], m.version);
  const fromFrontend = manifests.frontend.dependencies?.[PACKAGES.common];
  if (fromFrontend !== undefined) assert.equal(fromFrontend, m.version);
  // The backend's published entry loads it (the limits it enforces are the contract's).
  assert.equal(req(PACKAGES.backend).MAX_VALUES, cjs.MAX_VALUES);
});

test('backend plugin: require() of the published entry gives the plugin and both backend modules', () => {
  const mod = req(PACKAGES.backend);
  assert.equal(typeof mod.default, 'object', 'default export (the plugin and both modules)');
  for (const name of ['assetIdPlugin', 'scaffolderModuleAssetId', 'catalogModuleAssetId']) {
    assert.equal(mod[name]?.$$type, '@backstage/BackendFeature', `${name} is a BackendFeature`);
  }
});

test('backend ./tech-insights: built into dist/, its Tech Insights package an optional peer the main entry never loads', () => {
  const m = manifests.backend;
  const target = m.exports?.['./tech-insights'];
  const file = typeof target === 'string' ? target : target?.require ?? target?.default;
  assert.match(file ?? '', /^\.\/dist\/.*\.js$/, `exports["./tech-insights"] -> ${JSON.stringify(target)}`);
  assert.ok(existsSync(join(scratch, 'node_modules', PACKAGES.backend, file)), `${file} exists`);
  const peer = '@backstage-community/plugin-tech-insights-node';
  assert.ok(semver.validRange(m.peerDependencies?.[peer]), `peerDependencies.${peer}`);
  assert.deepEqual(m.peerDependenciesMeta?.[peer], { optional: true });
  assert.equal(m.dependencies?.[peer], undefined, 'not a dependency');
  // The scratch install has no Tech Insights: the main entry loads (tested above), the subpath names what is missing.
  assert.equal(existsSync(join(scratch, 'node_modules', peer)), false);
  assert.throws(() => req(`${PACKAGES.backend}/tech-insights`), new RegExp(`Cannot find module '${peer}'`));
});

test('frontend plugin: the entry points resolve to dist/ and import asset-id by name', () => {
  const m = manifests.frontend;
  for (const sub of ['.', './alpha']) {
    const target = m.exports[sub];
    const file = typeof target === 'string' ? target : target.import ?? target.default;
    assert.match(file, /^\.\/dist\/.*\.js$/, `exports["${sub}"] -> ${file}`);
    const abs = join(scratch, 'node_modules', PACKAGES.frontend, file);
    assert.ok(existsSync(abs), `${abs} exists`);
    const types = typeof target === 'string' ? null : target.types;
    if (types) assert.ok(existsSync(join(scratch, 'node_modules', PACKAGES.frontend, types)), `${types} exists`);
  }
  // The bundle imports the root package by its name, so the app's bundler resolves its browser entry.
  const dir = join(scratch, 'node_modules', PACKAGES.frontend, 'dist');
  const files = readdirSync(dir, { recursive: true }).filter(f => String(f).endsWith('.js')).map(String);
  const all = files.map(f => readFileSync(join(dir, f), 'utf8')).join('\n');
  // Only the format entry: the field and the card ship the format build's .wasm, never the full one.
  assert.match(all, /from 'asset-id\/format'/);
  assert.doesNotMatch(all, /from 'asset-id'/);
  assert.doesNotMatch(all, /file:/);
  // every relative import resolves inside the package's dist/
  for (const f of files) {
    const code = readFileSync(join(dir, f), 'utf8');
    for (const [, spec] of code.matchAll(/(?:from |import\()'(\.{1,2}\/[^']+)'/g)) {
      const target = join(dirname(join(dir, f)), spec);
      assert.ok(target.startsWith(dir + '/') && existsSync(target), `dist/${f}: relative import ${spec} out of dist/ or missing`);
    }
  }
  // The browser entry of asset-id/format (what the bundler picks) exists next to its .wasm.
  const rootDir = join(scratch, 'node_modules', 'asset-id');
  assert.ok(existsSync(join(rootDir, manifests.root.exports['./format'].default)));
  assert.ok(existsSync(join(rootDir, 'pkg/format/asset_id_bg.wasm')));
});

// A release publishes these tarballs with `npm publish --provenance` (.github/workflows/publish.yml): the registry
// refuses a package whose repository.url is not the repository that built it, and the four share one version
// (a fixed Changesets group, scripts/versions.mjs) with the crate.
test('publishable as one release: one repository, one version, the crate\'s', () => {
  const cargo = readFileSync(join(repo, 'Cargo.toml'), 'utf8');
  const crate = /^\[package\][^[]*?^version = "([^"]+)"$/ms.exec(cargo)[1];
  const url = /^repository = "([^"]+)"$/m.exec(cargo)[1];
  for (const [key, m] of Object.entries(manifests)) {
    assert.equal(m.version, crate, `${PACKAGES[key]}: version ${m.version}, the crate ${crate}`);
    assert.equal(m.repository?.url, url, `${PACKAGES[key]}: repository.url`);
    if (key !== 'root') assert.equal(m.repository.directory, `plugin-${key}`);
    if (key !== 'root') assert.equal((key === 'common' ? m.peerDependencies : m.dependencies)['asset-id'], `^${crate}`);
  }
});

// The catalog rules through the BUILT npm package: the shared suite (tests/cases/catalog.json)
// with checkEntity and validateEntities, hostile entities (the entity is read, never walked or
// trusted), the status of an outage, and errors that keep their code and path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ready, AssetIdValidator } from 'asset-id';
import * as formatEntry from 'asset-id/format';
import { catalog, expectEntityCheck } from './suite.mjs';

await ready();
await formatEntry.ready();

const A = catalog.annotation;
const validators = new Map(Object.entries(catalog.policies).map(([k, p]) => [k, new AssetIdValidator(p)]));
const system = (value) => ({ apiVersion: 'backstage.io/v1alpha1', kind: 'System', metadata: { name: 'x', annotations: { [A]: value } } });

test('the suite has its cases', () => {
  assert.ok(catalog.cases.length >= 40, String(catalog.cases.length));
});

test('catalog cases (checkEntity; lookup policies through validateEntities)', async () => {
  for (const c of catalog.cases) {
    const v = validators.get(c.policy);
    const looked = catalog.policies[c.policy].lookup !== undefined;
    const got = looked ? (await v.validateEntities([c.entity]))[0] : v.checkEntity(c.entity);
    expectEntityCheck(c, got);
  }
});

test('catalog cases on the format build (asset-id/format): checkEntity, policies without a lookup', () => {
  let n = 0;
  for (const c of catalog.cases) {
    if (catalog.policies[c.policy].lookup !== undefined) continue;
    expectEntityCheck(c, new formatEntry.AssetIdValidator(catalog.policies[c.policy]).checkEntity(c.entity));
    n += 1;
  }
  assert.ok(n >= 30, String(n));
});

test('validateEntities gives every case its check, in input order, in one call per policy', async () => {
  for (const [name, v] of validators) {
    const cases = catalog.cases.filter((c) => c.policy === name);
    const checks = await v.validateEntities(cases.map((c) => c.entity));
    assert.equal(checks.length, cases.length);
    cases.forEach((c, i) => expectEntityCheck(c, checks[i]));
  }
});

test('schemeNames come from the policy, in order', () => {
  assert.deepEqual(validators.get('required').schemeNames(), ['business-app', 'business-service']);
  assert.deepEqual(validators.get('linked').schemeNames(), ['anything']);
});

test('hostile entities: only own data properties are read, no getter runs, size does not matter', () => {
  const v = validators.get('required');
  let ran = 0;
  const getter = { get() { ran += 1; return 'APM0000001'; }, enumerable: true };
  const annotations = Object.defineProperty({}, A, getter);
  const withGetter = { apiVersion: 'backstage.io/v1alpha1', kind: 'System', metadata: { annotations } };
  assert.equal(v.checkEntity(withGetter).status, 'missing_annotation');
  const inherited = { ...withGetter, metadata: { annotations: Object.create({ [A]: 'APM0000001' }) } };
  assert.equal(v.checkEntity(inherited).status, 'missing_annotation');
  const kindGetter = Object.defineProperty({ apiVersion: 'backstage.io/v1alpha1', metadata: {} }, 'kind', { get() { ran += 1; return 'System'; } });
  assert.equal(v.checkEntity(kindGetter).checked, false);
  const throwing = new Proxy({}, { get() { throw new Error('trap'); }, getOwnPropertyDescriptor() { throw new Error('trap'); } });
  assert.equal(v.checkEntity(throwing).checked, false);
  assert.equal(v.checkEntity({ ...system('APM0000001'), metadata: throwing }).status, 'missing_annotation');
  assert.equal(ran, 0);
  // A huge entity costs what its three fields cost; a huge value is too_long, as in checkFormat.
  const big = system('APM0000001');
  big.spec = { blob: 'x'.repeat(1 << 20), many: Array.from({ length: 100000 }, (_, i) => i) };
  assert.equal(v.checkEntity(big).status, 'valid');
  assert.equal(v.checkEntity(system('A'.repeat(1 << 20))).status, 'too_long');
  for (const x of [undefined, null, 0, '', Symbol('s'), 10n, () => 1, [], new Map()]) {
    assert.equal(v.checkEntity(x).checked, false, String(typeof x));
  }
  for (const x of [Symbol('s'), 10n, () => 1]) assert.equal(v.checkEntity(system(x)).status, 'invalid_type');
});

test('status: unavailable during an outage, whatever onUnavailable says; never a cached valid turned bad', async () => {
  const failing = () => Promise.reject(new Error('connection refused'));
  for (const onUnavailable of ['error', 'warning']) {
    const v = new AssetIdValidator({
      schemes: catalog.policies.required.schemes,
      lookup: { source: 'http', http: { url: 'https://cmdb.example/assets/{id}' }, onUnavailable },
      catalog: { annotation: A },
    });
    const [down, missing, malformed] = await v.validateEntities(
      [system('APM0000001'), { apiVersion: 'backstage.io/v1alpha1', kind: 'System', metadata: {} }, system('APM1')],
      { fetch: failing },
    );
    assert.equal(down.status, 'unavailable', onUnavailable);
    assert.deepEqual(down.issues.map((i) => [i.code, i.severity]), [['lookup_unavailable', onUnavailable]]);
    assert.equal(down.value, onUnavailable === 'warning' ? 'APM0000001' : null);
    assert.equal(missing.status, 'missing_annotation');
    assert.equal(malformed.status, 'pattern_mismatch');
  }
});

test('errors keep their code (and path) on every method', async () => {
  assert.throws(
    () => new AssetIdValidator({ schemes: [{ name: 'a', pattern: '(' }] }),
    (e) => e instanceof Error && e.code === 'invalid_policy' && e.path === 'schemes[0].pattern',
  );
  assert.throws(
    () => new AssetIdValidator({ schemes: [{ name: 'a', pattern: 'A' }], lookup: { source: 'none', recordUrl: 'ftp://x/{id}' } }),
    (e) => e.code === 'invalid_policy' && e.path === 'lookup.recordUrl',
  );
  const v = validators.get('required');
  assert.throws(() => v.checkFormat('x', { scheme: 'nope' }), (e) => e instanceof Error && e.code === 'unknown_scheme');
  assert.throws(() => v.checkFormat('x', { scheme: 7 }), (e) => e instanceof TypeError && e.code === 'invalid_argument');
  assert.throws(() => v.checkFormatMany('x'), (e) => e instanceof TypeError && e.code === 'invalid_argument');
  await assert.rejects(v.validateMany('x'), (e) => e instanceof TypeError && e.code === 'invalid_argument');
  await assert.rejects(v.validateEntities({}), (e) => e instanceof TypeError && e.code === 'invalid_argument');
  await assert.rejects(v.validateEntities([system('x')], { scheme: 'nope' }), (e) => e.code === 'unknown_scheme');
  const noAnnotation = new AssetIdValidator({ schemes: [{ name: 'a', pattern: 'A' }] });
  assert.throws(() => noAnnotation.checkEntity(system('A')), (e) => e.code === 'invalid_policy' && e.path === 'catalog.annotation');
});

test('checkEntity and validateEntities take the scheme option (a name or a list)', async () => {
  const v = validators.get('required');
  assert.equal(v.checkEntity(system('BSN0001001'), { scheme: ['business-service'] }).status, 'valid');
  assert.equal(v.checkEntity(system('BSN0001001'), { scheme: 'business-app' }).status, 'pattern_mismatch');
  assert.equal(v.checkEntity(system('BSN0001001'), { scheme: ['business-app', 'business-service'] }).status, 'valid');
  const [one] = await v.validateEntities([system('APM0001234')], { scheme: ['business-service'] });
  assert.equal(one.status, 'pattern_mismatch');
  // a caller's mistake whatever the entity (even one without the annotation)
  const bare = { apiVersion: 'backstage.io/v1alpha1', kind: 'System', metadata: { name: 'x' } };
  assert.throws(() => v.checkEntity(bare, { scheme: ['nope'] }), (e) => e.code === 'unknown_scheme');
  assert.throws(() => v.checkEntity(bare, { scheme: [] }), (e) => e instanceof TypeError && e.code === 'invalid_argument');
  await assert.rejects(v.validateEntities([bare], { scheme: [] }), (e) => e.code === 'invalid_argument');
});

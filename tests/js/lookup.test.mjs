// The lookup suite (tests/cases/lookup.json) against the BUILT npm package and the fake CMDB.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AssetIdValidator } from 'asset-id';
import { startFakeCmdb } from '../support/fake-cmdb.mjs';
import { lookup, idsOf, lookupPolicy, expectLookup } from './suite.mjs';

let cmdb;
before(async () => {
  cmdb = await startFakeCmdb({ port: 0 });
});
after(() => cmdb.close());

test('every case asserts something, and a failing scenario its codes', () => {
  assert.ok(lookup.cases.length >= 30, `the lookup suite lost cases: ${lookup.cases.length}`);
  for (const c of lookup.cases) {
    assert.ok(c.expect || 'requests' in c, `${c.name}: asserts nothing`);
    if (c.scenario) {
      assert.ok(c.expect, `${c.name}: a scenario without expect`);
      for (const [id, want] of Object.entries(c.expect)) assert.ok(Array.isArray(want.codes), `${c.name}: ${id}: no codes`);
    }
  }
});

for (const c of lookup.cases) {
  // A hostile answer must never hang a test run: past 20 s the case fails.
  test(c.name, { timeout: 20000 }, async () => {
    cmdb.reset();
    const v = new AssetIdValidator(lookupPolicy(c, cmdb.url));
    const ids = idsOf(c);
    let verdicts;
    const started = performance.now();
    if (c.concurrent) {
      verdicts = await Promise.all(Array.from({ length: c.concurrent }, () => v.validate(ids[0])));
    } else {
      for (let i = 0; i < (c.calls ?? 1); i += 1) verdicts = await v.validateMany(ids);
    }
    const elapsed = performance.now() - started;
    if (c.withinMs) assert.ok(elapsed < c.withinMs, `${c.name}: settled after ${elapsed.toFixed(0)} ms, want < ${c.withinMs}`);
    expectLookup(c, verdicts);
    const stats = cmdb.stats();
    if ('requests' in c) assert.equal(stats.requests, c.requests, `${c.name}: ${stats.log.map((e) => e.path).join(', ')}`);
    for (const bad of c.forbidden ?? []) {
      assert.ok(!stats.log.some((e) => (e.query ?? '').includes(bad)), `${c.name}: ${bad} reached the CMDB`);
    }
    v.free();
  });
}

test('an injected fetch (Backstage fetchApi.fetch) carries every request', async () => {
  cmdb.reset();
  const v = new AssetIdValidator(lookupPolicy({}, cmdb.url));
  const seen = [];
  const fetchApi = { fetch: (url, init) => (seen.push({ url, init }), fetch(url, init)) };
  const verdict = await v.validate('APM0001234', { fetch: fetchApi.fetch });
  assert.equal(verdict.valid, true);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].init.method, 'GET');
  assert.ok(seen[0].url.startsWith(`${cmdb.url}/api/now/table/cmdb_ci_business_app?`));
});

test('an aborted signal ends the lookup as lookup_unavailable, not a throw', async () => {
  const v = new AssetIdValidator(lookupPolicy({ scenario: 'slow', timeoutMs: 5000 }, cmdb.url));
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const verdict = await v.validate('APM0001234', { signal: ac.signal });
  assert.equal(verdict.issues[0].code, 'lookup_unavailable');
  assert.match(verdict.issues[0].message, /cancelled/);
});

test("one caller's abort never cancels the request it shares with another caller", async () => {
  cmdb.reset();
  const v = new AssetIdValidator(lookupPolicy({ scenario: 'slow', timeoutMs: 5000 }, cmdb.url));
  const ac = new AbortController();
  const first = v.validate('APM0001234', { signal: ac.signal }); // e.g. the field's superseded lookup
  const second = v.validate('APM0001234'); // e.g. the form's validator on Next
  setTimeout(() => ac.abort(), 50);
  const [a, b] = await Promise.all([first, second]);
  assert.match(a.issues[0]?.message ?? '', /cancelled/);
  assert.equal(b.valid, true, JSON.stringify(b));
  assert.equal(b.record?.name, 'Payments Gateway');
  assert.equal(cmdb.stats().requests, 1);
  // The shared answer was cached: a later call costs nothing.
  assert.equal((await v.validate('APM0001234')).valid, true);
  assert.equal(cmdb.stats().requests, 1);
});

test('an unreachable CMDB is lookup_unavailable', async () => {
  const v = new AssetIdValidator(lookupPolicy({}, 'http://127.0.0.1:9'));
  const verdict = await v.validate('APM0001234');
  assert.equal(verdict.issues[0].code, 'lookup_unavailable');
  assert.match(verdict.issues[0].message, /could not reach/);
});

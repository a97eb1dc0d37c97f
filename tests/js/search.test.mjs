// The search suite (tests/cases/search.json) through the BUILT npm package (Node entry, whose
// WASM has AssetIdValidator.search) against the fake CMDB's Table API and an embedded registry:
// the same cases as the CLI (tests/cli_search.rs), and the queries the fake was asked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AssetIdValidator } from 'asset-id';
import { startFakeCmdb, parseCsv } from '../support/fake-cmdb.mjs';

const suite = JSON.parse(readFileSync(new URL('../cases/search.json', import.meta.url), 'utf8'));
const records = parseCsv(readFileSync(new URL('../../examples/registry/assets.csv', import.meta.url), 'utf8'));

const text = (c) => {
  const m = /^\$repeat:(.*):(\d+)$/.exec(c.query);
  return m ? m[1].repeat(Number(m[2])) : c.query;
};

const policy = (lookup, search = {}) => ({
  schemes: [
    { name: 'business-app', pattern: 'APM\\d{7}', normalize: ['trim', 'uppercase'] },
    { name: 'service', pattern: 'BSN\\d{7}', normalize: ['trim', 'uppercase'] },
  ],
  lookup: { ...lookup, search },
});

const options = (c) => ({
  ...(c.limit !== undefined ? { limit: c.limit } : {}),
  ...(c.scheme !== undefined ? { scheme: c.scheme } : {}),
});

/** Each part of an encoded query is a LIKE term (or the ordering) with a safe term. */
function onlyLikeTerms(query, name) {
  for (const part of query.split('^')) {
    if (part === 'ORDERBYname') continue;
    const m = /^(?:OR)?(name|number)LIKE([\p{L}\p{N}\-_./]+)$/u.exec(part);
    assert.ok(m, `${name}: ${JSON.stringify(part)} in ${JSON.stringify(query)}`);
  }
}

async function expectCase(c, v, source) {
  const name = `${c.name} (${source})`;
  if (c.error) {
    let result;
    try {
      result = await v.search(text(c), options(c));
    } catch (e) {
      assert.equal(e.code, 'invalid_argument', `${name}: ${e}`);
      assert.match(e.message, new RegExp(c.error.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), name);
      return;
    }
    // An outage is an issue, not a rejection.
    assert.deepEqual(result.issues.map((i) => i.code), ['lookup_unavailable'], name);
    assert.match(result.issues[0].message, new RegExp(c.error), name);
    assert.deepEqual(result.records, [], name);
    return;
  }
  const result = await v.search(text(c), options(c));
  assert.deepEqual(result.issues, [], name);
  assert.deepEqual(result.records.map((r) => r.id), c.expect.ids, name);
  assert.equal(result.more, c.expect.more, name);
  assert.equal(result.query, text(c).trim(), name);
  for (const r of result.records) assert.deepEqual(r.fields, {}, `${name}: only listed fields`);
}

let cmdb;
before(async () => {
  cmdb = await startFakeCmdb({ port: 0 });
});
after(() => cmdb.close());

test('the suite has hostile cases and asserts something in each', () => {
  assert.ok(suite.cases.length >= 15);
  for (const c of suite.cases) assert.ok(c.expect || c.error, `${c.name}: asserts nothing`);
});

for (const c of suite.cases) {
  if (!c.source || c.source === 'servicenow') {
    test(`${c.name} (servicenow)`, { timeout: 20000 }, async () => {
      const base = c.scenario ? `${cmdb.url}/scenario/${c.scenario}` : cmdb.url;
      const v = new AssetIdValidator(policy({ source: 'servicenow', servicenow: { baseUrl: base }, timeoutMs: 3000 }, c.search));
      cmdb.reset();
      await expectCase(c, v, 'servicenow');
      const log = cmdb.stats().log;
      if (c.error?.includes('characters')) assert.deepEqual(log, [], `${c.name}: a caller error sent a request`);
      for (const entry of log) if (entry.sysparm_query) onlyLikeTerms(entry.sysparm_query, c.name);
    });
  }
  if (!c.source || c.source === 'registry') {
    test(`${c.name} (registry)`, async () => {
      const v = new AssetIdValidator(policy({ source: 'registry', registry: { records } }, c.search));
      await expectCase(c, v, 'registry');
    });
  }
}

test('search without lookup.search, or with a bad limit, is the caller\'s error', async () => {
  const v = new AssetIdValidator(policy({ source: 'registry', registry: { records } }));
  await assert.rejects(v.search('pay', { limit: 0 }), { code: 'invalid_argument' });
  await assert.rejects(v.search('pay', { limit: 'ten' }), { code: 'invalid_argument' });
  await assert.rejects(v.search('pay', { scheme: 'nope' }), { code: 'unknown_scheme' });
  const none = new AssetIdValidator({ ...policy({ source: 'registry', registry: { records } }), lookup: { source: 'registry', registry: { records } } });
  await assert.rejects(none.search('pay'), { code: 'invalid_argument' });
});

test('an aborted search ends at once with lookup_unavailable', async () => {
  const v = new AssetIdValidator(policy({ source: 'servicenow', servicenow: { baseUrl: `${cmdb.url}/scenario/slow` }, timeoutMs: 3000 }));
  const controller = new AbortController();
  const started = performance.now();
  const pending = v.search('gateway', { signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  const result = await pending;
  assert.ok(performance.now() - started < 2000, 'the abort did not end the search');
  assert.deepEqual(result.issues.map((i) => i.code), ['lookup_unavailable']);
});

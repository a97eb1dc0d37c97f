// The npm package against hostile fetch functions and a hostile CMDB (tests/support/hostile-cmdb.mjs
// through the fake CMDB): what tests/cases/lookup.json cannot say, because it needs an injected
// fetch or the server's view of concurrency. Every lookup ends as lookup_unavailable within
// timeoutMs plus SLACK, never hangs (each test has a timeout), never throws.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AssetIdValidator } from 'asset-id';
import { startFakeCmdb } from '../support/fake-cmdb.mjs';
import { lookupPolicy } from './suite.mjs';

// Scheduling slack on a loaded 2-core machine.
const SLACK = 1000;
let cmdb;
before(async () => {
  cmdb = await startFakeCmdb({ port: 0 });
});
after(() => cmdb.close());

async function timed(promise) {
  const t0 = performance.now();
  const value = await promise;
  return [value, performance.now() - t0];
}

function policy(c, extra = {}) {
  const p = lookupPolicy(c, cmdb.url);
  Object.assign(p.lookup, extra);
  return p;
}

test('a fetch that ignores its signal and never answers ends at timeoutMs', { timeout: 10000 }, async () => {
  const v = new AssetIdValidator(policy({ timeoutMs: 500 }));
  const seen = [];
  const fetch = (url, init) => { seen.push(init); return new Promise(() => {}); };
  const [verdict, ms] = await timed(v.validate('APM0001234', { fetch }));
  assert.equal(verdict.issues[0]?.code, 'lookup_unavailable', JSON.stringify(verdict));
  assert.match(verdict.issues[0].message, /did not answer within 500 ms/);
  assert.ok(ms < 500 + SLACK, `${ms} ms`);
  assert.ok(seen[0].signal instanceof AbortSignal);
  assert.equal(seen[0].signal.aborted, true, 'the request is aborted once the time is up');
});

test('a fetch that ignores its signal, on a body dripping 1 byte/s, ends at timeoutMs', { timeout: 10000 }, async () => {
  const v = new AssetIdValidator(policy({ scenario: 'drip', timeoutMs: 800 }));
  const fetch = (url, init) => globalThis.fetch(url, { ...init, signal: undefined });
  const [verdict, ms] = await timed(v.validate('APM0001234', { fetch }));
  assert.equal(verdict.issues[0]?.code, 'lookup_unavailable', JSON.stringify(verdict));
  assert.match(verdict.issues[0].message, /did not answer within 800 ms/);
  assert.ok(ms < 800 + SLACK, `${ms} ms`);
});

test('a fetch that ignores its signal on an endless body stops at maxResponseBytes', { timeout: 10000 }, async () => {
  const v = new AssetIdValidator(policy({ scenario: 'endless', timeoutMs: 5000 }, { maxResponseBytes: 256 * 1024 }));
  const fetch = (url, init) => globalThis.fetch(url, { ...init, signal: undefined });
  const [verdict, ms] = await timed(v.validate('APM0001234', { fetch }));
  assert.match(verdict.issues[0]?.message ?? '', /larger than 256 KiB/, JSON.stringify(verdict));
  assert.ok(ms < 5000, `${ms} ms`);
});

test("an injected fetch's invalid status is an error, not a wrapped number", async () => {
  const v = new AssetIdValidator(policy({}));
  for (const status of [70000, 99, 200.5, '200', undefined]) {
    const fetch = async () => ({ status, headers: new Headers(), text: async () => '{"result":[]}' });
    const verdict = await v.validate('APM0001234', { fetch });
    assert.equal(verdict.issues[0]?.code, 'lookup_unavailable', JSON.stringify(verdict));
    assert.match(verdict.issues[0].message, /invalid HTTP status/, JSON.stringify(verdict));
    if (status === 70000) assert.match(verdict.issues[0].message, /\(70000\)/);
  }
  // A hand-made answer without a body stream still works through text().
  const ok = async () => ({ status: 200, headers: new Headers({ 'content-type': 'application/json' }), text: async () => '{"result":[{"number":"APM0001234","name":"Mock"}]}' });
  const verdict = await v.validate('APM0001234', { fetch: ok });
  assert.equal(verdict.record?.name, 'Mock', JSON.stringify(verdict));
});

test('requests in flight per validator never exceed lookup.maxConcurrency; queued ones do not time out', { timeout: 20000 }, async () => {
  cmdb.reset();
  // http source: one request per ID, each held 100 ms by the server; 44 requests, 4 at a time,
  // take about 1.1 s in all, longer than timeoutMs: each request's time starts when it is sent.
  const p = policy({ source: 'http', scenario: 'slow', timeoutMs: 600 }, { maxConcurrency: 4 });
  p.lookup.http.url = p.lookup.http.url.replace('{id}', '{id}?delay=100');
  const v = new AssetIdValidator(p);
  const values = Array.from({ length: 40 }, (_, i) => `APM${String(9000000 + i)}`)
    .concat(['APM0001234', 'APM0000042', 'BSN0001001', 'APM0002001']);
  const [verdicts, ms] = await timed(Promise.all(values.map((x) => v.validate(x))));
  const stats = cmdb.stats();
  assert.equal(stats.requests, values.length);
  assert.ok(stats.peak <= 4, `peak ${stats.peak}`);
  assert.ok(ms > 600, `${ms} ms: the case must outlast timeoutMs to show the queue's timing`);
  assert.deepEqual(verdicts.filter((x) => x.issues.some((i) => i.code === 'lookup_unavailable')), []);
  assert.equal(verdicts.at(-4).record?.name, 'Payments Gateway');
});

test('concurrent validations of distinct IDs in one tick share batched requests', { timeout: 20000 }, async () => {
  cmdb.reset();
  const v = new AssetIdValidator(policy({ scenario: 'slow', batchSize: 50, timeoutMs: 5000 }));
  const values = Array.from({ length: 500 }, (_, i) => `APM${String(1 + i).padStart(7, '0')}`);
  // One fetch function for all callers (requests are shared only between callers of one fetch).
  const slow = (u, i) => fetch(u, { ...i, headers: { ...i.headers, 'x-fake-delay': '50' } });
  const verdicts = await Promise.all(values.map((x) => v.validate(x, { fetch: slow })));
  assert.equal(cmdb.stats().requests, 10, cmdb.stats().log.map((e) => e.sysparm_query?.length).join(','));
  assert.equal(verdicts.find((x) => x.input === 'APM0000042')?.issues[0]?.code, 'retired');
  assert.ok(cmdb.stats().peak <= 8, `peak ${cmdb.stats().peak}`);
});

test('callers with different fetch functions never share a request', async () => {
  cmdb.reset();
  const v = new AssetIdValidator(policy({}));
  const calls = { a: 0, b: 0 };
  const a = (u, i) => { calls.a += 1; return fetch(u, i); };
  const b = (u, i) => { calls.b += 1; return fetch(u, i); };
  const [x, y] = await Promise.all([v.validate('APM0001234', { fetch: a }), v.validate('APM0000042', { fetch: b })]);
  assert.equal(x.valid, true);
  assert.equal(y.issues[0]?.code, 'retired');
  assert.deepEqual(calls, { a: 1, b: 1 });
});

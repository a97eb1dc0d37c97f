/*
 * The backend's own validator (the one the action and the processor share, with the credentialed fetch)
 * against a hostile CMDB on loopback. Each answer must end as `lookup_unavailable` within `timeoutMs`,
 * with bounded memory, and the Jest process must survive: a 2 GiB answer read as a string is an
 * uncatchable V8 fatal error, which would end this run (and, in production, the Backstage backend).
 */
import { mockServices } from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import type { Verdict } from 'asset-id';
import { startHostileCmdb, type HostileCmdb } from '../__testUtils__/hostileCmdb';
import { samplePolicy } from '../__testUtils__/policy';
import { createAssetIdService } from './AssetIdService';

const TIMEOUT_MS = 2000;
const CAP = 1024 * 1024; // lookup.maxResponseBytes for these tests: 1 MiB
/** Scheduling slack on a loaded CI machine, on top of timeoutMs. */
const SLACK_MS = 1500;
/** Growth of this process's resident memory allowed during one lookup. */
const RSS_BUDGET = 256 * 1024 * 1024;

let cmdb: HostileCmdb;
beforeAll(async () => {
  cmdb = await startHostileCmdb();
});
afterAll(() => cmdb.close());
beforeEach(() => {
  cmdb.seen.length = 0;
});

function backend(lookup: JsonObject, credentials: JsonObject = {}) {
  return createAssetIdService({
    config: mockServices.rootConfig({
      data: {
        assetId: {
          ...samplePolicy(cmdb.url, { timeoutMs: TIMEOUT_MS, maxResponseBytes: CAP, cacheTtlSeconds: 300, ...lookup }),
          credentials,
        },
      },
    }),
    logger: mockServices.logger.mock(),
    // no `fetch`: the service's default, global fetch wrapped with the credentials, as in production
  });
}

/** Runs one validate, measuring its duration and the peak growth of resident memory meanwhile. */
async function measured(run: () => Promise<Verdict>) {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  const start = Date.now();
  try {
    const verdict = await run();
    return { verdict, ms: Date.now() - start, rssGrowth: Math.max(peak, process.memoryUsage().rss) - before };
  } finally {
    clearInterval(sampler);
  }
}

function expectUnavailable(verdict: Verdict, message: RegExp) {
  expect(verdict.valid).toBe(false);
  expect(verdict.record ?? null).toBeNull();
  expect(verdict.issues.map(i => [i.code, i.severity])).toEqual([['lookup_unavailable', 'error']]);
  expect(verdict.issues[0].message).toMatch(message);
}

describe('the backend validator against a hostile CMDB', () => {
  it('refuses a 2 GiB Content-Length up front, without reading it', async () => {
    const svc = backend({ servicenow: { baseUrl: `${cmdb.url}/huge`, table: 'cmdb_ci_business_app', idField: 'number' } });
    const { verdict, ms, rssGrowth } = await measured(() => svc.validate('APM0001234'));
    expectUnavailable(verdict, /larger than 1 MiB/);
    expect(ms).toBeLessThan(TIMEOUT_MS);
    expect(rssGrowth).toBeLessThan(RSS_BUDGET);
  }, 20_000);

  it('stops reading an endless chunked body at lookup.maxResponseBytes', async () => {
    const svc = backend({ servicenow: { baseUrl: `${cmdb.url}/endless`, table: 'cmdb_ci_business_app', idField: 'number' } });
    const { verdict, ms, rssGrowth } = await measured(() => svc.validate('APM0001234'));
    expectUnavailable(verdict, /larger than 1 MiB/);
    expect(ms).toBeLessThan(TIMEOUT_MS);
    expect(rssGrowth).toBeLessThan(RSS_BUDGET);
    // The transfer was cut off: far less than what an unbounded reader would have taken by now.
    expect(cmdb.sent.endless ?? 0).toBeLessThan(256 * CAP);
  }, 20_000);

  it('gives up on a body that drips within timeoutMs', async () => {
    const svc = backend({ servicenow: { baseUrl: `${cmdb.url}/drip`, table: 'cmdb_ci_business_app', idField: 'number' } });
    const { verdict, ms } = await measured(() => svc.validate('APM0001234'));
    expectUnavailable(verdict, new RegExp(`within ${TIMEOUT_MS} ms`));
    expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  }, 20_000);

  it("treats an HTML 404 from the http source's gateway as an outage, not as not_found, and never caches it", async () => {
    const svc = backend({
      source: 'http',
      http: { url: `${cmdb.url}/gateway/assets/{id}`, recordPointer: '/data', notFoundStatus: [404] },
    });
    for (let round = 1; round <= 2; round++) {
      const { verdict, ms } = await measured(() => svc.validate('APM0001234'));
      expectUnavailable(verdict, /./);
      expect(verdict.issues.map(i => i.code)).not.toContain('not_found');
      expect(ms).toBeLessThan(TIMEOUT_MS);
      // A fault is never cached: the second round asks again.
      expect(cmdb.seen.filter(s => s.path.startsWith('/gateway/'))).toHaveLength(round);
    }
  }, 20_000);

  it('does not accept an answer from another origin after a redirect, and credentials never reach it', async () => {
    const svc = backend(
      { servicenow: { baseUrl: `${cmdb.url}/redirect`, table: 'cmdb_ci_business_app', idField: 'number' } },
      { servicenow: { token: 'cmdb-secret' } },
    );
    const { verdict, ms } = await measured(() => svc.validate('APM0001234'));
    expectUnavailable(verdict, /redirect/i);
    expect(verdict.record ?? null).toBeNull();
    expect(ms).toBeLessThan(TIMEOUT_MS);
    // The planned request carried the credential; nothing that reached the other origin did.
    expect(cmdb.seen.filter(s => s.origin === 'cmdb').map(s => s.authorization)).toEqual(['Bearer cmdb-secret']);
    expect(cmdb.seen.filter(s => s.origin === 'other' && s.authorization !== null)).toEqual([]);
  }, 20_000);

  it('holds timeoutMs when the network fetch under the credentials ignores its AbortSignal', async () => {
    let calls = 0;
    const svc = createAssetIdService({
      config: mockServices.rootConfig({
        data: { assetId: { ...samplePolicy(cmdb.url, { timeoutMs: TIMEOUT_MS }), credentials: { servicenow: { token: 't' } } } },
      }),
      logger: mockServices.logger.mock(),
      // e.g. a corporate HTTP agent that never settles and never looks at init.signal
      fetch: () => {
        calls += 1;
        return new Promise<Response>(() => {});
      },
    });
    const { verdict, ms } = await measured(() => svc.validate('APM0001234'));
    expectUnavailable(verdict, new RegExp(`within ${TIMEOUT_MS} ms`));
    expect(calls).toBe(1);
    expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  }, 20_000);

  it('is still a working validator afterwards (the process survived every answer)', async () => {
    const svc = backend({}, {});
    const format = await svc.validate('APM12');
    expect(format.issues.map(i => i.code)).toEqual(['pattern_mismatch']);
    expect(process.memoryUsage().rss).toBeLessThan(4 * 1024 * 1024 * 1024);
  });
});

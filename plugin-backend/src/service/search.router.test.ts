/*
 * POST /v1/search on the asset-id plugin's router in a test backend: the shared search cases
 * (tests/cases/search.json) against the fake CMDB, the limits on what a caller sends, field filtering, the
 * cache (one CMDB request for a repeated search), the error statuses, and what GET /v1/policy tells a page.
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import { AssetIdValidator, type AssetRecord, type Policy } from 'asset-id';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startAssetIdBackend, type AssetIdTestBackend } from '../__testUtils__/backend';
import { REPO_ROOT, startFakeCmdb, type FakeCmdb } from '../__testUtils__/fakeCmdb';
import { samplePolicy } from '../__testUtils__/policy';

jest.setTimeout(60_000);

interface SearchCase {
  name: string;
  query: string;
  limit?: number;
  scheme?: string;
  search?: JsonObject;
  scenario?: string;
  source?: string;
  expect?: { ids: string[]; more: boolean };
  error?: string;
}
const suite = JSON.parse(readFileSync(path.join(REPO_ROOT, 'tests/cases/search.json'), 'utf8')) as {
  cases: SearchCase[];
};
const text = (c: SearchCase) => {
  const m = /^\$repeat:(.*):(\d+)$/.exec(c.query);
  return m ? m[1].repeat(Number(m[2])) : c.query;
};

let cmdb: FakeCmdb;
beforeAll(async () => {
  cmdb = await startFakeCmdb();
});
afterAll(() => cmdb.close());

async function post(b: AssetIdTestBackend, body: unknown, auth: string | null = mockCredentials.user.header()) {
  const res = await fetch(`${b.base}/v1/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as JsonObject };
}

/** The search cases' schemes: the sample's APM and BSN (AST records are left out by the format). */
function policyFor(base: string, search: JsonObject = {}): JsonObject {
  const p = samplePolicy(base, { search, timeoutMs: 3000 });
  return { ...p, schemes: (p.schemes as JsonObject[]).filter(s => s.name !== 'legacy-asset') };
}

describe('POST /v1/search: the shared search cases', () => {
  const cases = suite.cases.filter(k => !k.source || k.source === 'servicenow');
  it.each(cases.map(c => [c.name, c] as const))('%s', async (_name, c) => {
    const base = c.scenario ? `${cmdb.url}/scenario/${c.scenario}` : cmdb.url;
    const b = await startAssetIdBackend(policyFor(base, c.search));
    try {
      const scheme = c.scheme === 'business-app' ? ['business-app'] : undefined;
      const r = await post(b, { query: text(c), ...(c.limit ? { limit: c.limit } : {}), ...(scheme ? { scheme } : {}) });
      // An outage is a 503, a caller error a 400 InputError, anything else the expected IDs; the CMDB's
      // address never reaches the caller.
      const got = {
        status: r.status,
        error: (r.body.error as JsonObject | undefined)?.name,
        ids: (r.body.results as unknown as AssetRecord[] | undefined)?.map(x => x.id),
        more: r.body.more,
      };
      let want: typeof got;
      if (!c.error) want = { status: 200, error: undefined, ids: c.expect!.ids, more: c.expect!.more };
      else if (c.scenario) want = { status: 503, error: 'ServiceUnavailableError', ids: undefined, more: undefined };
      else want = { status: 400, error: 'InputError', ids: undefined, more: undefined };
      expect(got).toEqual(want);
      expect(JSON.stringify(r.body)).not.toContain(cmdb.url);
    } finally {
      await b.stop();
    }
  });
});

describe('POST /v1/search: limits, fields, cache, errors', () => {
  let b: AssetIdTestBackend;
  beforeAll(async () => {
    b = await startAssetIdBackend({
      ...policyFor(cmdb.url, { fields: ['name', 'number'] }),
      lookup: { ...(policyFor(cmdb.url).lookup as JsonObject), search: { fields: ['name', 'number'] }, requestUrl: 'https://cmdb.example/new' },
    });
  });
  afterAll(() => b.stop());
  beforeEach(() => cmdb.reset());

  it('needs Backstage credentials: 401 without, no CMDB request', async () => {
    expect((await post(b, { query: 'gateway' }, null)).status).toBe(401);
    expect((await cmdb.stats()).requests).toBe(0);
  });

  it('refuses what the contract does not allow: 400, no CMDB request', async () => {
    for (const body of [
      [],
      'not json',
      { query: 42 },
      { query: 'gateway', extra: 1 },
      { query: 'x'.repeat(10_000) },
      { query: 'gateway', limit: 51 },
      { query: 'gateway', limit: 0 },
      { query: 'gateway', limit: 2.5 },
      { query: 'gateway', scheme: [] },
      { query: 'gateway', scheme: 'nope' },
      { query: 'g' },
    ]) {
      const r = await post(b, body);
      expect([r.status, body]).toEqual([400, body]);
    }
    expect((await cmdb.stats()).requests).toBe(0);
  });

  it('returns records with only the listed fields, and answers a repeated search from its cache', async () => {
    const first = await post(b, { query: 'Payments gateway' });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      results: [{ id: 'APM0001234', name: 'Payments Gateway', status: 'operational', fields: { owned_by: 'team-payments' } }],
      more: false,
    });
    const again = await post(b, { query: 'Payments gateway' });
    expect(again.body).toEqual(first.body);
    expect((await cmdb.stats()).requests).toBe(1);
    // Another spelling is another search (the core, not JS's trim and lowercase, says what is the same):
    // a text with a BOM finds nothing and never poisons the answer to the plain one.
    const bom = await post(b, { query: 'Payments gateway\uFEFF' });
    expect(bom.body).toEqual({ results: [], more: false });
    expect((await post(b, { query: 'Payments gateway' })).body).toEqual(first.body);
    expect((await cmdb.stats()).requests).toBe(2);
  });

  it('GET /v1/policy tells a page that search is set up, never how', async () => {
    const { body } = await b.get('/v1/policy');
    const policy = body.policy as JsonObject;
    expect(policy.lookup).toEqual({ source: 'none', search: {}, requestUrl: 'https://cmdb.example/new' });
    expect(JSON.stringify(body)).not.toContain(cmdb.url);
    expect(() => new AssetIdValidator(policy as unknown as Policy)).not.toThrow();
  });

  it('is a 404 when the policy has no lookup.search', async () => {
    const plain = await startAssetIdBackend(policyFor(cmdb.url));
    try {
      const p = policyFor(cmdb.url);
      delete (p.lookup as JsonObject).search;
      const none = await startAssetIdBackend(p);
      try {
        const r = await post(none, { query: 'gateway' });
        expect(r.status).toBe(404);
        expect(JSON.stringify(r.body)).toContain('lookup.search');
      } finally {
        await none.stop();
      }
    } finally {
      await plain.stop();
    }
  });
});

/*
 * The actions asset-id:validate-asset-ids and asset-id:search-assets (registry.ts):
 *   - on Backstage's mock actions registry: schemas and attributes, the verdicts and records, the limits on what a
 *     caller sends (101 values, none, a huge input, unknown keys and schemes, a long query, a bad limit), the
 *     caller rule (no credentials: refused before the CMDB is asked);
 *   - in a test backend with the real actions registry (served at /api/asset-id/.backstage/actions): the same
 *     answers as the router's POST /v1/validate and /v1/search for the shared format cases, the fake CMDB's IDs and
 *     the shared search cases, through the same cache (an ID or a text the router looked up costs the action no
 *     CMDB request) and the same coalescing (the router and the action asking at once: one request).
 */
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { actionsRegistryServiceMock } from '@backstage/backend-test-utils/alpha';
import type { JsonObject, JsonValue } from '@backstage/types';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expandInput, startAssetIdBackend, type AssetIdTestBackend } from '../__testUtils__/backend';
import { REPO_ROOT, startFakeCmdb, type FakeCmdb } from '../__testUtils__/fakeCmdb';
import { samplePolicy } from '../__testUtils__/policy';
import { createAssetIdService } from '../service/AssetIdService';
import { registerAssetIdActions } from './registry';

jest.setTimeout(60_000);

let cmdb: FakeCmdb;
beforeAll(async () => {
  cmdb = await startFakeCmdb();
});
afterAll(() => cmdb.close());
beforeEach(() => cmdb.reset());

/** The sample policy with search on names and numbers (the APM and BSN schemes, as the search cases want). */
function policyFor(base: string, search: JsonObject | null = { fields: ['name', 'number'] }): JsonObject {
  const p = samplePolicy(base, { timeoutMs: 3000, ...(search ? { search } : {}) });
  return search ? { ...p, schemes: (p.schemes as JsonObject[]).filter(s => s.name !== 'legacy-asset') } : p;
}

function mockRegistry(assetId: JsonObject) {
  const registry = actionsRegistryServiceMock();
  const service = createAssetIdService({
    config: mockServices.rootConfig({ data: { assetId } }),
    logger: mockServices.logger.mock(),
  });
  registerAssetIdActions({ actionsRegistry: registry, assetId: service, auth: mockServices.auth() });
  const user: BackstageCredentials = mockCredentials.user();
  return {
    registry,
    validate: (input: JsonObject, credentials = user) =>
      registry.invoke({ id: 'test:validate-asset-ids', input, credentials }),
    search: (input: JsonObject, credentials = user) => registry.invoke({ id: 'test:search-assets', input, credentials }),
  };
}

describe('on the actions registry', () => {
  it('registers two read-only, idempotent, non-destructive actions with their schemas', async () => {
    const { registry } = mockRegistry(policyFor(cmdb.url));
    const { actions } = await registry.list();
    expect(actions.map(a => a.id)).toEqual(['test:validate-asset-ids', 'test:search-assets']);
    for (const a of actions) expect(a.attributes).toEqual({ readOnly: true, idempotent: true, destructive: false });
    const validate = actions[0].schema.input as JsonObject;
    expect(validate).toMatchObject({
      type: 'object',
      required: ['values'],
      additionalProperties: false,
      properties: { values: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 100 } },
    });
    expect(actions[1].schema.input).toMatchObject({ required: ['query'], additionalProperties: false });
    expect(actions[1].schema.input).toMatchObject({ properties: { limit: { minimum: 1, maximum: 50 } } });
    expect(JSON.stringify(actions[0].schema.output)).toContain('"issues"');
    // the description names the policy's schemes, and never the CMDB's URL
    expect(actions[0].description).toContain('business-app, business-service');
    expect(JSON.stringify(actions)).not.toContain(cmdb.url);
  });

  it('answers one verdict per value, in input order, with only the listed record fields', async () => {
    const { validate } = mockRegistry(samplePolicy(cmdb.url));
    const { output } = await validate({ values: [' apm-000 1234 ', 'APM9999999', 'APM0000042', 'APM12'] });
    const results = (output as { results: JsonObject[] }).results;
    expect(results.map(r => [r.input, r.valid, r.value])).toEqual([
      [' apm-000 1234 ', true, 'APM0001234'],
      ['APM9999999', false, null],
      ['APM0000042', false, null],
      ['APM12', false, null],
    ]);
    expect(results[0].record).toEqual({
      id: 'APM0001234',
      name: 'Payments Gateway',
      status: 'operational',
      fields: { name: 'Payments Gateway', owned_by: 'team-payments' },
    });
    expect(results.map(r => (r.issues as JsonObject[]).map(i => i.code))).toEqual([
      [],
      ['not_found'],
      ['retired'],
      ['pattern_mismatch'],
    ]);
    // one batched CMDB request for the three well-formed IDs
    expect((await cmdb.stats()).requests).toBe(1);
  });

  it('narrows to the schemes named, and refuses an unknown scheme with the core code', async () => {
    const { validate } = mockRegistry(samplePolicy(cmdb.url));
    const { output } = await validate({ values: ['APM0001234'], scheme: 'business-service' });
    expect((output as { results: JsonObject[] }).results[0]).toMatchObject({ valid: false, scheme: null });
    await expect(validate({ values: ['APM0001234'], scheme: ['business-app', 'nope'] })).rejects.toMatchObject({
      name: 'InputError',
      code: 'unknown_scheme',
      message: expect.stringContaining("unknown scheme 'nope'"),
    });
  });

  it('refuses what the contract does not allow, before the CMDB is asked', async () => {
    const { validate } = mockRegistry(samplePolicy(cmdb.url));
    const hostile: JsonObject[] = [
      { values: Array.from({ length: 101 }, () => 'APM0001234') },
      { values: [] },
      {},
      { values: 'APM0001234' },
      { values: [42] },
      { values: ['APM0001234'], extra: true },
      { values: ['APM0001234'], scheme: [] },
      { values: ['APM0001234'], scheme: Array.from({ length: 65 }, () => 'business-app') },
      // one huge string: over the router's 64 KiB body cap
      { values: ['A'.repeat(70_000)] },
      // 100 long ones, over it together
      { values: Array.from({ length: 100 }, () => 'APM'.repeat(250)) },
    ];
    for (const input of hostile) {
      await expect(validate(input)).rejects.toMatchObject({ name: 'InputError' });
    }
    await expect(validate({ values: ['A'.repeat(70_000)] })).rejects.toThrow(/larger than 64 KiB/);
    expect((await cmdb.stats()).requests).toBe(0);
  });

  it('answers long values under the cap as the router does: too_long, no lookup', async () => {
    const { validate } = mockRegistry(samplePolicy(cmdb.url));
    const { output } = await validate({ values: Array.from({ length: 100 }, () => 'APM'.repeat(200)) });
    const results = (output as { results: JsonObject[] }).results;
    expect(results).toHaveLength(100);
    expect(new Set(results.map(r => (r.issues as JsonObject[])[0].code))).toEqual(new Set(['too_long']));
    expect((await cmdb.stats()).requests).toBe(0);
  });

  it('needs the credentials of a user or a service', async () => {
    const { validate, search } = mockRegistry(policyFor(cmdb.url));
    await expect(validate({ values: ['APM0001234'] }, mockCredentials.none())).rejects.toMatchObject({
      name: 'AuthenticationError',
    });
    await expect(search({ query: 'payments' }, mockCredentials.none())).rejects.toMatchObject({
      name: 'AuthenticationError',
    });
    expect((await cmdb.stats()).requests).toBe(0);
    const { output } = await validate({ values: ['APM0001234'] }, mockCredentials.service('plugin:mcp-actions'));
    expect((output as { results: JsonObject[] }).results[0].valid).toBe(true);
  });

  it('searches with the listed and searched fields only, and refuses bad queries and limits', async () => {
    const { search } = mockRegistry(policyFor(cmdb.url));
    expect((await search({ query: 'Payments gateway' })).output).toEqual({
      // the core keeps a row's name in `name`, not in `fields`
      results: [{ id: 'APM0001234', name: 'Payments Gateway', status: 'operational', fields: { owned_by: 'team-payments' } }],
      more: false,
    });
    for (const input of [
      { query: 'x'.repeat(65) },
      { query: 'x'.repeat(100_000) },
      { query: 'gateway', limit: 51 },
      { query: 'gateway', limit: 0 },
      { query: 'gateway', limit: 2.5 },
      { query: 'gateway', scheme: 'business-app' },
      { query: 42 },
      { query: 'g' },
    ] as JsonObject[]) {
      await expect(search(input)).rejects.toMatchObject({ name: 'InputError' });
    }
    expect((await cmdb.stats()).requests).toBe(1);
  });

  it('search fails with NotFoundError when the policy has no lookup.search', async () => {
    const { search } = mockRegistry(policyFor(cmdb.url, null));
    await expect(search({ query: 'payments' })).rejects.toMatchObject({
      name: 'NotFoundError',
      message: expect.stringContaining('lookup.search'),
    });
  });
});

interface SearchCase {
  name: string;
  query: string;
  error?: string;
  limit?: number;
  scheme?: string;
  search?: JsonObject;
  scenario?: string;
  source?: string;
}

describe('in a backend, over HTTP: the same answers as the router', () => {
  let b: AssetIdTestBackend;
  beforeAll(async () => {
    b = await startAssetIdBackend(samplePolicy(cmdb.url, { search: { fields: ['name', 'number'] } }));
  });
  afterAll(() => b.stop());

  const user = () => mockCredentials.user.header();
  async function post(url: string, body: unknown, auth: string | null = user()) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as JsonObject };
  }
  const invoke = (backend: AssetIdTestBackend, action: string, input: unknown, auth?: string | null) =>
    post(`${backend.base}/.backstage/actions/v1/actions/asset-id:${action}/invoke`, input, auth);

  it('lists both actions at /.backstage/actions/v1/actions', async () => {
    const res = await fetch(`${b.base}/.backstage/actions/v1/actions`, { headers: { authorization: user() } });
    const { actions } = (await res.json()) as { actions: Array<{ id: string; attributes: JsonObject }> };
    expect(actions.map(a => [a.id, a.attributes])).toEqual([
      ['asset-id:validate-asset-ids', { readOnly: true, idempotent: true, destructive: false }],
      ['asset-id:search-assets', { readOnly: true, idempotent: true, destructive: false }],
    ]);
  });

  it('refuses a caller without credentials, before the CMDB is asked', async () => {
    await cmdb.reset();
    const r = await invoke(b, 'validate-asset-ids', { values: ['APM0001234'] }, null);
    expect(r.status).toBeGreaterThanOrEqual(401);
    expect(r.status).toBeLessThanOrEqual(403);
    expect((await invoke(b, 'search-assets', { query: 'payments' }, null)).status).toBe(r.status);
    expect((await cmdb.stats()).requests).toBe(0);
  });

  it('gives the router verdicts for the shared format cases and the fake CMDB IDs, from the same cache', async () => {
    await cmdb.reset();
    const suite = JSON.parse(readFileSync(path.join(REPO_ROOT, 'tests/cases/format.json'), 'utf8')) as {
      cases: Array<{ input?: JsonValue }>;
    };
    const strings = suite.cases.map(c => expandInput(c.input)).filter((v): v is string => typeof v === 'string');
    const ids = ['APM0001234', 'APM0002001', 'APM0003117', 'APM0000042', 'BSN0001001', 'BSN0000099', 'APM9999999', 'AST0001239'];
    const values = [...new Set([...strings, ...ids])].filter(v => Buffer.byteLength(JSON.stringify(v)) < 1_200); // 50 of them fit in 64 KiB
    expect(values.length).toBeGreaterThan(40);
    for (let i = 0; i < values.length; i += 50) {
      const chunk = values.slice(i, i + 50);
      for (const scheme of [undefined, 'business-app', ['business-service', 'legacy-asset']]) {
        const body = { values: chunk, ...(scheme ? { scheme } : {}) };
        const router = await post(`${b.base}/v1/validate`, body);
        expect(router.status).toBe(200);
        const before = (await cmdb.stats()).requests;
        const action = await invoke(b, 'validate-asset-ids', body);
        expect(action.status).toBe(200);
        expect(action.body.output).toEqual(router.body);
        // everything the router looked up is in the shared cache: the action asks the CMDB nothing
        expect((await cmdb.stats()).requests).toBe(before);
      }
    }
  });

  it('gives the router errors for the same mistakes', async () => {
    for (const body of [{ values: ['APM0001234'], scheme: 'nope' }, { values: Array.from({ length: 101 }, () => 'x') }]) {
      const router = await post(`${b.base}/v1/validate`, body);
      const action = await invoke(b, 'validate-asset-ids', body);
      expect([router.status, action.status]).toEqual([400, 400]);
      expect((action.body.error as JsonObject).name).toBe('InputError');
    }
  });

  it('shares lookups in flight with the router: one CMDB request for the same new ID asked both ways at once', async () => {
    await cmdb.reset();
    const body = { values: ['BSN0002002'] };
    const [router, action] = await Promise.all([post(`${b.base}/v1/validate`, body), invoke(b, 'validate-asset-ids', body)]);
    expect(action.body.output).toEqual(router.body);
    expect((await cmdb.stats()).requests).toBe(1);
  });

  it('gives the router search results for the shared search cases, from the same search cache', async () => {
    const suite = JSON.parse(readFileSync(path.join(REPO_ROOT, 'tests/cases/search.json'), 'utf8')) as {
      cases: SearchCase[];
    };
    const cases = suite.cases.filter(c => !c.scheme && (!c.source || c.source === 'servicenow'));
    expect(cases.length).toBeGreaterThan(15);
    for (const c of cases) {
      const base = c.scenario ? `${cmdb.url}/scenario/${c.scenario}` : cmdb.url;
      const backend = await startAssetIdBackend(policyFor(base, { fields: ['name', 'number'], ...c.search }));
      try {
        const m = /^\$repeat:(.*):(\d+)$/.exec(c.query);
        const body = { query: m ? m[1].repeat(Number(m[2])) : c.query, ...(c.limit ? { limit: c.limit } : {}) };
        await cmdb.reset();
        const router = await post(`${backend.base}/v1/search`, body);
        const asked = (await cmdb.stats()).requests;
        const action = await invoke(backend, 'search-assets', body);
        const after = (await cmdb.stats()).requests;
        // an answer: the router's, from its cached search (no request of its own); an error (c.error): the router's
        // status and error name, without the CMDB's URL
        const errorName = (r: { body: JsonObject }) => (r.body.error as JsonObject | undefined)?.name;
        const expected = c.error
          ? { status: router.status, error: errorName(router), leaks: false }
          : { status: 200, payload: router.body, extraRequests: 0 };
        const got = c.error
          ? { status: action.status, error: errorName(action), leaks: JSON.stringify(action.body).includes(cmdb.url) }
          : { status: action.status, payload: action.body.output, extraRequests: after - asked };
        expect([c.name, got]).toEqual([c.name, expected]);
        expect([c.name, router.status === 200]).toEqual([c.name, !c.error]);
      } finally {
        await backend.stop();
      }
    }
  });
});

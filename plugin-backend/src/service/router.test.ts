/*
 * The asset-id plugin's router in a test backend: authentication, the limits on what a caller sends, verdicts
 * equal to the core's, coalescing across users, the bounded in-process cache, a store shared by two backend
 * instances, and stale-if-error.
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import { CacheManager } from '@backstage/backend-defaults/cache';
import { mockServices } from '@backstage/backend-test-utils';
import type { JsonObject, JsonValue } from '@backstage/types';
import { AssetIdValidator, type FetchLike, type Policy, type Verdict } from 'asset-id';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expandInput, startAssetIdBackend, type AssetIdTestBackend } from '../__testUtils__/backend';
import { REPO_ROOT, startFakeCmdb, type FakeCmdb } from '../__testUtils__/fakeCmdb';
import { samplePolicy } from '../__testUtils__/policy';
import { MAX_BODY_BYTES } from './router';

jest.setTimeout(60_000);

interface FormatCase {
  name: string;
  policy: string;
  input?: JsonValue;
  options?: { scheme?: string };
  expect: { valid: boolean; value?: string | null; codes: string[] };
}
const suite = JSON.parse(readFileSync(path.join(REPO_ROOT, 'tests/cases/format.json'), 'utf8')) as {
  policies: Record<string, JsonObject>;
  cases: FormatCase[];
};

let cmdb: FakeCmdb;
beforeAll(async () => {
  cmdb = await startFakeCmdb();
});
afterAll(() => cmdb.close());
beforeEach(() => cmdb.reset());

const expectInputError = (r: { status: number; body: JsonObject }, pattern: RegExp) => {
  expect(r.status).toBe(400);
  expect(r.body.error).toEqual(expect.objectContaining({ name: 'InputError', message: expect.stringMatching(pattern) }));
};

describe('POST /v1/validate and GET /v1/policy', () => {
  let b: AssetIdTestBackend;
  beforeAll(async () => {
    b = await startAssetIdBackend(samplePolicy(cmdb.url));
  });
  afterAll(() => b.stop());

  it('need Backstage credentials of a user or a service: 401 without', async () => {
    for (const auth of [null, 'Bearer not-a-token']) {
      expect((await b.validate({ values: ['APM0001234'] }, auth)).status).toBe(401);
      expect((await b.get('/v1/policy', auth)).status).toBe(401);
    }
    expect((await b.validate({ values: ['APM0001234'] }, mockCredentials.service.header())).status).toBe(200);
    expect((await b.get('/v1/policy', mockCredentials.user.header('user:default/guest'))).status).toBe(200);
    expect((await cmdb.stats()).requests).toBe(1);
  });

  it('GET /v1/policy: the format rules only, no lookup, URL or credential', async () => {
    const { status, body } = await b.get('/v1/policy');
    expect(status).toBe(200);
    const policy = samplePolicy(cmdb.url);
    expect(body).toEqual({ policy: { schemes: policy.schemes, maxLength: 64, catalog: policy.catalog } });
    expect(JSON.stringify(body)).not.toContain(cmdb.url);
    // The browser compiles it as is.
    expect(() => new AssetIdValidator(body.policy as unknown as Policy)).not.toThrow();
  });

  it('answers verdicts in input order, with record.fields limited to the columns the policy lists', async () => {
    const { status, body } = await b.validate({ values: ['APM0000042', ' apm-0001234 ', 'APM12', 42] });
    expect(status).toBe(200);
    const results = body.results as unknown as Verdict[];
    expect(results.map(r => [r.input, r.valid, r.value, r.issues.map(i => i.code)])).toEqual([
      ['APM0000042', false, null, ['retired']],
      [' apm-0001234 ', true, 'APM0001234', []],
      ['APM12', false, null, ['pattern_mismatch']],
      [null, false, null, ['invalid_type']],
    ]);
    // The core's record has the columns the lookup needed (retiredWhen's install_status, ...); the API only the listed.
    const core = await new AssetIdValidator(samplePolicy(cmdb.url) as unknown as Policy).validate('APM0001234');
    expect(Object.keys(core.record!.fields)).toEqual(expect.arrayContaining(['install_status']));
    expect(Object.keys(results[1].record!.fields).sort()).toEqual(['name', 'owned_by']);
    expect(results[1].record).toEqual(expect.objectContaining({ id: 'APM0001234', name: 'Payments Gateway' }));
  });

  it('an HTTP source lists no columns: record.fields is empty; inline registry records show theirs', async () => {
    const policy = samplePolicy(cmdb.url);
    const http = await startAssetIdBackend({
      ...policy,
      lookup: { source: 'http', http: { url: `${cmdb.url}/assets/{id}`, recordPointer: '/data' }, timeoutMs: 2000 },
    });
    const registry = await startAssetIdBackend({
      ...policy,
      lookup: { source: 'registry', registry: { records: [{ id: 'APM0001234', name: 'P', owner: 'team-a' }] } },
    });
    try {
      const viaHttp = ((await http.validate({ values: ['APM0001234'] })).body.results as unknown as Verdict[])[0];
      expect(viaHttp.record).toEqual(expect.objectContaining({ id: 'APM0001234', fields: {} }));
      const core = await new AssetIdValidator(http.policy as never).validate('APM0001234');
      expect(Object.keys(core.record?.fields ?? {}).length).toBeGreaterThan(0);
      const viaRegistry = ((await registry.validate({ values: ['APM0001234'] })).body.results as unknown as Verdict[])[0];
      expect(viaRegistry.record?.fields).toEqual(expect.objectContaining({ owner: 'team-a' }));
    } finally {
      await Promise.all([http.stop(), registry.stop()]);
    }
  });

  it('narrows with a scheme name or a list of names', async () => {
    const one = await b.validate({ values: ['APM0001234', 'BSN0001001'], scheme: 'business-service' });
    expect((one.body.results as unknown as Verdict[]).map(r => r.valid)).toEqual([false, true]);
    const two = await b.validate({ values: ['APM0001234', 'BSN0001001', 'AST0001239'], scheme: ['legacy-asset', 'business-app'] });
    expect((two.body.results as unknown as Verdict[]).map(r => [r.valid, r.scheme])).toEqual([
      [true, 'business-app'],
      [false, null],
      [true, 'legacy-asset'],
    ]);
  });

  it('takes 100 values, refuses 101 and none', async () => {
    const values = Array.from({ length: 100 }, (_, i) => `APM${String(i + 1).padStart(7, '0')}`);
    const ok = await b.validate({ values });
    expect(ok.status).toBe(200);
    expect(ok.body.results).toHaveLength(100);
    expectInputError(await b.validate({ values: [...values, 'APM0001234'] }), /1 to 100 values, got 101/);
    expectInputError(await b.validate({ values: [] }), /1 to 100 values, got 0/);
  });

  it('refuses a body over 64 KiB before reading it as JSON', async () => {
    const big = { values: ['A'.repeat(MAX_BODY_BYTES)] };
    expectInputError(await b.validate(big), /larger than 64 KiB/);
    // Just under the cap is fine (a too_long verdict).
    const under = await b.validate({ values: ['A'.repeat(MAX_BODY_BYTES - 100)] });
    expect(under.status).toBe(200);
    expect((under.body.results as unknown as Verdict[])[0].issues[0].code).toBe('too_long');
  });

  it.each<[string, unknown, RegExp]>([
    ['not JSON', '{"values": [', /not valid JSON/],
    ['an array body', ['APM0001234'], /expected a JSON object/],
    ['values missing', { scheme: 'business-app' }, /'values' must be an array/],
    ['values a string', { values: 'APM0001234' }, /'values' must be an array/],
    ['a policy key (schemes)', { values: ['APM0001234'], schemes: [{ name: 'x', pattern: '.*' }] }, /unknown key 'schemes'/],
    ['a policy key (lookup)', { values: ['APM0001234'], lookup: false }, /unknown key 'lookup'/],
    ['scheme a number', { values: ['APM0001234'], scheme: 1 }, /'scheme' must be a scheme name or a list/],
    ['scheme an empty list', { values: ['APM0001234'], scheme: [] }, /'scheme' must be a scheme name or a list/],
    ['scheme a list with a number', { values: ['APM0001234'], scheme: ['business-app', 2] }, /'scheme' must be/],
    ['an unknown scheme', { values: ['APM0001234'], scheme: 'nope' }, /unknown scheme 'nope'; the policy's schemes are: business-app/],
    ['an unknown scheme in a list', { values: ['APM0001234'], scheme: ['business-app', 'nope'] }, /unknown scheme 'nope'/],
    ['65 scheme names', { values: ['APM0001234'], scheme: Array(65).fill('business-app') }, /a list of 1 to 64 scheme names/],
    ['a long unknown scheme (echoed cut to 64 characters)', { values: ['x'], scheme: 'n'.repeat(5000) }, /unknown scheme 'n{64}'; /],
  ])('400 in Backstage error shape: %s', async (_name, body, pattern) => {
    expectInputError(await b.validate(body), pattern);
  });

  it('a value nested 20,000 levels deep (within 64 KiB) is an invalid_type verdict, never a 500', async () => {
    const depth = 20_000;
    const r = await b.validate(`{"values":[${'['.repeat(depth)}${']'.repeat(depth)}, "APM0001234"]}`);
    expect(r.status).toBe(200);
    expect((r.body.results as unknown as Verdict[]).map(v => v.issues.map(i => i.code))).toEqual([['invalid_type'], []]);
  });

  it('a body without Content-Type application/json is a 400, not a verdict', async () => {
    const res = await fetch(`${b.base}/v1/validate`, {
      method: 'POST',
      headers: { authorization: mockCredentials.user.header(), 'content-type': 'text/plain' },
      body: JSON.stringify({ values: ['APM0001234'] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { name: 'InputError', message: expect.stringMatching(/Content-Type 'application\/json'/) } });
  });

  it('an unknown scheme list names at most five of its unknown names, escaped', async () => {
    const scheme = Array.from({ length: 64 }, (_, i) => `nope${i}\n`);
    const r = await b.validate({ values: ['APM0001234'], scheme });
    expectInputError(r, /^unknown scheme 'nope0\\u\{A\}', 'nope1\\u\{A\}', 'nope2\\u\{A\}', 'nope3\\u\{A\}', 'nope4\\u\{A\}' and 59 more; /);
  });
});

describe("Backstage's per-plugin rate limit (backend.rateLimit.plugin.asset-id)", () => {
  it('bounds the requests a caller makes in a window: 429 in Backstage\'s error shape, no verdict, no CMDB request', async () => {
    const rateLimit = { window: { minutes: 1 }, incomingRequestLimit: 3, ipAllowList: [] };
    // as the README shows it: `global: false`, or every plugin of the backend gets Backstage's global limit
    const b = await startAssetIdBackend(samplePolicy(cmdb.url), {
      config: { backend: { rateLimit: { global: false, plugin: { 'asset-id': rateLimit } } } },
    });
    try {
      for (const id of ['APM0001234', 'APM0000042', 'APM0000007']) {
        expect((await b.validate({ values: [id] })).status).toBe(200);
      }
      const before = (await cmdb.stats()).requests;
      const limited = await b.validate({ values: ['APM0000001'] });
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ error: { name: 'Error', message: expect.stringMatching(/too many requests/i) }, response: { statusCode: 429 } });
      expect(limited.body.results).toBeUndefined();
      expect((await cmdb.stats()).requests).toBe(before);
      expect((await b.get('/v1/policy')).status).toBe(429);
    } finally {
      await b.stop();
    }
  });
});

describe('verdicts equal to the core for every case of tests/cases/format.json', () => {
  const byPolicy = new Map<string, FormatCase[]>();
  for (const c of suite.cases) byPolicy.set(c.policy, [...(byPolicy.get(c.policy) ?? []), c]);

  it.each([...byPolicy.keys()])('policy %s', async name => {
    const policy = suite.policies[name];
    const b = await startAssetIdBackend(policy);
    const core = new AssetIdValidator(policy as unknown as Policy);
    try {
      let compared = 0;
      for (const c of byPolicy.get(name)!) {
        // As JSON carries it (undefined becomes null in an array).
        const input = JSON.parse(JSON.stringify([expandInput(c.input) ?? null]))[0];
        const body = { values: [input], ...(c.options?.scheme ? { scheme: c.options.scheme } : {}) };
        const r = await b.validate(body);
        if (JSON.stringify(body).length > MAX_BODY_BYTES) {
          expectInputError(r, /larger than 64 KiB/);
          continue;
        }
        expect(r.status).toBe(200);
        const got = (r.body.results as unknown as Verdict[])[0];
        // Inline registry records are written in the policy: their columns are the listed ones (all of them).
        const want = await core.validate(input, c.options);
        expect({ case: c.name, verdict: got }).toEqual({ case: c.name, verdict: want });
        expect({ case: c.name, codes: got.issues.map(i => i.code), valid: got.valid }).toEqual({
          case: c.name,
          codes: c.expect.codes,
          valid: c.expect.valid,
        });
        compared += 1;
      }
      expect(compared).toBeGreaterThan(0);
    } finally {
      core.free();
      await b.stop();
    }
  });
});

describe('the shared cache', () => {
  it('one CMDB request for concurrent identical values from different users', async () => {
    const b = await startAssetIdBackend(samplePolicy(cmdb.url));
    try {
      const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
      const answers = await Promise.all(
        users.map((u, i) =>
          b.validate({ values: [i % 2 ? 'APM0001234' : ' apm-000 1234'] }, mockCredentials.user.header(`user:default/${u}`)),
        ),
      );
      for (const a of answers) expect((a.body.results as unknown as Verdict[])[0].valid).toBe(true);
      expect((await cmdb.stats()).requests).toBe(1);
    } finally {
      await b.stop();
    }
  });

  it('a lookup in flight is shared by a later request from another user (no second CMDB request)', async () => {
    // The fake CMDB's slow scenario answers after 3 s; the second user asks 300 ms after the first.
    const b = await startAssetIdBackend(samplePolicy(`${cmdb.url}/scenario/slow`, { timeoutMs: 8000 }));
    try {
      const first = b.validate({ values: ['APM0001234'] }, mockCredentials.user.header('user:default/alice'));
      await new Promise(r => setTimeout(r, 300));
      expect((await cmdb.stats()).requests).toBe(1);
      const second = b.validate({ values: [' APM-0001234'] }, mockCredentials.user.header('user:default/bob'));
      const answers = await Promise.all([first, second]);
      for (const a of answers) expect((a.body.results as unknown as Verdict[])[0].record?.name).toBe('Payments Gateway');
      expect((await cmdb.stats()).requests).toBe(1);
    } finally {
      await b.stop();
    }
  });

    it('the in-process layer is least-recently-used: the oldest entry goes, the others stay', async () => {
    const b = await startAssetIdBackend({ ...samplePolicy(cmdb.url), cache: { memoryEntries: 2 } });
    const requests = async () => (await cmdb.stats()).requests;
    try {
      await b.validate({ values: ['APM0001234'] });
      await b.validate({ values: ['APM0002001'] });
      expect(await requests()).toBe(2);
      await b.validate({ values: ['APM0001234'] }); // a hit: APM0001234 is now the most recent
      expect(await requests()).toBe(2);
      await b.validate({ values: ['APM0003117'] }); // evicts APM0002001, the least recently used
      expect(await requests()).toBe(3);
      await b.validate({ values: ['APM0001234', 'APM0003117'] });
      expect(await requests()).toBe(3);
      await b.validate({ values: ['APM0002001'] });
      expect(await requests()).toBe(4);
    } finally {
      await b.stop();
    }
  });

  it('a verdict cached by one backend instance is served by another through the shared store', async () => {
    // Backstage's own cache client for plugin asset-id (its memory store here; Redis in production), shared.
    const store = CacheManager.fromConfig(mockServices.rootConfig({ data: {} })).forPlugin('asset-id');
    const one = await startAssetIdBackend(samplePolicy(cmdb.url), { store });
    const two = await startAssetIdBackend(samplePolicy(cmdb.url), { store });
    const other = await startAssetIdBackend({ ...samplePolicy(cmdb.url), maxLength: 63 }, { store });
    try {
      const a = await one.validate({ values: ['APM0001234', 'APM9999999'] });
      expect((await cmdb.stats()).requests).toBe(1);
      const b = await two.validate({ values: ['apm0001234', 'APM9999999'] });
      expect((await cmdb.stats()).requests).toBe(1);
      expect((b.body.results as unknown as Verdict[]).map(r => r.issues.map(i => i.code))).toEqual([[], ['not_found']]);
      expect((b.body.results as unknown as Verdict[])[0].record).toEqual((a.body.results as unknown as Verdict[])[0].record);
      // Another policy (e.g. the next release during a rolling deploy) never reads these entries.
      await other.validate({ values: ['APM0001234'] });
      expect((await cmdb.stats()).requests).toBe(2);
    } finally {
      await Promise.all([one.stop(), two.stop(), other.stop()]);
    }
  });

  it('never tells a caller why a lookup failed (internal addresses, the CMDB URL, the token endpoint\'s text)', async () => {
    let down = false;
    let clock = Date.now();
    const leaky: FetchLike = (input, init) =>
      down
        ? Promise.reject(new Error('fetch failed', { cause: new Error('connect ECONNREFUSED 10.20.30.40:443') }))
        : fetch(input, init);
    const b = await startAssetIdBackend(samplePolicy(cmdb.url, { cacheTtlSeconds: 60 }), { fetch: leaky, now: () => clock });
    try {
      await b.validate({ values: ['APM0001234'] });
      down = true;
      clock += 61_000;
      const r = await b.validate({ values: ['APM0001234', 'APM0002001'] });
      expect(r.status).toBe(200);
      const [stale, unknown] = r.body.results as unknown as Array<Verdict & { stale?: { reason: string } }>;
      expect(stale.stale?.reason).toBe('the CMDB could not answer (the reason is in the backend log)');
      expect(unknown.issues).toEqual([
        expect.objectContaining({
          code: 'lookup_unavailable',
          message: 'could not check APM0002001 in the CMDB: the CMDB could not answer (the reason is in the backend log)',
        }),
      ]);
      const text = JSON.stringify(r.body);
      for (const secret of ['10.20.30.40', 'ECONNREFUSED', 'fetch failed', new URL(cmdb.url).host]) {
        expect(text).not.toContain(secret);
      }
    } finally {
      await b.stop();
    }
  });

  it('stale-if-error: during an outage the last known verdict is served (and says so), never a failure', async () => {
    let down = false;
    let clock = Date.now();
    const flaky: FetchLike = (input, init) =>
      down ? Promise.resolve(new Response('{"error":"down"}', { status: 503 })) : fetch(input, init);
    const b = await startAssetIdBackend(samplePolicy(cmdb.url, { cacheTtlSeconds: 60 }), { fetch: flaky, now: () => clock });
    try {
      const first = (await b.validate({ values: ['APM0001234', 'APM0000042'] })).body.results as unknown as Verdict[];
      expect(first.map(r => r.valid)).toEqual([true, false]);
      down = true;
      clock += 61_000; // past the TTL: the backend asks the CMDB again, which fails
      const during = (await b.validate({ values: ['APM0001234', 'APM0000042', 'APM0002001'] })).body
        .results as unknown as Array<Verdict & { stale?: { since: string; reason: string } }>;
      expect(during.map(r => [r.valid, r.issues.map(i => i.code)])).toEqual([
        [true, []],
        [false, ['retired']],
        [false, ['lookup_unavailable']], // never seen: nothing to fall back on
      ]);
      expect(during[0].stale).toEqual({ since: expect.any(String), reason: expect.stringMatching(/503|unavailable|could not/i) });
      expect(during[2].stale).toBeUndefined();
      down = false;
      const after = (await b.validate({ values: ['APM0001234'] })).body.results as unknown as Array<Verdict & { stale?: unknown }>;
      expect(after[0].stale).toBeUndefined();
    } finally {
      await b.stop();
    }
  });
});

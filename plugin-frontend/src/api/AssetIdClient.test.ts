import { AssetIdClient, MAX_CACHED_VERDICTS, MAX_VALUES_PER_REQUEST, VERDICT_TTL_MS } from './AssetIdClient';
import { MAX_COVERAGE_NAME_CHARS, MAX_COVERAGE_OWNERS, MAX_COVERAGE_STATUSES } from './AssetIdApi';
import { DEMO_REQUEST_URL, demoPolicy, searchPolicy } from '../testing/fixtures';
import { BACKEND_BASE, discoveryApi, fakeBackend } from '../testing/fakeBackend';

function client(options: Partial<Parameters<typeof fakeBackend>[0]> = {}, now = () => 0) {
  const backend = fakeBackend({ policy: demoPolicy, ...options });
  return { backend, client: new AssetIdClient({ discoveryApi: { getBaseUrl: discoveryApi.getBaseUrl }, fetchApi: backend.fetchApi, now }) };
}

describe('AssetIdClient', () => {
  it('fetches the policy once, and again after a failure', async () => {
    const { backend, client: c } = client({ mode: 'network-error' });
    await expect(c.getPolicy()).rejects.toMatchObject({ code: 'backend_unavailable' });
    backend.setMode('ok');
    const [a, b] = await Promise.all([c.getPolicy(), c.getPolicy()]);
    expect(a).toBe(b);
    expect(a.schemes.map(s => s.name)).toEqual(['business-app', 'business-service', 'legacy-asset']);
    expect(a).not.toHaveProperty('lookup');
    expect(backend.calls.filter(x => x.url === `${BACKEND_BASE}/v1/policy`)).toHaveLength(2);
  });

  it('batches distinct values into one request, in input order, and shares concurrent identical ones', async () => {
    const { backend, client: c } = client();
    const [first, second] = await Promise.all([
      c.validate(['APM0001234', 'APM0000042', 'APM0001234']),
      c.validate(['APM0000042']),
    ]);
    expect(first.map(v => v.value ?? v.issues[0].code)).toEqual(['APM0001234', 'retired', 'APM0001234']);
    expect(second[0]).toBe(first[1]);
    expect(backend.validateCalls().map(x => x.body)).toEqual([{ values: ['APM0001234', 'APM0000042'] }]);
  });

  it(`reuses a verdict for ${VERDICT_TTL_MS} ms, per scheme narrowing`, async () => {
    let t = 0;
    const { backend, client: c } = client({}, () => t);
    await c.validate(['APM0001234']);
    await c.validate(['APM0001234']);
    await c.validate(['APM0001234'], 'business-app');
    t = VERDICT_TTL_MS;
    await c.validate(['APM0001234']);
    expect(backend.validateCalls().map(x => x.body)).toEqual([
      { values: ['APM0001234'] },
      { values: ['APM0001234'], scheme: 'business-app' },
      { values: ['APM0001234'] },
    ]);
  });

  it('never reuses a verdict of a CMDB outage', async () => {
    const outage = { ...demoPolicy, lookup: { source: 'http', http: { url: 'http://127.0.0.1:9/{id}' }, timeoutMs: 500 } };
    const { backend, client: c } = client({ policy: outage });
    expect((await c.validate(['APM0001234']))[0].issues[0].code).toBe('lookup_unavailable');
    await c.validate(['APM0001234']);
    expect(backend.validateCalls()).toHaveLength(2);
  });

  it(`keeps at most ${MAX_CACHED_VERDICTS} verdicts and refuses more than ${MAX_VALUES_PER_REQUEST} values per call`, async () => {
    const { backend, client: c } = client();
    const ids = Array.from({ length: MAX_CACHED_VERDICTS + 100 }, (_, i) => `APM${String(i).padStart(7, '0')}`);
    for (let i = 0; i < ids.length; i += MAX_VALUES_PER_REQUEST) await c.validate(ids.slice(i, i + MAX_VALUES_PER_REQUEST));
    const before = backend.validateCalls().length;
    await c.validate([ids[ids.length - 1]]); // recent: kept
    await c.validate([ids[0]]); // oldest: dropped
    expect(backend.validateCalls().length - before).toBe(1);
    await expect(c.validate(ids.slice(0, MAX_VALUES_PER_REQUEST + 1))).rejects.toThrow(RangeError);
  });

  it('an oversized answer (Content-Length) is refused without reading it', async () => {
    const fetchApi = {
      fetch: async () => new Response('{}', { headers: { 'content-length': String(64 * 1024 * 1024) } }),
    };
    const c = new AssetIdClient({ discoveryApi: { getBaseUrl: discoveryApi.getBaseUrl }, fetchApi: fetchApi as never });
    await expect(c.getPolicy()).rejects.toMatchObject({ code: 'backend_error', message: expect.stringMatching(/too large/) });
  });

  describe('search', () => {
    it('posts the text (and the narrowing and limit) to /v1/search and returns the records and `more`', async () => {
      const { backend, client: c } = client({ policy: searchPolicy });
      const answer = await c.search('gateway', { scheme: ['business-app', 'business-service'], limit: 3 });
      // Fax Gateway is retired: left out by the backend
      expect(answer.results.map(r => [r.id, r.name])).toEqual([['APM0001234', 'Payments Gateway']]);
      expect(answer.results[0].fields).toMatchObject({ owner: 'team-payments' });
      expect(answer.more).toBe(false);
      expect(backend.searchCalls().map(x => [x.method, x.url, x.body])).toEqual([
        ['POST', `${BACKEND_BASE}/v1/search`, { query: 'gateway', scheme: ['business-app', 'business-service'], limit: 3 }],
      ]);
      const few = await c.search('a', { limit: 1 }).catch(e => e);
      expect(few).toMatchObject({ code: 'backend_error', status: 400 });
      const more = await c.search('service', { limit: 1 });
      expect(more).toMatchObject({ more: true });
      expect(more.results).toHaveLength(1);
    });

    it('the policy carries the browser-safe search settings and the request link, nothing else of lookup', async () => {
      const { client: c } = client({ policy: searchPolicy });
      const policy = await c.getPolicy();
      expect(policy.lookup).toEqual({ source: 'none', search: { minLength: 3, limit: 5 }, requestUrl: DEMO_REQUEST_URL });
    });

    it('maps errors like the other calls: 503 outage, 404 without lookup.search, plugin missing', async () => {
      const down = client({ policy: searchPolicy, mode: 'search-down' });
      await expect(down.client.search('gateway')).rejects.toMatchObject({
        name: 'AssetIdConfigError',
        code: 'backend_error',
        status: 503,
        message: expect.stringMatching(/lookup_unavailable/),
      });
      const off = client({ policy: demoPolicy });
      await expect(off.client.search('gateway')).rejects.toMatchObject({
        code: 'backend_error',
        status: 404,
        message: expect.stringMatching(/no search .*lookup\.search/),
      });
      const missing = client({ policy: searchPolicy, mode: 'not-installed' });
      await expect(missing.client.search('gateway')).rejects.toMatchObject({ code: 'backend_unavailable' });
      const unreachable = client({ policy: searchPolicy, mode: 'network-error' });
      await expect(unreachable.client.search('gateway')).rejects.toMatchObject({ code: 'backend_unavailable' });
      await expect(off.client.search('gateway', { limit: 0 })).rejects.toThrow(RangeError);
    });

    it('an aborted search rejects with the AbortError (not a backend problem)', async () => {
      const { client: c } = client({ policy: searchPolicy, delayMs: 200 });
      const controller = new AbortController();
      const pending = c.search('gateway', { signal: controller.signal });
      controller.abort();
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    });

    it('keeps only well-shaped records of a hostile answer', async () => {
      const searchBody = JSON.stringify({
        results: [null, 'x', { id: 42 }, { id: '' }, { id: 'APM0001234', name: ['x'], status: 7, fields: 'no', url: 1, extra: '<b>' }],
        more: 'yes',
      });
      const { client: c } = client({ policy: searchPolicy, searchBody });
      const answer = await c.search('gateway');
      expect(answer.results).toEqual([{ id: 'APM0001234', fields: {} }]);
      expect(answer.more).toBe(true);
      const bad = client({ policy: searchPolicy, searchBody: '{"results": {}}' });
      await expect(bad.client.search('gateway')).rejects.toMatchObject({ code: 'backend_error' });
    });
  });

  describe('getCoverage (GET /v1/coverage)', () => {
    const good = {
      total: 3,
      byStatus: { valid: 2, retired: 1 },
      byOwner: [{ owner: 'group:default/a', total: 3, valid: 2 }],
      kinds: ['System'],
      limit: 20_000,
      complete: true,
      generatedAt: '2026-12-08T01:00:00.000Z',
    };

    it('answers the backend\'s coverage, checked for shape', async () => {
      const { backend, client: c } = client({ coverageBody: JSON.stringify({ ...good, extra: 'dropped' }) });
      await expect(c.getCoverage()).resolves.toEqual({ ...good, ownersOmitted: 0 });
      expect(backend.calls.map(x => [x.method, x.url])).toEqual([['GET', `${BACKEND_BASE}/v1/coverage`]]);
    });

    it('passes on the status annotation the backend read and the owners it left out', async () => {
      const body = { ...good, statusAnnotation: 'acme.com/cmdb-status', ownersOmitted: 5 };
      const { client: c } = client({ coverageBody: JSON.stringify(body) });
      await expect(c.getCoverage()).resolves.toEqual(body);
    });

    it('403 is backend_error with status 403; a backend without the endpoint says to update it; none at all is backend_unavailable', async () => {
      const forbidden = client({ mode: 'coverage-forbidden' });
      await expect(forbidden.client.getCoverage()).rejects.toMatchObject({ code: 'backend_error', status: 403 });
      const older = client();
      await expect(older.client.getCoverage()).rejects.toMatchObject({ code: 'backend_error', status: 404 });
      await expect(older.client.getCoverage()).rejects.toThrow(/no coverage .*update @asset-id\/backstage-plugin-asset-id-backend/);
      const down = client({ mode: 'network-error' });
      await expect(down.client.getCoverage()).rejects.toMatchObject({ code: 'backend_unavailable' });
      // a backend that says why it has no coverage: its message, not "update"
      const said = client({ coverageStatus: 404, coverageBody: JSON.stringify({ error: { name: 'NotFoundError', message: "coverage needs the catalog processor's status annotation" } }) });
      await expect(said.client.getCoverage()).rejects.toThrow(/no coverage .*: coverage needs the catalog processor's status annotation$/);
    });

    it.each([
      ['no total', JSON.stringify({ ...good, total: undefined })],
      ['a negative total', JSON.stringify({ ...good, total: -1 })],
      ['a fractional count', JSON.stringify({ ...good, byStatus: { valid: 1.5 } })],
      ['a count as text', JSON.stringify({ ...good, byStatus: { valid: '2' } })],
      ['byOwner not a list', JSON.stringify({ ...good, byOwner: {} })],
      ['an owner line without a name', JSON.stringify({ ...good, byOwner: [{ total: 1, valid: 1 }] })],
      ['more valid than total', JSON.stringify({ ...good, byOwner: [{ owner: 'x', total: 1, valid: 2 }] })],
      ['no date', JSON.stringify({ ...good, generatedAt: 'yesterday' })],
      ['a huge number', JSON.stringify({ ...good, total: 1e300 })],
      ['kinds not names', JSON.stringify({ ...good, kinds: [{}] })],
      ['complete as text', JSON.stringify({ ...good, complete: 'no' })],
      ['no kinds', JSON.stringify({ ...good, kinds: undefined })],
      ['no limit', JSON.stringify({ ...good, limit: undefined })],
      ['no complete', JSON.stringify({ ...good, complete: undefined })],
      ['a status annotation that is no annotation key', JSON.stringify({ ...good, statusAnnotation: 'a b' })],
      ['a status annotation that is not text', JSON.stringify({ ...good, statusAnnotation: 7 })],
      ['a huge status annotation', JSON.stringify({ ...good, statusAnnotation: 'a'.repeat(300) })],
      ['ownersOmitted as text', JSON.stringify({ ...good, ownersOmitted: '3' })],
    ])('a hostile answer (%s) is refused as backend_error', async (_label, coverageBody) => {
      const { client: c } = client({ coverageBody });
      await expect(c.getCoverage()).rejects.toMatchObject({ code: 'backend_error' });
    });

    it(`keeps at most ${MAX_COVERAGE_OWNERS} owners and ${MAX_COVERAGE_STATUSES} statuses, names cut at ${MAX_COVERAGE_NAME_CHARS} characters`, async () => {
      const coverageBody = JSON.stringify({
        ...good,
        byStatus: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`s${i}`, 1])),
        byOwner: Array.from({ length: 3000 }, (_, i) => ({ owner: `${'o'.repeat(300)}${i}`, total: 1, valid: 0 })),
      });
      const { client: c } = client({ coverageBody });
      const answer = await c.getCoverage();
      expect(Object.keys(answer.byStatus)).toHaveLength(MAX_COVERAGE_STATUSES);
      expect(answer.byOwner).toHaveLength(MAX_COVERAGE_OWNERS);
      expect(answer.ownersOmitted).toBe(3000 - MAX_COVERAGE_OWNERS);
      expect(answer.byOwner[0].owner).toHaveLength(MAX_COVERAGE_NAME_CHARS);
    });

    it(`keeps the backend's other count beside ${MAX_COVERAGE_STATUSES} statuses (the backend lists that many besides other, other last)`, async () => {
      const byStatus = { ...Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`s${i}`, 1])), other: 7 };
      const { client: c } = client({ coverageBody: JSON.stringify({ ...good, byStatus }) });
      const answer = await c.getCoverage();
      expect(Object.keys(answer.byStatus)).toHaveLength(MAX_COVERAGE_STATUSES + 1);
      expect(answer.byStatus.other).toBe(7);
      expect(answer.byStatus[`s${MAX_COVERAGE_STATUSES - 1}`]).toBe(1);
      expect(answer.byStatus[`s${MAX_COVERAGE_STATUSES}`]).toBeUndefined();
    });
  });
});

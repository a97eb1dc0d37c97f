import { AssetIdClient, MAX_CACHED_VERDICTS, MAX_VALUES_PER_REQUEST, VERDICT_TTL_MS } from './AssetIdClient';
import { demoPolicy } from '../testing/fixtures';
import { BACKEND_BASE, discoveryApi, fakeBackend } from '../testing/fakeBackend';

function client(options: Partial<Parameters<typeof fakeBackend>[0]> = {}, now = () => 0) {
  const backend = fakeBackend({ policy: demoPolicy, ...options });
  return { backend, client: new AssetIdClient({ getBaseUrl: discoveryApi.getBaseUrl }, backend.fetchApi, now) };
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
    const c = new AssetIdClient({ getBaseUrl: discoveryApi.getBaseUrl }, fetchApi as never);
    await expect(c.getPolicy()).rejects.toMatchObject({ code: 'backend_error', message: expect.stringMatching(/too large/) });
  });
});

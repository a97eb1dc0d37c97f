import { mockServices } from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import type { FetchLike } from 'asset-id';
import { startFakeCmdb, type FakeCmdb } from '../__testUtils__/fakeCmdb';
import { samplePolicy } from '../__testUtils__/policy';
import { createAssetIdService } from './AssetIdService';
import { readAssetIdSettings } from './config';
import { credentialScopes } from './fetch';
import { interpretTokenAnswer, OAuthTokenSource, REJECTED_BACKOFF_MAX_MS, REJECTED_BACKOFF_MIN_MS } from './oauth';

// The fake CMDB's one OAuth client (tests/support/fake-cmdb.mjs OAUTH_CLIENT).
const CLIENT = { clientId: 'asset-id-client', clientSecret: 's3cret-client' };

let cmdb: FakeCmdb;
beforeAll(async () => {
  cmdb = await startFakeCmdb();
});
afterAll(() => cmdb.close());
beforeEach(() => cmdb.reset());

const ids = (n: number) => Array.from({ length: n }, (_, i) => `APM${String(i + 1).padStart(7, '0')}`);

function service(scenario: string, credentials: JsonObject, lookup: JsonObject = {}, servicenow: JsonObject = {}) {
  const logger = mockServices.logger.mock();
  const policy = samplePolicy(`${cmdb.url}/scenario/${scenario}`, { timeoutMs: 5000, ...lookup });
  const sn = (policy.lookup as JsonObject).servicenow as JsonObject;
  Object.assign(sn, servicenow);
  const svc = createAssetIdService({
    config: mockServices.rootConfig({ data: { assetId: { ...policy, credentials: { servicenow: credentials } } } }),
    logger,
  });
  return { svc, logger };
}

async function counts() {
  const { log } = await cmdb.stats();
  return {
    token: log.filter(e => e.method === 'POST' && e.path.endsWith('/oauth_token.do')).length,
    table: log.filter(e => e.path.includes('/api/now/table/')).length,
  };
}

const unavailable = (v: { issues: Array<{ code: string }> }) => v.issues.some(i => i.code === 'lookup_unavailable');

describe('OAuth client credentials (ServiceNow)', () => {
  it('gets one token for a 120-ID run in 3 batches, and reuses it', async () => {
    const { svc } = service('oauth', CLIENT);
    const verdicts = await svc.validateMany(ids(120));
    expect(verdicts.filter(unavailable)).toEqual([]);
    expect(await counts()).toEqual({ token: 1, table: 3 });
    // Later lookups (other IDs, other callers at once) reuse the cached token.
    await Promise.all([svc.validate('APM0001234'), svc.validate('BSN0001001'), svc.validate('APM0000042')]);
    expect((await counts()).token).toBe(1);
  });

  it('refreshes an expired token once on 401', async () => {
    // The fake accepts a token for 2 table requests; one batch at a time: 5 batches, 2 refreshes.
    const { svc } = service('oauth-expire', CLIENT, { maxConcurrency: 1 }, { batchSize: 10 });
    const verdicts = await svc.validateMany(ids(50));
    expect(verdicts.filter(unavailable)).toEqual([]);
    expect(await counts()).toEqual({ token: 3, table: 7 });
  });

  it('asks for a fresh token only once when the Table API keeps refusing', async () => {
    const { svc } = service('401', CLIENT);
    const verdict = await svc.validate('APM0001234');
    expect(verdict.issues.map(i => i.code)).toEqual(['lookup_unavailable']);
    expect(await counts()).toEqual({ token: 2, table: 2 });
  });

  it('reports a rejected client once, as one clear configuration error', async () => {
    const { svc, logger } = service('oauth', { clientId: CLIENT.clientId, clientSecret: 'wrong' });
    const verdicts = await svc.validateMany(ids(120));
    expect(verdicts.every(unavailable)).toBe(true);
    const messages = new Set(verdicts.map(v => v.issues[0].message.replace(/^could not check \S+ /, '')));
    expect(messages.size).toBe(1);
    const [message] = [...messages];
    expect(message).toMatch(/OAuth/);
    expect(message).toMatch(/invalid_client/);
    expect(message).toMatch(/assetId\.credentials\.servicenow\.clientId/);
    expect(message).not.toMatch(/wrong/);
    await svc.validateMany(['BSN0001001', 'APM0001234']);
    expect(await counts()).toEqual({ token: 1, table: 0 });
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith(expect.stringMatching(/^OAuth: .*invalid_client.*assetId\.credentials\.servicenow/));
  });

  it('uses lookup.servicenow.tokenUrl and never sends client credentials in clear', async () => {
    const { svc } = service('oauth', CLIENT, {}, { tokenUrl: `${cmdb.url}/scenario/ok/oauth_token.do` });
    expect((await svc.validate('APM0001234')).valid).toBe(true);
    expect((await cmdb.stats()).log[0]).toMatchObject({ method: 'POST', path: '/scenario/ok/oauth_token.do' });
    const policy = samplePolicy('https://acme.service-now.com', {}) as JsonObject;
    ((policy.lookup as JsonObject).servicenow as JsonObject).tokenUrl = 'http://login.example/oauth_token.do';
    const { scopes, problems } = credentialScopes(policy as never, { servicenow: CLIENT });
    expect(scopes).toEqual([]);
    expect(problems).toEqual([expect.stringMatching(/OAuth client credentials .*'http:\/\/login\.example\/oauth_token\.do'/)]);
  });

  it('reads clientId/clientSecret only for ServiceNow, and only both', () => {
    const read = (credentials: JsonObject) => () =>
      readAssetIdSettings(mockServices.rootConfig({ data: { assetId: { ...samplePolicy(cmdb.url), credentials } } }));
    expect(read({ servicenow: CLIENT })().credentials.servicenow).toEqual(CLIENT);
    expect(read({ servicenow: { clientId: 'x' } })).toThrow(/need both clientId and clientSecret/);
    expect(read({ http: CLIENT })).toThrow(/ServiceNow only/);
    expect(read({ servicenow: { ...CLIENT, token: 't' } })).toThrow(/not both/);
  });
});

describe('OAuthTokenSource', () => {
  function endpoint(answers: Array<() => Response>): { fetch: FetchLike; bodies: string[] } {
    const bodies: string[] = [];
    return {
      bodies,
      fetch: async (_input, init) => {
        bodies.push(String(init?.body));
        return (answers.shift() ?? answers[0])();
      },
    };
  }
  const token = (t: string, expires_in = 1800) => () =>
    new Response(JSON.stringify({ access_token: t, token_type: 'Bearer', expires_in }), {
      headers: { 'content-type': 'application/json' },
    });

  it('posts the form, shares one request, and refreshes 60 s before expires_in', async () => {
    let now = 0;
    const e = endpoint([token('a'), token('b')]);
    const src = new OAuthTokenSource({ tokenUrl: 'https://x/oauth_token.do', clientId: 'id&1', clientSecret: 's=2', fetch: e.fetch, now: () => now });
    expect(await Promise.all([src.header(), src.header(), src.header()])).toEqual(['Bearer a', 'Bearer a', 'Bearer a']);
    expect(e.bodies).toEqual(['grant_type=client_credentials&client_id=id%261&client_secret=s%3D2']);
    now = 1739_000;
    expect(await src.header()).toBe('Bearer a');
    now = 1740_000;
    expect(await src.header()).toBe('Bearer b');
    expect(src.requests).toBe(2);
  });

  it('caps the answer and times out even if the fetch ignores its signal', async () => {
    const big = new OAuthTokenSource({
      tokenUrl: 'https://x/t', clientId: 'a', clientSecret: 'b', maxResponseBytes: 10,
      fetch: async () => new Response('{"access_token":"aaaaaaaaaaaaaaaaaaaaaaa"}'),
    });
    await expect(big.header()).rejects.toThrow(/larger than lookup\.maxResponseBytes/);
    const hang = new OAuthTokenSource({
      tokenUrl: 'https://x/t', clientId: 'a', clientSecret: 'b', timeoutMs: 50,
      fetch: () => new Promise<Response>(() => {}),
    });
    await expect(hang.header()).rejects.toThrow(/did not answer within 50 ms/);
  });

  it('interprets token answers like the core', () => {
    expect(interpretTokenAnswer(200, '{"access_token":"t","expires_in":"300"}')).toEqual({ ok: true, accessToken: 't', expiresInS: 300 });
    expect(interpretTokenAnswer(200, '{"access_token":"t","token_type":"mac"}')).toMatchObject({ ok: false, rejected: false });
    expect(interpretTokenAnswer(200, '<html>')).toMatchObject({ ok: false, message: expect.stringMatching(/without an access_token/) });
    expect(interpretTokenAnswer(401, '{"error":"invalid_client","error_description":"access_denied"}')).toEqual({
      ok: false,
      rejected: true,
      message: 'the OAuth token endpoint rejected the client credentials (HTTP 401: invalid_client (access_denied))',
    });
    expect(interpretTokenAnswer(400, '{"error":"invalid_client"}')).toMatchObject({ rejected: true });
    expect(interpretTokenAnswer(401, '')).toMatchObject({ rejected: true });
    expect(interpretTokenAnswer(400, '{"error":"unsupported_grant_type"}')).toMatchObject({ rejected: false });
    expect(interpretTokenAnswer(503, 'down')).toMatchObject({ rejected: false, message: expect.stringMatching(/HTTP 503/) });
  });
});

describe('a rejected OAuth client is asked again after a backoff', () => {
  const TOKEN_URL = 'https://acme.service-now.com/oauth_token.do';
  const bare401 = () => new Response(null, { status: 401 });
  const invalidClient = () =>
    new Response(JSON.stringify({ error: 'invalid_client' }), { status: 401, headers: { 'content-type': 'application/json' } });
  const issued = (t: string, expires_in = 1800) => () =>
    new Response(JSON.stringify({ access_token: t, token_type: 'Bearer', expires_in }), {
      headers: { 'content-type': 'application/json' },
    });

  it('401 then recovery: fails fast without a token request for 30 s, then one request, then lookups work again', async () => {
    let now = 1_000_000;
    const answers = [bare401, issued('fresh')];
    const log: string[] = [];
    // The token endpoint answers from `answers`; the Table API knows APM0001234 when the fresh token comes with it.
    const fetch: FetchLike = async (input, init) => {
      const url = new URL(typeof input === 'string' ? input : (input as Request).url);
      if (url.pathname === '/oauth_token.do') {
        log.push('token');
        return answers.shift()!();
      }
      log.push('table');
      if (new Headers(init?.headers).get('authorization') !== 'Bearer fresh') return new Response(null, { status: 401 });
      const wanted = /numberIN([^^]*)/.exec(url.searchParams.get('sysparm_query') ?? '')?.[1].split(',') ?? [];
      const rows = wanted.filter(id => id === 'APM0001234').map(id => ({ number: id, name: 'Payments Gateway', install_status: '1' }));
      return new Response(JSON.stringify({ result: rows }), { headers: { 'content-type': 'application/json' } });
    };
    const logger = mockServices.logger.mock();
    const svc = createAssetIdService({
      config: mockServices.rootConfig({
        data: { assetId: { ...samplePolicy('https://acme.service-now.com'), credentials: { servicenow: CLIENT } } },
      }),
      logger,
      fetch,
      now: () => now,
      store: null,
    });

    const first = await svc.validate('APM0001234');
    expect(first.issues.map(i => i.code)).toEqual(['lookup_unavailable']);
    expect(first.issues[0].message).toMatch(/OAuth: the OAuth token endpoint rejected the client credentials \(HTTP 401\)/);
    expect(first.issues[0].message).toMatch(/assetId\.credentials\.servicenow\.clientId/);
    expect(log).toEqual(['token']);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith(expect.stringMatching(/rejected the client credentials.*asked again in 30 s/));

    // Within the 30 s: every lookup fails at once with the same message; no token request, no table request.
    for (const t of [0, 1, 15_000, REJECTED_BACKOFF_MIN_MS - 1]) {
      now = 1_000_000 + t;
      const verdicts = await svc.validateMany(['APM0001234', 'BSN0001001']);
      for (const v of verdicts) {
        expect(v.issues.map(i => i.code)).toEqual(['lookup_unavailable']);
        expect(v.issues[0].message.replace(/^could not check \S+ /, '')).toBe(first.issues[0].message.replace(/^could not check \S+ /, ''));
      }
    }
    expect(log).toEqual(['token']);
    expect(logger.error).toHaveBeenCalledTimes(1);

    // 30 s later: one token request, it succeeds, and lookups work again.
    now = 1_000_000 + REJECTED_BACKOFF_MIN_MS;
    const [a, b, c] = await Promise.all([svc.validate('APM0001234'), svc.validate('APM0001234'), svc.validate('APM9999999')]);
    expect([a.valid, b.valid]).toEqual([true, true]);
    expect(a.record?.name).toBe('Payments Gateway');
    expect(c.issues.map(i => i.code)).toEqual(['not_found']);
    expect(log.filter(e => e === 'token')).toEqual(['token', 'token']);
    expect(logger.error).toHaveBeenCalledTimes(1);
  });

  it('doubles the wait after each new rejection up to 5 min, and starts again at 30 s after a success', async () => {
    let now = 0;
    const answers: Array<() => Response> = [invalidClient, bare401, invalidClient, invalidClient, invalidClient, invalidClient, invalidClient];
    let requests = 0;
    const rejections: Array<{ message: string; retryInMs: number; at: number }> = [];
    const src = new OAuthTokenSource({
      tokenUrl: TOKEN_URL,
      clientId: 'id',
      clientSecret: 'secret',
      fetch: async () => {
        requests += 1;
        return answers.shift()!();
      },
      onRejected: (message, retryInMs) => rejections.push({ message, retryInMs, at: now }),
      now: () => now,
    });
    const failsFast = async () => {
      const before = requests;
      await expect(src.header()).rejects.toThrow(/^OAuth: the OAuth token endpoint rejected the client credentials/);
      expect(requests).toBe(before);
    };
    const rejectedByRequest = async () => {
      const before = requests;
      await expect(src.header()).rejects.toThrow(/rejected the client credentials/);
      expect(requests).toBe(before + 1);
    };

    // 30 s, 60 s, 120 s, 240 s, then 300 s (not 480 s), 300 s.
    const waits = [30_000, 60_000, 120_000, 240_000, 300_000, 300_000];
    for (const wait of waits) {
      await rejectedByRequest();
      expect(rejections.at(-1)).toMatchObject({ retryInMs: wait, at: now });
      now += wait - 1;
      await failsFast();
      await failsFast();
      now += 1;
    }
    expect(rejections.map(r => r.retryInMs)).toEqual(waits);
    expect(Math.max(...rejections.map(r => r.retryInMs))).toBe(REJECTED_BACKOFF_MAX_MS);
    expect(requests).toBe(6);

    // A success resets the backoff ...
    answers.splice(0, answers.length, issued('ok', 120), invalidClient, issued('back'));
    expect(await src.header()).toBe('Bearer ok');
    expect(await src.header()).toBe('Bearer ok'); // cached, no request
    expect(requests).toBe(7);
    // ... so the next rejection (the token expired, the secret was revoked meanwhile) waits 30 s again.
    now += 60_000;
    await rejectedByRequest();
    expect(rejections.at(-1)!.retryInMs).toBe(REJECTED_BACKOFF_MIN_MS);
    now += REJECTED_BACKOFF_MIN_MS - 1;
    await failsFast();
    now += 1;
    expect(await src.header()).toBe('Bearer back');
    expect(requests).toBe(9);
    expect(rejections).toHaveLength(7);
  });

  it('shares one token request among the callers that arrive when the backoff ends', async () => {
    let now = 0;
    const answers = [bare401, bare401];
    let requests = 0;
    const src = new OAuthTokenSource({
      tokenUrl: TOKEN_URL,
      clientId: 'id',
      clientSecret: 'secret',
      fetch: async () => {
        requests += 1;
        return answers.shift()!();
      },
      now: () => now,
    });
    await expect(src.header()).rejects.toThrow(/HTTP 401/);
    now = REJECTED_BACKOFF_MIN_MS;
    const all = await Promise.allSettled([src.header(), src.header(), src.header()]);
    expect(all.map(r => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(requests).toBe(2);
  });
});

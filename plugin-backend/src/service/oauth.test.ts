import { mockServices } from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import { startFakeCmdb, type FakeCmdb } from '../__testUtils__/fakeCmdb';
import { samplePolicy } from '../__testUtils__/policy';
import { createAssetIdService } from './AssetIdService';
import { readAssetIdSettings } from './config';

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

  it('shares one token request among requests sent at once', async () => {
    const { svc } = service('oauth', CLIENT, {}, { batchSize: 1 });
    const verdicts = await svc.validateMany(ids(5));
    expect(verdicts.filter(unavailable)).toEqual([]);
    expect(await counts()).toEqual({ token: 1, table: 5 });
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
    const urls: string[] = [];
    const logger = mockServices.logger.mock();
    const clear = createAssetIdService({
      config: mockServices.rootConfig({ data: { assetId: { ...policy, credentials: { servicenow: CLIENT } } } }),
      logger,
      fetch: async input => {
        urls.push(String(input));
        return new Response('{"result":[]}', { headers: { 'content-type': 'application/json' } });
      },
    });
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(/^assetId\.credentials\.servicenow: OAuth client credentials .*'http:\/\/login\.example\/oauth_token\.do'.*never sent$/),
    );
    await clear.validate('APM0001234');
    // No token request; the table request goes without credentials.
    expect(urls).toEqual([expect.stringMatching(/^https:\/\/acme\.service-now\.com\/api\/now\/table\//)]);
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

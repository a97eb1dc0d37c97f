import { mockServices } from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import type { FetchLike } from 'asset-id';
import { startFakeCmdb, type FakeCmdb } from '../__testUtils__/fakeCmdb';
import { samplePolicy } from '../__testUtils__/policy';
import { createAssetIdService } from './AssetIdService';
import { readAssetIdSettings } from './config';

let cmdb: FakeCmdb;
beforeAll(async () => {
  cmdb = await startFakeCmdb();
});
afterAll(() => cmdb.close());
beforeEach(() => cmdb.reset());

type Call = { url: string; authorization: string | null };

/** A network fetch that records the URL and Authorization header of each request, then sends it. */
function recordingFetch(calls: Call[], send = true): FetchLike {
  return async (input, init) => {
    calls.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization') });
    return send ? fetch(input, init) : new Response('{"result":[]}', { status: 200 });
  };
}

function service(assetId: JsonObject, calls: Call[]) {
  const logger = mockServices.logger.mock();
  const svc = createAssetIdService({
    config: mockServices.rootConfig({ data: { assetId } }),
    logger,
    fetch: recordingFetch(calls),
  });
  return { svc, logger };
}

// Which URLs and transports get a credential, case by case: credentials.cases.test.ts (tests/cases/credentials.json,
// the core's rules, also run through the CLI). Here: the service's wiring of them.
describe('CMDB credentials', () => {
  it('sends HTTP Basic credentials to the ServiceNow base URL', async () => {
    const calls: Call[] = [];
    const { svc } = service(
      { ...samplePolicy(cmdb.url), credentials: { servicenow: { username: 'svc-backstage', password: 's3cret' } } },
      calls,
    );
    const verdict = await svc.validate('APM0001234');
    expect(verdict.valid).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0].url.startsWith(`${cmdb.url}/api/now/table/`)).toBe(true);
    expect(calls[0].authorization).toBe(
      `Basic ${Buffer.from('svc-backstage:s3cret').toString('base64')}`,
    );
  });

  it('sends a bearer token when configured with { token }', async () => {
    const calls: Call[] = [];
    const { svc } = service(
      { ...samplePolicy(`${cmdb.url}/scenario/ok`), credentials: { servicenow: { token: 't0ken' } } },
      calls,
    );
    expect((await svc.validateMany(['APM0001234', 'BSN0001001'])).map(v => v.valid)).toEqual([true, true]);
    expect(calls).toHaveLength(1);
    expect(calls[0].authorization).toBe('Bearer t0ken');
  });

  it('sends nothing when no credentials are configured', async () => {
    const calls: Call[] = [];
    const { svc } = service(samplePolicy(cmdb.url), calls);
    await svc.validate('APM0001234');
    expect(calls[0].authorization).toBeNull();
  });

  it('scopes credentials for the http and registry sources to their URLs', async () => {
    const calls: Call[] = [];
    const { svc: http } = service(
      {
        ...samplePolicy(cmdb.url),
        lookup: { source: 'http', http: { url: `${cmdb.url}/assets/{id}`, recordPointer: '/data' } },
        credentials: { http: { token: 'h' }, servicenow: { token: 'never-sent' } },
      },
      calls,
    );
    const verdict = await http.validate('APM0001234');
    expect(verdict.valid).toBe(true);
    expect(verdict.record?.name).toBe('Payments Gateway');
    expect(calls).toEqual([{ url: `${cmdb.url}/assets/APM0001234`, authorization: 'Bearer h' }]);

    calls.length = 0;
    const { svc: registry } = service(
      {
        ...samplePolicy(cmdb.url),
        lookup: { source: 'registry', registry: { url: `${cmdb.url}/registry.json` } },
        credentials: { registry: { username: 'r', password: 'p' } },
      },
      calls,
    );
    expect((await registry.validate('APM0000042')).issues.map(i => i.code)).toEqual(['retired']);
    expect(calls).toEqual([
      { url: `${cmdb.url}/registry.json`, authorization: `Basic ${Buffer.from('r:p').toString('base64')}` },
    ]);
  });

  it('withholds a credential configured for a plain-HTTP CMDB and reports it at startup', async () => {
    const calls: Call[] = [];
    const logger = mockServices.logger.mock();
    const svc = createAssetIdService({
      config: mockServices.rootConfig({
        data: {
          assetId: {
            ...samplePolicy('http://acme.service-now.com'),
            lookup: { source: 'http', http: { url: 'http://cmdb.example/api/assets/{id}', recordPointer: '/data' } },
            credentials: { http: { token: 'cleartext' } },
          },
        },
      }),
      logger,
      // Never reaches the network: answers like the CMDB would.
      fetch: async (input, init) => {
        calls.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization') });
        return new Response('{"data":{"id":"APM0001234","name":"Payments Gateway"}}', {
          status: 200,
          headers: { 'content-type': 'application/json' },
        });
      },
    });
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(/assetId\.credentials\.http: the lookup URL 'http:\/\/cmdb\.example\/api\/assets\/' is not HTTPS/),
    );
    expect((await svc.validate('APM0001234')).valid).toBe(true);
    expect(calls).toEqual([{ url: 'http://cmdb.example/api/assets/APM0001234', authorization: null }]);
  });

  it('withholds a loopback credential when the environment proxies fetch, and says how to fix it', async () => {
    const saved = { NODE_USE_ENV_PROXY: process.env.NODE_USE_ENV_PROXY, HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };
    const restore = () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    };
    try {
      process.env.NODE_USE_ENV_PROXY = '1';
      process.env.HTTP_PROXY = 'http://127.0.0.1:9';
      delete process.env.NO_PROXY;
      delete process.env.no_proxy;
      const calls: Call[] = [];
      const logger = mockServices.logger.mock();
      const svc = createAssetIdService({
        config: mockServices.rootConfig({
          data: { assetId: { ...samplePolicy(cmdb.url), credentials: { servicenow: { token: 'through-proxy' } } } },
        }),
        logger,
        fetch: recordingFetch(calls, false),
      });
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringMatching(/assetId\.credentials\.servicenow: .*through the HTTP proxy.*add '127\.0\.0\.1' to NO_PROXY/),
      );
      await svc.validate('APM0001234');
      expect(calls.map(c => c.authorization)).toEqual([null]);
    } finally {
      restore();
    }
  });

  it('keeps credentials out of the policy handed to the validator', () => {
    const settings = readAssetIdSettings(
      mockServices.rootConfig({
        data: {
          assetId: {
            ...samplePolicy('/api/proxy/servicenow'),
            processor: { mode: 'warn' },
            credentials: { servicenow: { username: 'u', password: 'p' } },
            backend: { lookup: { servicenow: { baseUrl: cmdb.url } } },
          },
        },
      }),
    );
    const policy = settings.policy as unknown as JsonObject;
    expect(Object.keys(policy).sort()).toEqual(['catalog', 'lookup', 'maxLength', 'schemes']);
    expect(JSON.stringify(policy)).not.toMatch(/"p"|credentials|username/);
    expect(settings.processor.mode).toBe('warn');
    expect(settings.credentials.servicenow).toEqual({ username: 'u', password: 'p' });
  });

  it('still merges the deprecated assetId.backend.lookup (with a warning), and credentials follow it', async () => {
    const calls: Call[] = [];
    const { svc, logger } = service(
      {
        ...samplePolicy('/api/proxy/servicenow'),
        backend: { lookup: { servicenow: { baseUrl: cmdb.url } } },
        credentials: { servicenow: { token: 'abc' } },
      },
      calls,
    );
    expect((await svc.validate('APM0001234')).valid).toBe(true);
    expect(calls[0].url.startsWith(cmdb.url)).toBe(true);
    expect(calls[0].authorization).toBe('Bearer abc');
    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/'assetId.backend.lookup' is deprecated.*'assetId.lookup'/));
  });

  it('warns when a credential can never be sent', () => {
    const { logger } = service({ ...samplePolicy(cmdb.url), credentials: { http: { token: 'x' } } }, []);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(/^assetId\.credentials\.http is configured but the policy's lookup\.source is not http; it is never sent$/),
    );
  });

  it.each(['proxy:/servicenow', '/api/proxy/servicenow'])(
    'refuses a proxy-era lookup URL (%s), naming the key and the fix, with code and path',
    url => {
      expect(() => service(samplePolicy(url), [])).toThrow(
        /assetId.lookup.servicenow.baseUrl.*not an absolute http\(s\) URL.*no Backstage proxy/,
      );
      expect(() => service(samplePolicy(url), [])).toThrow(
        expect.objectContaining({ code: 'invalid_policy', path: 'assetId.lookup.servicenow.baseUrl' }),
      );
    },
  );

  it('refuses a malformed credential and an invalid processor mode', () => {
    const read = (extra: JsonObject) =>
      readAssetIdSettings(mockServices.rootConfig({ data: { assetId: { ...samplePolicy(cmdb.url), ...extra } } }));
    expect(() => read({ credentials: { servicenow: { password: 'p' } } })).toThrow(/assetId.credentials.servicenow/);
    expect(() => read({ processor: { mode: 'block' } })).toThrow(/assetId.processor.mode/);
  });

  it('refuses an invalid policy with the path of the problem', () => {
    const policy = samplePolicy(cmdb.url);
    (policy.schemes as JsonObject[])[1].pattern = '(';
    expect(() => service(policy, [])).toThrow(/Invalid asset-id policy in app-config 'assetId': .*schemes\[1\]\.pattern/);
    // The core's code and path survive the wrapping (issue 11), the path prefixed with the config section.
    expect(() => service(policy, [])).toThrow(
      expect.objectContaining({ code: 'invalid_policy', path: 'assetId.schemes[1].pattern' }),
    );
  });
});

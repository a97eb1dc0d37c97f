import { mockServices } from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import type { FetchLike } from 'asset-id';
import { startFakeCmdb, type FakeCmdb } from '../__testUtils__/fakeCmdb';
import { samplePolicy } from '../__testUtils__/policy';
import { createAssetIdService } from './AssetIdService';
import { readAssetIdSettings } from './config';
import {
  authorizationFor,
  createCredentialedFetch,
  credentialScopes,
  mayCarryCredentials,
  type CredentialScope,
  type ProxyEnvironment,
} from './fetch';

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

  it('never adds the header to requests elsewhere', async () => {
    const base = `${cmdb.url}/scenario/ok`;
    const policy = samplePolicy(base) as never;
    const { scopes } = credentialScopes(policy, { servicenow: { token: 't0ken' } });
    const calls: Call[] = [];
    const wrapped = createCredentialedFetch(scopes, recordingFetch(calls, false));
    const port = Number(new URL(cmdb.url).port);
    const elsewhere = [
      `http://127.0.0.1:${port + 1}/scenario/ok/api/now/table/x`, // other port
      `http://localhost:${port}/scenario/ok/api/now/table/x`, // other host name
      `https://127.0.0.1:${port}/scenario/ok/api/now/table/x`, // other scheme
      `${cmdb.url}/registry.json`, // same origin, outside the base path
      `${cmdb.url}/scenario/okay/api/now/table/x`, // path prefix without a segment boundary
      'https://acme.service-now.com.evil.example/api/now/table/x',
    ];
    for (const url of elsewhere) await wrapped(url);
    await wrapped(`${base}/api/now/table/cmdb_ci_business_app?sysparm_query=x`);
    await wrapped(base);
    expect(calls.map(c => c.authorization)).toEqual([
      ...elsewhere.map(() => null),
      'Bearer t0ken',
      'Bearer t0ken',
    ]);
    expect(authorizationFor('not a url', scopes)).toBeUndefined();
  });

  it('sends credentials only over HTTPS, or plain HTTP to a loopback host', () => {
    const allowed = [
      'https://acme.service-now.com',
      'HTTPS://acme.service-now.com/api',
      `${cmdb.url}/scenario/ok`,
      'http://localhost:8080/api',
      'http://127.0.0.1',
      'http://127.1.2.3:9/x',
      'http://2130706433/api', // 127.0.0.1 spelled as one number; URL normalizes it
      'http://[::1]:8080/api',
    ];
    const refused = [
      'http://acme.service-now.com',
      'http://cmdb.example:80/api',
      'http://127.0.0.1.evil.example/api',
      'http://localhost.evil.example/api',
      'http://localhost@evil.example/api',
      'http://evil.localhost/api',
      'http://[::ffff:127.0.0.1]/api', // IPv4-mapped: not what the CLI counts as loopback either
      'ws://127.0.0.1/api',
      'ftp://127.0.0.1/api',
      'cmdb://internal/api',
    ];
    for (const url of allowed) {
      expect([url, mayCarryCredentials(url)]).toEqual([url, true]);
      const { scopes, problems } = credentialScopes(samplePolicy(url) as never, { servicenow: { token: 't' } });
      expect([url, scopes.length, problems]).toEqual([url, 1, []]);
    }
    for (const url of refused) {
      expect([url, mayCarryCredentials(url)]).toEqual([url, false]);
      const { scopes, problems } = credentialScopes(samplePolicy(url) as never, { servicenow: { token: 't' } });
      expect([url, scopes.length]).toEqual([url, 0]);
      expect(problems).toEqual([expect.stringMatching(/^assetId\.credentials\.servicenow: .* is not HTTPS; .*never sent$/)]);
    }
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

  it('checks the transport again per request, whatever scopes it is given', () => {
    const scope = (baseUrl: string): CredentialScope => ({ source: 'servicenow', baseUrl, credential: { token: 't' } });
    // Scopes built by hand, bypassing credentialScopes' check.
    expect(authorizationFor('http://cmdb.example/api/now/table/x', [scope('http://cmdb.example/api')])).toBeUndefined();
    // URLs of non-special schemes all have the origin "null": they must not match each other.
    expect(authorizationFor('other://evil.example/x', [scope('cmdb://internal/')])).toBeUndefined();
    expect(authorizationFor('https://cmdb.example/api/x', [scope('https://cmdb.example/api')])).toBe('Bearer t');
    expect(authorizationFor('http://127.0.0.1:8/api/x', [scope('http://127.0.0.1:8/api')])).toBe('Bearer t');
  });

  it('never sends credentials over plain HTTP through a proxy of the environment, even to loopback', () => {
    const proxied = (env: Record<string, string>, execArgv: string[] = []): ProxyEnvironment => ({ env, execArgv });
    const on = { NODE_USE_ENV_PROXY: '1', HTTP_PROXY: 'http://proxy.example:3128' };
    const loop = 'http://127.0.0.1:8080/api';
    const cases: Array<[string, ProxyEnvironment, boolean]> = [
      ['no proxy settings', proxied({}), true],
      ['HTTP_PROXY without NODE_USE_ENV_PROXY (fetch ignores it)', proxied({ HTTP_PROXY: on.HTTP_PROXY }), true],
      ['NODE_USE_ENV_PROXY=0', proxied({ ...on, NODE_USE_ENV_PROXY: '0' }), true],
      ['NODE_USE_ENV_PROXY=1 + HTTP_PROXY', proxied(on), false],
      ['lower-case http_proxy', proxied({ NODE_USE_ENV_PROXY: '1', http_proxy: on.HTTP_PROXY }), false],
      ['--use-env-proxy', proxied({ HTTP_PROXY: on.HTTP_PROXY }, ['--use-env-proxy']), false],
      ['NODE_OPTIONS=--use-env-proxy', proxied({ HTTP_PROXY: on.HTTP_PROXY, NODE_OPTIONS: '--use-env-proxy' }), false],
      ['NO_PROXY names the host', proxied({ ...on, NO_PROXY: 'localhost, 127.0.0.1' }), true],
      ['NO_PROXY names the host and port', proxied({ ...on, no_proxy: '127.0.0.1:8080' }), true],
      ['NO_PROXY names another port', proxied({ ...on, NO_PROXY: '127.0.0.1:9090' }), false],
      ['NO_PROXY names another host', proxied({ ...on, NO_PROXY: 'localhost,cmdb.example' }), false],
      ['NO_PROXY=*', proxied({ ...on, NO_PROXY: '*' }), true],
    ];
    for (const [name, environment, allowed] of cases) {
      expect([name, mayCarryCredentials(loop, environment)]).toEqual([name, allowed]);
      // HTTPS is tunnelled: a proxy never sees the header.
      expect([name, mayCarryCredentials('https://acme.service-now.com/api', environment)]).toEqual([name, true]);
    }
    expect(mayCarryCredentials('http://localhost:8080/', proxied({ ...on, NO_PROXY: '.localhost,localhost' }))).toBe(true);
    expect(mayCarryCredentials('http://[::1]:8080/', proxied({ ...on, NO_PROXY: '[::1]' }))).toBe(true);
    expect(mayCarryCredentials('http://[::1]:8080/', proxied(on))).toBe(false);
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
    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/credentials.http.*no lookup.http URL/));
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

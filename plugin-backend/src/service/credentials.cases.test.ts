/*
 * The agreement test's backend half: tests/cases/credentials.json through the backend service (the core's credential
 * rules in the Node build, attached by `validator.useCredentials`); tests/credentials_cases.rs runs the same file
 * through the core and the CLI. Every case goes through createAssetIdService and a recording network fetch, so what
 * is checked is what leaves the process.
 */
import { mockServices } from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import type { FetchLike } from 'asset-id';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, startFakeCmdb, type FakeCmdb } from '../__testUtils__/fakeCmdb';
import { samplePolicy } from '../__testUtils__/policy';
import { createAssetIdService } from './AssetIdService';

interface Cases {
  transport: Array<{ url: string; proxy?: { proxy: string; noProxy: string }; allowed: boolean }>;
  scope: Array<{ base: string; url: string; allowed: boolean }>;
  tokenAnswers: Array<{ status: number; body: string; expect: 'token' | 'rejected' | 'failed'; message?: string; reuseMs?: number }>;
  backoff: Array<{ at: number; answer: 'rejected' | 'token'; expect: 'asked' | 'failsFast' | 'cached'; retryInMs?: number; expiresIn?: number }>;
  runs: Array<{
    name: string;
    scenario: string;
    ids: number;
    secret: 'good' | 'wrong';
    lookup?: JsonObject;
    servicenow?: JsonObject;
    expect: { token: number; table: number; unavailable?: number; rejected?: boolean };
  }>;
}

/** Token requests after the first lookup and each later one, as the case says. */
function expectedTokenRequests(c: Cases['tokenAnswers'][number]): number[] {
  if (c.expect === 'rejected') return [1, 1]; // the backoff: no request
  if (c.expect === 'failed') return [1, 2]; // not waited on
  return c.reuseMs === undefined ? [1, 1] : [1, 1, 2];
}

const cases: Cases = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'tests/cases/credentials.json'), 'utf8'));

// The fake CMDB's one OAuth client (tests/support/fake-cmdb.mjs OAUTH_CLIENT).
const CLIENT = { clientId: 'asset-id-client', clientSecret: 's3cret-client' };
const TOKEN = 'tok-SECRET-1';

type Call = { url: string; method: string; authorization: string | null; body?: string };

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** The Table API's answer: a row for each asked ID. */
function rows(url: URL): Response {
  const wanted = /numberIN([^^]*)/.exec(url.searchParams.get('sysparm_query') ?? '')?.[1].split(',') ?? [];
  return json({ result: wanted.map(id => ({ number: id, name: `Record ${id}`, install_status: '1' })) });
}

function service(assetId: JsonObject, fetch: FetchLike) {
  const logger = mockServices.logger.mock();
  const svc = createAssetIdService({ config: mockServices.rootConfig({ data: { assetId } }), logger, fetch, store: null });
  return { svc, logger };
}

/** Every line the logger was given. */
function logged(logger: ReturnType<typeof mockServices.logger.mock>): string {
  return JSON.stringify([logger.error, logger.warn, logger.info, logger.debug].map(f => f.mock.calls));
}

const PROXY_KEYS = ['NODE_USE_ENV_PROXY', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'] as const;
const savedEnv = Object.fromEntries(PROXY_KEYS.map(k => [k, process.env[k]]));
afterEach(() => {
  for (const k of PROXY_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  jest.restoreAllMocks();
});

describe('tests/cases/credentials.json through the backend', () => {
  it('has cases in every section', () => {
    for (const list of Object.values(cases).filter(Array.isArray)) expect(list.length).toBeGreaterThan(0);
  });

  it.each(cases.transport.map(c => [`${c.url}${c.proxy ? ` via ${c.proxy.proxy} (NO_PROXY '${c.proxy.noProxy}')` : ''}`, c]))(
    'transport: %s',
    async (_name, c) => {
      for (const k of PROXY_KEYS) delete process.env[k];
      if (c.proxy) {
        process.env.NODE_USE_ENV_PROXY = '1';
        process.env.HTTP_PROXY = c.proxy.proxy;
        process.env.NO_PROXY = c.proxy.noProxy;
      }
      const calls: Call[] = [];
      const { svc, logger } = service(
        { ...samplePolicy(c.url), credentials: { servicenow: { token: TOKEN } } },
        async (input, init) => {
          calls.push({ url: String(input), method: init?.method ?? 'GET', authorization: new Headers(init?.headers).get('authorization') });
          return json({ result: [] });
        },
      );
      await svc.validate('APM0001234');
      expect(calls).toHaveLength(1);
      expect(calls[0].authorization).toBe(c.allowed ? `Bearer ${TOKEN}` : null);
      // A credential the core will never send is reported at startup, and only then.
      const warned = logger.warn.mock.calls.some(([m]) => /assetId\.credentials\.servicenow: .*never sent/.test(String(m)));
      expect(warned).toBe(!c.allowed);
      expect(logged(logger)).not.toContain(TOKEN);
    },
  );

  it.each(cases.scope.map(c => [`${c.url} (base ${c.base})`, c]))('scope: %s', async (_name, c) => {
    const calls: Call[] = [];
    const { svc } = service({ ...samplePolicy(c.base), credentials: { servicenow: { token: TOKEN } } }, async (input, init) => {
      calls.push({ url: String(input), method: init?.method ?? 'GET', authorization: new Headers(init?.headers).get('authorization') });
      // The planned request is redirected to the case's URL.
      return calls.length === 1 ? new Response(null, { status: 302, headers: { location: c.url } }) : json({ result: [] });
    });
    await svc.validate('APM0001234');
    // The transport follows no redirect to another origin: nothing is sent there at all.
    const sameOrigin = new URL(c.url).origin === new URL(c.base).origin;
    expect(calls.map(call => call.authorization)).toEqual(
      sameOrigin ? [`Bearer ${TOKEN}`, c.allowed ? `Bearer ${TOKEN}` : null] : [`Bearer ${TOKEN}`],
    );
    expect(sameOrigin || !c.allowed).toBe(true);
  });

  /** A ServiceNow at acme.service-now.com whose token endpoint answers `token()` and whose table wants its token. */
  function oauthCmdb(token: () => Response) {
    const calls: Call[] = [];
    const fetch: FetchLike = async (input, init) => {
      const url = new URL(String(input));
      const call = {
        url: url.href,
        method: init?.method ?? 'GET',
        authorization: new Headers(init?.headers).get('authorization'),
        body: init?.body === undefined ? undefined : String(init.body),
      };
      calls.push(call);
      if (url.pathname === '/oauth_token.do') return token();
      return call.authorization === 'Bearer abc' || call.authorization === 'Bearer t' ? rows(url) : new Response(null, { status: 401 });
    };
    const { svc, logger } = service(
      { ...samplePolicy('https://acme.service-now.com'), credentials: { servicenow: CLIENT } },
      fetch,
    );
    const tokens = () => calls.filter(call => call.url.endsWith('/oauth_token.do')).length;
    return { svc, logger, calls, tokens };
  }

  it.each(cases.tokenAnswers.map(c => [`HTTP ${c.status} ${JSON.stringify(c.body)}`, c]))('token answer: %s', async (_name, c) => {
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const { svc, logger, calls, tokens } = oauthCmdb(() => new Response(c.body, { status: c.status, headers: { location: 'https://acme.service-now.com/elsewhere' } }));
    const first = await svc.validate('APM0000001');
    const errorsAfterFirst = logger.error.mock.calls.length;
    // The token request's shape: a form POST with the client credentials, no Authorization header, no redirect.
    expect(calls[0]).toMatchObject({ method: 'POST', url: 'https://acme.service-now.com/oauth_token.do', authorization: null });
    expect(calls[0].body).toBe('grant_type=client_credentials&client_id=asset-id-client&client_secret=s3cret-client');
    expect(calls.filter(call => call.url.endsWith('/elsewhere'))).toEqual([]);
    // Token requests after the first lookup, and after each later one (reuse, or asked again).
    const counted = [tokens()];
    if (c.reuseMs !== undefined) {
      now += c.reuseMs - 1;
      await svc.validate('APM0000002');
      counted.push(tokens());
      now += 1;
      await svc.validate('APM0000003');
      counted.push(tokens());
    } else {
      await svc.validate('APM0000002');
      counted.push(tokens());
    }
    const message = first.issues[0]?.message ?? '';
    const ok = c.expect === 'token';
    expect({
      valid: first.valid,
      codes: first.issues.map(i => i.code),
      message: ok || (message.includes(c.message!) && message.includes('OAuth')),
      // A rejection is logged once (a configuration error); other failures are asked again by the next lookup.
      logged: errorsAfterFirst,
    }).toEqual({ valid: ok, codes: ok ? [] : ['lookup_unavailable'], message: true, logged: c.expect === 'rejected' ? 1 : 0 });
    expect(counted).toEqual(expectedTokenRequests(c));
    expect(JSON.stringify(first) + logged(logger)).not.toMatch(/s3cret-client/);
  });

  it('backoff: the timeline of a rejected client', async () => {
    let now = 5_000_000;
    const start = now;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    let answer: () => Response = () => new Response(null, { status: 500 });
    const { svc, logger, tokens } = oauthCmdb(() => answer());
    let id = 0;
    for (const step of cases.backoff) {
      now = start + step.at;
      answer =
        step.answer === 'rejected'
          ? () => json({ error: 'invalid_client' }, 401)
          : () => json({ access_token: 't', token_type: 'Bearer', expires_in: step.expiresIn ?? 1800 });
      const before = tokens();
      const errors = logger.error.mock.calls.length;
      id += 1;
      const verdict = await svc.validate(`APM${String(id).padStart(7, '0')}`);
      const label = JSON.stringify(step);
      const newErrors = logger.error.mock.calls.slice(errors).map(([m]) => String(m));
      const rejection = /^OAuth: .*rejected the client credentials.*assetId\.credentials\.servicenow\.clientId.*asked again in (\d+) s\)$/;
      const observed = {
        tokenRequests: tokens() - before,
        valid: verdict.valid,
        failedWithRejection: /OAuth: .*rejected the client credentials/.test(verdict.issues[0]?.message ?? ''),
        logged: newErrors.map(m => Number(rejection.exec(m)?.[1] ?? NaN)),
      };
      const rejectedNow = step.retryInMs !== undefined;
      expect([label, observed]).toEqual([
        label,
        {
          tokenRequests: step.expect === 'asked' ? 1 : 0,
          valid: !rejectedNow && step.expect !== 'failsFast',
          failedWithRejection: rejectedNow || step.expect === 'failsFast',
          logged: rejectedNow ? [step.retryInMs! / 1000] : [],
        },
      ]);
    }
  });

  describe('runs against the fake CMDB', () => {
    let cmdb: FakeCmdb;
    beforeAll(async () => {
      cmdb = await startFakeCmdb();
    });
    afterAll(() => cmdb.close());
    beforeEach(() => cmdb.reset());

    it.each(cases.runs.map(c => [c.name, c]))('%s', async (_name, c) => {
      const policy = samplePolicy(`${cmdb.url}/scenario/${c.scenario}`, { timeoutMs: 5000, ...(c.lookup ?? {}) });
      Object.assign((policy.lookup as JsonObject).servicenow as JsonObject, c.servicenow ?? {});
      const secret = c.secret === 'good' ? CLIENT.clientSecret : 'wrong-secret';
      const logger = mockServices.logger.mock();
      const svc = createAssetIdService({
        config: mockServices.rootConfig({
          data: { assetId: { ...policy, credentials: { servicenow: { clientId: CLIENT.clientId, clientSecret: secret } } } },
        }),
        logger,
        store: null,
      });
      const ids = Array.from({ length: c.ids }, (_, i) => `APM${String(i + 1).padStart(7, '0')}`);
      const verdicts = await svc.validateMany(ids);
      const { log } = await cmdb.stats();
      const counts = {
        token: log.filter(e => e.method === 'POST' && e.path.endsWith('/oauth_token.do')).length,
        table: log.filter(e => e.path.includes('/api/now/table/')).length,
      };
      expect(counts).toEqual({ token: c.expect.token, table: c.expect.table });
      const unavailable = verdicts.filter(v => v.issues.some(i => i.code === 'lookup_unavailable'));
      const rejected = c.expect.rejected === true;
      // The backend's run goes on (the CLI's ends with exit 2): every lookup fails with the one message, logged once.
      expect({
        unavailable: unavailable.length,
        messages: new Set(unavailable.map(v => v.issues[0].message.replace(/^could not check \S+ /, ''))).size,
        rejectionsLogged: logger.error.mock.calls.filter(([m]) => /invalid_client/.test(String(m))).length,
      }).toEqual({
        unavailable: rejected ? ids.length : (c.expect.unavailable ?? 0),
        messages: Math.min(1, rejected ? ids.length : (c.expect.unavailable ?? 0)),
        rejectionsLogged: rejected ? 1 : 0,
      });
      expect(JSON.stringify(verdicts) + logged(logger)).not.toMatch(new RegExp(`${secret}|fake-token-`));
    });
  });
});

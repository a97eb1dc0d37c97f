// AssetIdValidator.useCredentials through the BUILT npm package (Node entry, the full build): the
// core's credential rules as the backend gets them (tests/cases/credentials.json runs through the
// backend and the CLI; this covers the package's own surface): the header on every hop the core
// allows, searches included, the token POST that follows no redirect, the problems it reports, and
// no secret in an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssetIdValidator } from 'asset-id';

const BASE = 'https://acme.service-now.com/sn';
const policy = {
  schemes: [{ name: 'business-app', pattern: 'APM\\d{7}' }],
  lookup: {
    source: 'servicenow',
    servicenow: { baseUrl: BASE, table: 'cmdb_ci_business_app', idField: 'number' },
    search: {},
    timeoutMs: 2000,
  },
};
const json = (body, status = 200, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

function recorder(answer) {
  const calls = [];
  const fetch = async (input, init) => {
    const call = { url: String(input), method: init?.method ?? 'GET', auth: new Headers(init?.headers).get('authorization'), body: init?.body };
    calls.push(call);
    return answer(call, calls.length);
  };
  return { calls, fetch };
}

test('a token goes with lookups and searches, and not to a redirect outside the scope', async () => {
  const v = new AssetIdValidator(policy);
  assert.deepEqual(v.useCredentials({ servicenow: { token: 'tok-1' } }, { configKey: 'assetId.credentials' }), []);
  const r = recorder((call, n) =>
    n === 1 ? new Response(null, { status: 302, headers: { location: '/login' } }) : json({ result: [] }),
  );
  await v.validate('APM0000001', { fetch: r.fetch });
  assert.deepEqual(r.calls.map((c) => [new URL(c.url).pathname, c.auth]), [
    ['/sn/api/now/table/cmdb_ci_business_app', 'Bearer tok-1'],
    ['/login', null],
  ]);
  const s = recorder(() => json({ result: [] }));
  await v.search('payments', { fetch: s.fetch });
  assert.equal(s.calls.length, 1);
  assert.equal(s.calls[0].auth, 'Bearer tok-1');
  v.free();
});

test('the OAuth token POST follows no redirect, and no error holds the secret', async () => {
  const v = new AssetIdValidator(policy);
  const rejected = [];
  v.useCredentials({ servicenow: { clientId: 'id', clientSecret: 'SECRET-xyz' } }, { onRejected: (m) => rejected.push(m) });
  const r = recorder((call) =>
    call.method === 'POST' ? new Response(null, { status: 302, headers: { location: 'https://evil.example/steal' } }) : json({ result: [] }),
  );
  const verdict = await v.validate('APM0000001', { fetch: r.fetch });
  assert.deepEqual(r.calls.map((c) => [c.method, c.url, c.auth]), [['POST', `${BASE}/oauth_token.do`, null]]);
  assert.equal(r.calls[0].body, 'grant_type=client_credentials&client_id=id&client_secret=SECRET-xyz');
  assert.deepEqual(verdict.issues.map((i) => i.code), ['lookup_unavailable']);
  assert.match(verdict.issues[0].message, /OAuth: the OAuth token endpoint answered HTTP 302/);
  assert.deepEqual(rejected, []);
  assert.doesNotMatch(JSON.stringify(verdict), /SECRET-xyz/);
  v.free();
});

test('problems: a credential that is never sent; a malformed one is a TypeError naming only its key', () => {
  const v = new AssetIdValidator({ ...policy, lookup: { ...policy.lookup, servicenow: { ...policy.lookup.servicenow, baseUrl: 'http://cmdb.example' } } });
  const problems = v.useCredentials({ servicenow: { token: 't' }, http: { token: 'h' } }, { configKey: 'assetId.credentials' });
  assert.equal(problems.length, 2);
  assert.match(problems[0], /^assetId\.credentials\.servicenow: the lookup URL 'http:\/\/cmdb\.example' is not HTTPS;.*never sent$/);
  assert.match(problems[1], /^assetId\.credentials\.http is configured but the policy's lookup\.source is not http/);
  assert.throws(
    () => v.useCredentials({ http: { clientId: 'id', clientSecret: 'SECRET-abc' } }),
    (e) => e instanceof TypeError && /credentials\.http: .*ServiceNow only/.test(e.message) && !e.message.includes('SECRET-abc'),
  );
  assert.throws(() => v.useCredentials({ servicenow: { token: 'a b' } }), (e) => e instanceof TypeError && !e.message.includes('a b'));
  v.free();
});

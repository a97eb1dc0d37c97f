// Tests for the fake CMDB server. Run: node --test tests/support/
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startFakeCmdb, sysIdFor, applyQuery } from './fake-cmdb.mjs';

const SCRIPT = fileURLToPath(new URL('./fake-cmdb.mjs', import.meta.url));
const CSV = readFileSync(fileURLToPath(new URL('../../examples/registry/assets.csv', import.meta.url)), 'utf8');

const table = (q, extra = '') =>
  `/api/now/table/cmdb_ci_business_app?sysparm_query=${encodeURIComponent(q)}${extra}`;

describe('fake CMDB (module)', () => {
  let cmdb;
  const get = (path, init) => fetch(cmdb.url + path, init);
  const getJson = async (path, init) => {
    const res = await get(path, init);
    return { res, body: await res.json() };
  };

  before(async () => { cmdb = await startFakeCmdb({ port: 0 }); });
  after(() => cmdb.close());
  beforeEach(() => cmdb.reset());

  test('url and port', () => {
    assert.match(cmdb.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(cmdb.url, `http://127.0.0.1:${cmdb.port}`);
  });

  test('Table API: IN query returns ServiceNow-like rows', async () => {
    const { res, body } = await getJson(table('numberINAPM0001234,APM0000042^ORDERBYnumber',
      '&sysparm_exclude_reference_link=true'));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(body.result, [
      { number: 'APM0000042', name: 'Legacy Billing', install_status: '7', operational_status: '6',
        owned_by: 'team-finance', sys_id: sysIdFor('APM0000042') },
      { number: 'APM0001234', name: 'Payments Gateway', install_status: '1', operational_status: '1',
        owned_by: 'team-payments', sys_id: sysIdFor('APM0001234') },
    ]);
    assert.match(sysIdFor('APM0001234'), /^[0-9a-f]{32}$/);
    assert.equal(sysIdFor('APM0001234'), sysIdFor('APM0001234'));
  });

  test('Table API: = query, sysparm_fields, sysparm_limit, v2 path', async () => {
    let { body } = await getJson(table('number=BSN0001001', '&sysparm_fields=number,name,nope'));
    assert.deepEqual(body.result, [{ number: 'BSN0001001', name: 'Identity Service' }]);
    ({ body } = await getJson(table('ORDERBYDESCnumber', '&sysparm_limit=2&sysparm_fields=number')));
    assert.deepEqual(body.result, [{ number: 'BSN0002002' }, { number: 'BSN0001001' }]);
    ({ body } = await getJson('/api/now/v2/table/x?sysparm_query=number%3DAPM0002001&sysparm_fields=name'));
    assert.deepEqual(body.result, [{ name: 'Customer Portal' }]);
  });

  test('Table API: unknown parts ignored, comparisons case-insensitive, no match -> empty', async () => {
    let { body } = await getJson(table('numberINAPM0001234^bogusFIELD=1^weirdSTUFF', '&sysparm_fields=number'));
    assert.deepEqual(body.result, [{ number: 'APM0001234' }]);
    ({ body } = await getJson(table('number=apm0001234', '&sysparm_fields=number')));
    assert.deepEqual(body.result, [{ number: 'APM0001234' }]);
    ({ body } = await getJson(table('numberINAPM9999999')));
    assert.deepEqual(body.result, []);
    ({ body } = await getJson('/api/now/table/x'));
    assert.equal(body.result.length, 9);
  });

  test('Table API: an injected ^OR clause widens the result, and the log shows it', async () => {
    const { body } = await getJson(table('numberINAPM0000001^ORnumberISNOTEMPTY'));
    assert.equal(body.result.length, 9);
    const { log } = cmdb.stats();
    assert.equal(log[0].sysparm_query, 'numberINAPM0000001^ORnumberISNOTEMPTY');
    assert.ok(log[0].query.includes('^ORnumberISNOTEMPTY'));
  });

  test('scenario ok == no prefix', async () => {
    const a = await getJson(table('numberINAPM0001234'));
    const b = await getJson('/scenario/ok' + table('numberINAPM0001234'));
    assert.equal(b.res.status, 200);
    assert.deepEqual(a.body, b.body);
  });

  test('scenario slow: x-fake-delay header, ?delay, logged before the delay', async () => {
    let t0 = Date.now();
    const pending = getJson('/scenario/slow' + table('numberINAPM0001234'), { headers: { 'x-fake-delay': '250' } });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(cmdb.stats().requests, 1, 'request logged before the answer');
    const { res, body } = await pending;
    assert.equal(res.status, 200);
    assert.equal(body.result.length, 1);
    assert.ok(Date.now() - t0 >= 240, 'header delay honoured');

    t0 = Date.now();
    const q = await getJson('/scenario/slow/assets/APM0001234?delay=150');
    assert.equal(q.res.status, 200);
    assert.ok(Date.now() - t0 >= 140, '?delay honoured');
  });

  test('scenario slow: default delay is long enough to trip a client timeout', async () => {
    await assert.rejects(get('/scenario/slow' + table('numberINAPM0001234'), { signal: AbortSignal.timeout(300) }),
      { name: 'TimeoutError' });
    assert.equal(cmdb.stats().requests, 1);
  });

  for (const [status, re] of [['500', /./], ['401', /Authenticated/], ['403', /Authorized/]]) {
    test(`scenario ${status}: ServiceNow-style JSON error`, async () => {
      for (const path of [table('numberINAPM0001234'), '/assets/APM0001234']) {
        const { res, body } = await getJson(`/scenario/${status}${path}`);
        assert.equal(res.status, Number(status));
        assert.match(res.headers.get('content-type'), /^application\/json/);
        assert.equal(body.status, 'failure');
        assert.equal(typeof body.error.detail, 'string');
        assert.match(body.error.message, re);
      }
    });
  }

  test('scenario 429: first per distinct path+query is 429 Retry-After: 1, repeat is fine', async () => {
    const p = '/scenario/429' + table('numberINAPM0001234');
    let res = await get(p);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '1');
    await res.arrayBuffer();
    res = await get(p);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).result.length, 1);
    res = await get('/scenario/429' + table('numberINAPM0002001'));
    assert.equal(res.status, 429, 'a different query is throttled once too');
    await res.arrayBuffer();
    cmdb.reset();
    res = await get(p);
    assert.equal(res.status, 429, 'reset() clears the 429 memory');
    await res.arrayBuffer();
  });

  test('scenario 429-forever: always 429 Retry-After: 30', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await get('/scenario/429-forever' + table('numberINAPM0001234'));
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '30');
      await res.arrayBuffer();
    }
  });

  test('scenario html: 200 text/html SSO page', async () => {
    for (const path of [table('numberINAPM0001234'), '/assets/APM0001234']) {
      const res = await get('/scenario/html' + path);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /^text\/html/);
      assert.match(await res.text(), /<html[\s\S]*Sign in/);
    }
  });

  test('scenario malformed: 200 application/json, truncated body', async () => {
    for (const path of [table('numberINAPM0001234'), '/assets/APM0001234']) {
      const res = await get('/scenario/malformed' + path);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /^application\/json/);
      const text = await res.text();
      assert.throws(() => JSON.parse(text), SyntaxError);
    }
  });

  test('scenario wrongrows: ignores the query, returns the first 3 rows', async () => {
    const { res, body } = await getJson('/scenario/wrongrows' + table('numberINAPM0000042', '&sysparm_fields=number'));
    assert.equal(res.status, 200);
    assert.deepEqual(body.result, [{ number: 'APM0001234' }, { number: 'APM0002001' }, { number: 'APM0003117' }]);
  });

  test('scenario duplicates: every matching row twice', async () => {
    const { body } = await getJson('/scenario/duplicates' + table('numberINAPM0001234,BSN0001001', '&sysparm_fields=number'));
    assert.deepEqual(body.result.map((r) => r.number).sort(),
      ['APM0001234', 'APM0001234', 'BSN0001001', 'BSN0001001']);
  });

  test('generic HTTP API: 200 record, 404 not found (exact id)', async () => {
    let { res, body } = await getJson('/assets/APM0000042');
    assert.equal(res.status, 200);
    assert.deepEqual(body, { data: { id: 'APM0000042', name: 'Legacy Billing', status: 'retired', owner: 'team-finance' } });
    ({ res, body } = await getJson('/assets/APM9999999'));
    assert.equal(res.status, 404);
    assert.deepEqual(body, { error: 'not found' });
    ({ res } = await getJson('/assets/apm0000042'));
    assert.equal(res.status, 404);
    ({ res } = await getJson('/scenario/duplicates/assets/APM0001234'));
    assert.equal(res.status, 200);
  });

  test('registry.json and registry.csv', async () => {
    const { res, body } = await getJson('/registry.json');
    assert.equal(res.status, 200);
    assert.equal(body.length, 9);
    assert.deepEqual(body[0], { id: 'APM0001234', name: 'Payments Gateway', status: 'operational',
      owner: 'team-payments', install_status: '1' });
    const csv = await get('/registry.csv');
    assert.match(csv.headers.get('content-type'), /^text\/csv/);
    assert.equal(await csv.text(), CSV);
    const dup = await getJson('/scenario/duplicates/registry.json');
    assert.equal(dup.body.length, 18);
  });

  test('introspection: /__stats, /__reset, not counted themselves', async () => {
    await (await get('/assets/APM0001234?x=a%20b')).arrayBuffer();
    await (await get(table('numberINAPM0001234'))).arrayBuffer();
    let { body } = await getJson('/__stats');
    assert.equal(body.requests, 2);
    assert.deepEqual(body.log[0], { method: 'GET', path: '/assets/APM0001234', query: 'x=a b', sysparm_query: null });
    assert.equal(body.log[1].sysparm_query, 'numberINAPM0001234');
    assert.equal(body.log[1].path, '/api/now/table/cmdb_ci_business_app');
    assert.deepEqual(cmdb.stats(), body);

    const r = await get('/__reset', { method: 'POST' });
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    ({ body } = await getJson('/__stats'));
    assert.deepEqual(body, { requests: 0, peak: 0, log: [] });
  });

  test('hostile scenarios (hostile-cmdb.mjs)', async () => {
    let r = await get('/scenario/html404/assets/APM0001234');
    assert.equal(r.status, 404);
    assert.match(r.headers.get('content-type'), /text\/html/);
    assert.match(await r.text(), /404 Not Found/);
    r = await get('/scenario/huge/api/now/table/x');
    assert.equal(r.headers.get('content-length'), String(2 ** 31));
    await r.body.cancel();
    r = await get('/scenario/endless/api/now/table/x');
    const reader = r.body.getReader();
    let n = 0;
    while (n < 1 << 20) n += (await reader.read()).value.length;
    await reader.cancel();
    for (const [scenario, where] of [['redirect-file', /^file:/], ['redirect-same', /^\/assets\/APM0001234\?a=1$/], ['redirect-other', /^http:\/\/127\.0\.0\.1:\d+\/assets\/APM0001234\?a=1$/]]) {
      r = await get(`/scenario/${scenario}/assets/APM0001234?a=1`, { redirect: 'manual' });
      assert.equal(r.status, 302, scenario);
      assert.match(r.headers.get('location'), where, scenario);
      assert.notEqual(r.headers.get('location'), `${cmdb.url}/assets/APM0001234?a=1`);
    }
    r = await get('/scenario/redirect-other/assets/APM0001234');
    assert.equal((await r.json()).data.id, 'APM0001234', 'the other origin answers normally');
    r = await get('/scenario/429-zero/assets/APM0001234');
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '0');
    await r.arrayBuffer();
  });

  test('anything else: 404 JSON (and still logged)', async () => {
    for (const path of ['/nope', '/scenario/bogus/assets/APM0001234', '/api/now/table/']) {
      const { res, body } = await getJson(path);
      assert.equal(res.status, 404);
      assert.equal(typeof body.error, 'string');
    }
    assert.equal(cmdb.stats().requests, 3);
  });
});

describe('fake CMDB options and lifecycle', () => {
  test('custom records', async () => {
    const cmdb = await startFakeCmdb({ records: [{ id: 'X1', name: 'One, "quoted"', status: 'retired', owner: 'o', install_status: '7' }] });
    try {
      const res = await fetch(`${cmdb.url}/api/now/table/t?sysparm_query=numberINX1&sysparm_fields=number,operational_status`);
      assert.deepEqual(await res.json(), { result: [{ number: 'X1', operational_status: '6' }] });
      const csv = await (await fetch(`${cmdb.url}/registry.csv`)).text();
      assert.equal(csv, 'id,name,status,owner,install_status\nX1,"One, ""quoted""",retired,o,7\n');
    } finally {
      await cmdb.close();
    }
  });

  test('close() does not wait for a pending slow request', async () => {
    const cmdb = await startFakeCmdb();
    const pending = fetch(`${cmdb.url}/scenario/slow/assets/APM0001234`).catch((e) => e);
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await cmdb.close();
    assert.ok(Date.now() - t0 < 1000);
    assert.ok((await pending) instanceof Error);
  });

  test('applyQuery is pure and ignores unknown parts', () => {
    const rows = [{ number: 'A' }, { number: 'B' }];
    assert.deepEqual(applyQuery(rows, 'numberINB^foo^ORDERBYnumber'), [{ number: 'B' }]);
    assert.deepEqual(applyQuery(rows, 'number=A^ORnumber=B^ORDERBYDESCnumber'), [{ number: 'B' }, { number: 'A' }]);
  });
});

describe('fake CMDB (CLI)', () => {
  async function startCli(args) {
    const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    const line = await new Promise((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    return { child, line };
  }

  test('prints one listening line, serves, stops on SIGTERM', async () => {
    const { child, line } = await startCli(['--port', '0']);
    const m = /^listening (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
    assert.ok(m, line);
    const res = await fetch(`${m[1]}/assets/APM0001234`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0);
  });

  test('--exit-on-stdin-close: exits when stdin closes', async () => {
    const { child, line } = await startCli(['--exit-on-stdin-close']);
    assert.match(line, /^listening http:\/\/127\.0\.0\.1:\d+$/);
    const exited = once(child, 'exit');
    child.stdin.end();
    const [code] = await exited;
    assert.equal(code, 0);
  });

  test('without the flag, stdin close does not stop it', async () => {
    const { child, line } = await startCli([]);
    child.stdin.end();
    await new Promise((r) => setTimeout(r, 200));
    const res = await fetch(`${line.slice('listening '.length)}/registry.json`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    assert.equal((await exited)[0], 0);
  });

  test('bad arguments exit 2', async () => {
    const child = spawn(process.execPath, [SCRIPT, '--port', 'abc'], { stdio: 'ignore' });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
  });
});

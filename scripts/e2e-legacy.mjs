// `make test-e2e`, second pass: examples/backstage-app's LEGACY frontend app (packages/app-legacy, `createApp`
// from @backstage/app-defaults, `ScaffolderFieldExtensions`) with the same backend, whose CMDB is now an
// HTTP lookup source on loopback (tests/support/fake-cmdb.mjs, serving examples/registry) behind a switch
// this file controls:
//   - the ValidateAsset field on /create of the legacy app in headless Chromium: a retired ID blocks Next,
//     a valid ID typed loosely opens the next step;
//   - a CMDB outage: once the example Systems are in the catalog, the CMDB is switched off (every connection
//     reset), each System is refreshed through the catalog API (POST /api/catalog/refresh) and looked up
//     again (cacheTtlSeconds: 1), and every System that was there is still there (an outage never removes
//     or blocks an entity, so one kept out for its verdict may come in while the CMDB cannot answer).
// Run: node --test --test-concurrency=1 scripts/e2e-legacy.mjs
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { startFakeCmdb } from '../tests/support/fake-cmdb.mjs';
import { BACKEND, FRONTEND, appConfigText, guestToken, startApp } from './e2e-app-lib.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SYSTEMS = ['payments', 'legacy-billing', 'ghost-system', 'unlinked-system'];

/**
 * A TCP switch in front of the fake CMDB: while on, each connection is piped to it; while off, each
 * connection is counted and reset at once (the backend sees the CMDB go away mid-flight, as in an outage).
 */
async function startSwitch(target) {
  let on = true;
  let refused = 0;
  const sockets = new Set();
  const server = createServer(socket => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (!on) {
      refused += 1;
      socket.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: target.port });
    socket.pipe(upstream).pipe(socket);
    upstream.once('error', () => socket.destroy());
    socket.once('error', () => upstream.destroy());
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    off() {
      on = false;
      for (const s of sockets) s.destroy();
    },
    refused: () => refused,
    close: () => new Promise(resolve => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** The HTTP lookup source at `url` (the fake CMDB's /assets/{id}), as app-config YAML lines. */
const httpLookup = url => [
  'source: http',
  'http:',
  `  url: '${url}/assets/{id}'`,
  '  recordPointer: /data',
  '  notFoundStatus: [404]',
  'retiredWhen: { status: [retired] }',
  'cacheTtlSeconds: 1',
  'timeoutMs: 2000',
];

let cmdb;
let cmdbSwitch;
let app;
let token;
let scratch;

before(async () => {
  cmdb = await startFakeCmdb({ port: 0 });
  cmdbSwitch = await startSwitch(cmdb);
  scratch = mkdtempSync(join(tmpdir(), 'asset-id-e2e-legacy-'));
  const config = join(scratch, 'app-config.http-cmdb.yaml');
  const text = appConfigText({ lookup: httpLookup(cmdbSwitch.url) });
  assert.doesNotMatch(text, /source: registry/);
  writeFileSync(config, text);
  app = await startApp({
    log: process.env.E2E_LOG === '1',
    packages: ['app-legacy', 'backend'],
    configs: [config],
    env: { GITHUB_TOKEN: 'e2e-placeholder-not-a-token' },
  });
  token = await guestToken();
});

after(async () => {
  await app?.stop();
  await cmdbSwitch?.close();
  await cmdb?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function api(path, init = {}) {
  const r = await fetch(`${BACKEND}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  const text = await r.text();
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  return { status: r.status, body };
}

async function poll(fn, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last.done) return last.value;
    await new Promise(r => setTimeout(r, 1000));
  }
  throw new Error(`${what}: not reached in ${timeoutMs} ms (last: ${JSON.stringify(last?.value)?.slice(0, 500)})`);
}

const systemNames = async () => {
  const r = await api('/api/catalog/entities?filter=kind=system&fields=metadata.name');
  assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 500));
  return r.body.map(e => e.metadata.name).sort();
};

describe('the ValidateAsset field in the legacy app (headless Chromium)', { concurrency: false }, () => {
  let context;
  let page;
  let profile;
  const pageErrors = [];
  const proxied = [];

  before(async () => {
    profile = mkdtempSync(join(tmpdir(), 'asset-id-e2e-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', e => pageErrors.push(String(e)));
    page.on('request', r => { if (r.url().includes('/api/proxy/')) proxied.push(r.url()); });
  });

  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const input = () => page.getByRole('textbox', { name: 'Asset ID' });
  const state = async wanted => {
    await page.waitForFunction(
      w => document.querySelector('[data-testid=validate-asset]')?.getAttribute('data-state') === w,
      wanted, { timeout: 20_000 });
    return page.evaluate(() => document.querySelector('[data-testid=validate-asset]')?.innerText ?? '');
  };
  const clickNext = async () => {
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForTimeout(1000);
  };

  it('guest sign-in, then the template form of the legacy app opens with the Asset ID field', async () => {
    await page.goto(`${FRONTEND}/create/templates/default/asset-id-system`);
    const enter = page.getByRole('button', { name: 'Enter' });
    await Promise.race([enter.waitFor({ timeout: 180_000 }), input().waitFor({ timeout: 180_000 })]);
    if (await enter.isVisible()) await enter.click();
    await input().waitFor({ timeout: 60_000 });
    await page.waitForSelector('[data-testid=validate-asset][data-ready=true]', { timeout: 30_000 });
  });

  it('retired (through the HTTP CMDB): Legacy Billing is retired; Next blocked', async () => {
    await input().fill('APM0000042');
    assert.match(await state('invalid'), /APM0000042 \(Legacy Billing\) is retired/);
    await clickNext();
    assert.equal(await page.locator('#root_name').count(), 0, 'still on the first step');
  });

  it('valid typed loosely: the record is shown and Next opens the next step', async () => {
    await input().fill(' apm-000 1234 ');
    assert.match(await state('valid'), /Payments Gateway/);
    await clickNext();
    await page.locator('#root_name').waitFor({ timeout: 15_000 });
  });

  it('raised no page errors and sent nothing to /api/proxy/', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(proxied, []);
  });
});

describe('the catalog during a CMDB outage', { concurrency: false }, () => {
  it('every System in the catalog before the outage is still there after refreshes that met the outage', async () => {
    // Wait until the example Systems the processor lets in are ingested (it looked them up in the CMDB).
    const before = await poll(async () => {
      const names = await systemNames();
      return { done: names.includes('payments'), value: names };
    }, 'System payments in the catalog');
    const looked = cmdb.stats().log.filter(l => l.path.startsWith('/assets/')).map(l => l.path);
    assert.ok(looked.includes('/assets/APM0001234'), `the processor asked the CMDB: ${JSON.stringify(looked)}`);
    // Let every System's first processing settle, so that `before` is the full set.
    await new Promise(r => setTimeout(r, 5000));
    const settled = await systemNames();
    assert.ok(settled.length >= before.length);
    assert.ok(settled.every(n => SYSTEMS.includes(n)), `only the example Systems: ${settled.join(', ')}`);

    cmdbSwitch.off();
    await new Promise(r => setTimeout(r, 1500)); // past cacheTtlSeconds: the next check asks the CMDB
    for (const name of SYSTEMS) {
      const r = await api('/api/catalog/refresh', {
        method: 'POST',
        body: JSON.stringify({ entityRef: `system:default/${name}` }),
      });
      assert.ok([200, 204].includes(r.status), `refresh ${name}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    }
    // The refreshes reached the processor and met the outage (connections to the CMDB reset).
    await poll(async () => ({ done: cmdbSwitch.refused() > 0, value: cmdbSwitch.refused() }),
      'a lookup during the outage', 60_000);
    // Then, for a while, the catalog still serves every System it served before the outage.
    for (let i = 0; i < 5; i++) {
      await new Promise(r => setTimeout(r, 2000));
      const now = await systemNames();
      const missing = settled.filter(n => !now.includes(n));
      assert.deepEqual(missing, [], `after ${(i + 1) * 2} s of outage, removed: ${missing.join(', ')}`);
    }
    for (const name of settled) {
      const r = await api(`/api/catalog/entities/by-name/system/default/${name}`);
      assert.equal(r.status, 200, `${name} by name during the outage`);
    }
  });
});

// `make test-e2e`, second pass: examples/backstage-app's LEGACY frontend app (packages/app-legacy, `createApp`
// from @backstage/app-defaults, `ScaffolderFieldExtensions`) with the same backend, whose CMDB is now an
// HTTP lookup source on loopback (tests/support/fake-cmdb.mjs, serving examples/registry) behind a switch
// this file controls:
//   - the ValidateAsset field on /create of the legacy app in headless Chromium: a retired ID blocks Next,
//     a valid ID typed loosely opens the next step;
//   - the asset card (EntityAssetIdCard in the legacy EntityPage) on System pages;
//   - the coverage page (AssetIdPage on /asset-id, reached from its sidebar item): the share of valid Systems
//     and the Systems needing attention are the catalog's statuses;
//   - a CMDB outage (processor mode flag): once every System is in the catalog with its status annotation,
//     the CMDB is switched off (every connection reset), each System is refreshed through the catalog API
//     (POST /api/catalog/refresh) and looked up again (cacheTtlSeconds: 1), and a probe System's file is
//     changed to an ID nobody has looked up: no System is removed, each keeps the status of its last known
//     verdict, and the probe's new version is in, flagged `unavailable`; its card says the CMDB is unavailable
//     (screenshot docs/images/entity-card-unavailable.png).
// Run: node --test --test-concurrency=1 scripts/e2e-legacy.mjs
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { startFakeCmdb } from '../tests/support/fake-cmdb.mjs';
import { FRONTEND, REPO, apiClient, appConfigText, clickNext as clickNextIn, guestToken, openTemplateForm, poll, startApp } from './e2e-app-lib.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The Systems of the app's catalog and their status before the outage (create-app's `examples` has no asset
// ID); `outage-probe` is this file's own (a location in a scratch folder) and starts as Customer Portal.
const EXPECTED = {
  examples: 'missing_annotation',
  'ghost-system': 'not_found',
  'legacy-billing': 'retired',
  'outage-probe': 'valid',
  payments: 'valid',
  'unlinked-system': 'missing_annotation',
};
const probeYaml = id => `apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: outage-probe
  annotations:
    example.com/asset-id: ${id}
spec:
  owner: group:default/platform-team
`;

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
  `  searchUrl: '${url}/assets?q={q}'`,
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
let probeFile;

before(async () => {
  cmdb = await startFakeCmdb({ port: 0 });
  cmdbSwitch = await startSwitch(cmdb);
  scratch = mkdtempSync(join(tmpdir(), 'asset-id-e2e-legacy-'));
  const config = join(scratch, 'app-config.http-cmdb.yaml');
  probeFile = join(scratch, 'outage-probe.yaml');
  writeFileSync(probeFile, probeYaml('APM0002001'));
  const text = appConfigText({ lookup: httpLookup(cmdbSwitch.url), locations: [{ target: probeFile, allow: ['System'] }] });
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

const api = apiClient(() => token);

const STATUS = 'example.com/asset-id-status';
/** System name -> its status annotation, for every System in the catalog. */
const statuses = async () => {
  const r = await api('/api/catalog/entities?filter=kind=system');
  assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 500));
  return Object.fromEntries(r.body.map(e => [e.metadata.name, e.metadata.annotations?.[STATUS] ?? null]).sort());
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
  const clickNext = () => clickNextIn(page);

  it('guest sign-in, then the template form of the legacy app opens with the Asset ID field', async () => {
    await openTemplateForm(page, input, { timeoutMs: 180_000 });
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

  for (const [name, state] of [['payments', 'valid'], ['legacy-billing', 'retired'], ['unlinked-system', 'no-annotation']]) {
    it(`the asset card on System ${name}'s page of the legacy app: ${state}`, async () => {
      await page.goto(`${FRONTEND}/catalog/default/system/${name}`);
      const card = page.locator('[data-testid=asset-id-card]');
      await card.waitFor({ timeout: 60_000 });
      await page.waitForFunction(() => document.querySelector('[data-testid=asset-id-card]')?.getAttribute('data-state') !== 'loading', null, { timeout: 20_000 });
      assert.equal(await card.getAttribute('data-state'), state, await card.innerText());
    });
  }

  it('the coverage page of the legacy app (sidebar item Asset IDs -> /asset-id): the catalog\'s statuses', async () => {
    const now = await poll(async () => {
      const s = await statuses();
      return { done: Object.keys(EXPECTED).every(n => s[n] && s[n] !== 'pending'), value: s };
    }, 'every System with its status annotation');
    assert.deepEqual(now, EXPECTED);
    await page.goto(`${FRONTEND}/catalog`);
    await page.getByRole('link', { name: 'Asset IDs' }).first().click();
    await page.waitForURL(/\/asset-id$/, { timeout: 15_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid=asset-id-coverage]')?.getAttribute('data-state') === 'ready', null, { timeout: 60_000 });
    const share = page.locator('[data-testid=asset-id-coverage-share]');
    const names = Object.keys(EXPECTED);
    assert.equal(await share.getAttribute('data-total'), String(names.length));
    assert.equal(await share.getAttribute('data-valid'), String(names.filter(n => EXPECTED[n] === 'valid').length));
    await page.waitForFunction(() => document.querySelector('[data-testid=asset-id-attention]')?.getAttribute('data-state') === 'ready', null, { timeout: 30_000 });
    const listed = await page.locator('[data-testid=asset-id-attention-row]').evaluateAll(rows =>
      rows.map(r => [r.getAttribute('data-entity'), r.querySelector('a')?.getAttribute('href')]));
    assert.deepEqual(
      listed.sort(),
      names.filter(n => EXPECTED[n] !== 'valid').map(n => [`system:default/${n}`, `/catalog/default/system/${n}`]).sort(),
    );
  });

  it('raised no page errors and sent nothing to /api/proxy/', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(proxied, []);
  });
});

describe('the catalog during a CMDB outage (mode flag)', { concurrency: false }, () => {
  it('no System is removed; cached verdicts keep their status; a value never looked up is flagged unavailable', async () => {
    // Every System ingested with its status (the processor asked the CMDB through the switch).
    const before = await poll(async () => {
      const s = await statuses();
      return { done: Object.keys(EXPECTED).every(n => s[n] && s[n] !== 'pending'), value: s };
    }, 'the Systems with their status annotation');
    assert.deepEqual(before, EXPECTED);
    const looked = cmdb.stats().log.filter(l => l.path.startsWith('/assets/')).map(l => l.path);
    assert.ok(looked.includes('/assets/APM0001234'), `the processor asked the CMDB: ${JSON.stringify(looked)}`);

    cmdbSwitch.off();
    await new Promise(r => setTimeout(r, 1500)); // past cacheTtlSeconds: the next check asks the CMDB
    // The probe System's file now names an ID nobody has looked up: no verdict to fall back on.
    writeFileSync(probeFile, probeYaml('APM0003117'));
    const locations = (await api('/api/catalog/entities?filter=kind=location')).body
      .filter(l => JSON.stringify(l.spec ?? {}).includes('outage-probe.yaml'));
    assert.equal(locations.length, 1, 'the probe\'s location');
    const refs = [...Object.keys(EXPECTED).map(n => `system:default/${n}`), `location:default/${locations[0].metadata.name}`];
    for (const entityRef of refs) {
      const r = await api('/api/catalog/refresh', { method: 'POST', body: JSON.stringify({ entityRef }) });
      assert.ok([200, 204].includes(r.status), `refresh ${entityRef}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    }
    // The refreshes reached the processor and met the outage (connections to the CMDB reset), and the
    // probe, re-read with its new ID, is flagged unavailable.
    const during = await poll(async () => {
      const s = await statuses();
      return { done: cmdbSwitch.refused() > 0 && s['outage-probe'] === 'unavailable', value: { refused: cmdbSwitch.refused(), s } };
    }, 'a lookup during the outage and the probe flagged unavailable', 90_000);
    assert.ok(during.refused > 0);
    // Then, for a while, every System is still served, each with the status it had (the probe: unavailable).
    for (let i = 0; i < 4; i++) {
      await new Promise(r => setTimeout(r, 2000));
      assert.deepEqual(await statuses(), { ...EXPECTED, 'outage-probe': 'unavailable' }, `after ${(i + 1) * 2} s of outage`);
    }
    const probe = await api('/api/catalog/entities/by-name/system/default/outage-probe');
    assert.equal(probe.status, 200);
    assert.equal(probe.body.metadata.annotations['example.com/asset-id'], 'APM0003117', 'the new version is in');
 
    // Its page, during the outage: the card says the CMDB is unavailable (screenshot for README).
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${FRONTEND}/catalog/default/system/outage-probe`);
      const enter = page.getByRole('button', { name: 'Enter' });
      const card = page.locator('[data-testid=asset-id-card]');
      await Promise.race([enter.waitFor({ timeout: 60_000 }), card.waitFor({ timeout: 60_000 })]);
      if (await enter.isVisible()) await enter.click();
      await card.waitFor({ timeout: 60_000 });
      await page.waitForFunction(() => document.querySelector('[data-testid=asset-id-card]')?.getAttribute('data-state') !== 'loading', null, { timeout: 30_000 });
      assert.equal(await card.getAttribute('data-state'), 'unavailable', await card.innerText());
      assert.match(await card.innerText(), /APM0003117/);
      const infoCard = card.locator('xpath=ancestor::*[contains(@class, "MuiCard-root")][1]');
      await (await infoCard.count() ? infoCard : card).screenshot({ path: join(REPO, 'docs', 'images', 'entity-card-unavailable.png') });
    } finally {
      await browser.close();
    }
  });
});

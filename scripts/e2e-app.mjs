// `make test-e2e`: examples/backstage-app (Backstage 1.55, installed from the tarballs of `make pack`) with
// the real scaffolder and catalog backends, started and stopped by this file.
//   - the scaffolder API without the form: dry-run of the example template fails at asset-id:validate for
//     an invalid ID with the verdict's message, and passes that step for a valid one
//   - the catalog (processor mode flag, read through the catalog API): every example System is ingested with
//     its status annotation; the catalog query on the status annotation lists exactly the retired one
//   - the form on /create in headless Chromium: malformed, unknown, retired, wrong check digit, valid typed
//     loosely (stored normalized), Next blocked until valid, the review shows the normalized ID; the page
//     asks /api/asset-id and never /api/proxy/; a template whose ui:options widen the policy
//     (tests/e2e/fixtures/widening-template.yaml, added to the catalog for this run) gets the configuration
//     error and never a verdict
//   - the entity card on each example System's page, in the state of its verdict; screenshots of the card
//     in docs/images/ (shown by README)
//   - the coverage page /asset-id (reached from its nav item): the share of valid Systems, the counts by status
//     and by owner equal the example catalog's statuses (read through the catalog API) and GET
//     /api/asset-id/v1/coverage; the Systems needing attention link to their entity pages; screenshot
//     docs/images/coverage-page.png (shown by README)
//   - MCP (@backstage/plugin-mcp-actions-backend): a real MCP client (@modelcontextprotocol/sdk, Streamable
//     HTTP, a static Backstage token from backend.auth.externalAccess, set up for this run) lists the tools
//     asset-id.validate-asset-ids and asset-id.search-assets (read-only, idempotent, not destructive) and calls
//     each: the answers are the router's (/v1/validate, /v1/search) for the same input; 101 values is a tool
//     error; no token or a wrong one is refused; a token restricted to the MCP plugin alone sees no asset-id tool
// Run: node --test --test-concurrency=1 scripts/e2e-app.mjs
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { APP_DIR, BACKEND, FRONTEND, REPO, apiClient, appConfigText, clickNext as clickNextIn, guestToken, openTemplateForm, poll, startApp } from './e2e-app-lib.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TEMPLATE = 'template/default/asset-id-system';
const WIDENING = join(REPO, 'tests', 'e2e', 'fixtures', 'widening-template.yaml');
const SCREENSHOTS = join(REPO, 'docs', 'images');
const STATUS = 'example.com/asset-id-status';
// The example Systems (examples/backstage-app/examples/asset-id-systems.yaml) and their status annotation;
// `examples` is create-app's own example System (examples/entities.yaml), which has no asset ID: in mode
// flag it is ingested and flagged, not dropped.
const SYSTEMS = {
  examples: 'missing_annotation',
  payments: 'valid',
  'legacy-billing': 'retired',
  'ghost-system': 'not_found',
  'unlinked-system': 'missing_annotation',
};

// MCP: the example backend's @backstage/plugin-mcp-actions-backend, reached as an AI agent's client would reach it.
// The client is the SDK the MCP plugin itself depends on, resolved from the installed example app (so its version is
// the one examples/backstage-app/yarn.lock pins; nothing more to install).
const MCP_TOKEN = randomBytes(24).toString('base64');
const MCP_ONLY_TOKEN = randomBytes(24).toString('base64');
function mcpConfigText() {
  return [
    'backend:',
    '  auth:',
    '    externalAccess:',
    '      - type: static',
    `        options: { token: ${JSON.stringify(MCP_TOKEN)}, subject: mcp-e2e }`,
    '        accessRestrictions: [{ plugin: mcp-actions }, { plugin: asset-id }]',
    '      - type: static',
    `        options: { token: ${JSON.stringify(MCP_ONLY_TOKEN)}, subject: mcp-e2e-mcp-only }`,
    '        accessRestrictions: [{ plugin: mcp-actions }]',
    '',
  ].join('\n');
}

let app;
let scratch;
let token;
let template;

const api = apiClient(() => token);

before(async () => {
  // A placeholder GitHub token: the template's last step (publish:github:pull-request) wants one even in a
  // dry-run, where it opens nothing.
  // app-config.yaml as is, plus the widening-template fixture in catalog.locations
  scratch = mkdtempSync(join(tmpdir(), 'asset-id-e2e-app-'));
  const config = join(scratch, 'app-config.e2e.yaml');
  writeFileSync(config, appConfigText({ locations: [{ target: WIDENING, allow: ['Template'] }] }));
  // MCP clients' static tokens (backend.auth.externalAccess), as the example app's README sets one up
  const mcpConfig = join(scratch, 'app-config.mcp.yaml');
  writeFileSync(mcpConfig, mcpConfigText());
  app = await startApp({
    log: process.env.E2E_LOG === '1',
    configs: [config, mcpConfig],
    env: { GITHUB_TOKEN: 'e2e-placeholder-not-a-token' },
  });
  token = await guestToken();
  template = await poll(async () => {
    const r = await api(`/api/catalog/entities/by-name/${TEMPLATE}`);
    return { done: r.status === 200, value: r.body };
  }, 'the example template in the catalog');
});

after(async () => {
  await app?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const values = assetId => ({
  assetId,
  name: 'e2e-system',
  description: 'created by the e2e test',
  owner: 'group:default/platform-team',
  repoUrl: 'github.com?owner=acme&repo=systems',
});

// The template's skeleton/ (fetch:template reads it from the dry-run's directoryContents).
const SKELETON = join(REPO, 'examples/templates/asset-id-system');
const directoryContents = readdirSync(join(SKELETON, 'skeleton'), { recursive: true })
  .map(String)
  .filter(f => statSync(join(SKELETON, 'skeleton', f)).isFile())
  .map(f => ({ path: `skeleton/${f}`, base64Content: readFileSync(join(SKELETON, 'skeleton', f)).toString('base64') }));

async function dryRun(assetId) {
  return api('/api/scaffolder/v2/dry-run', {
    method: 'POST',
    body: JSON.stringify({ template, values: values(assetId), secrets: {}, directoryContents }),
  });
}

const logText = body => (body?.log ?? []).map(l => `${l.body?.stepId ?? ''} ${l.body?.status ?? ''} ${l.body?.message ?? ''}`).join('\n');

describe('the scaffolder API without the form', { concurrency: false }, () => {
  for (const [id, message] of [
    ['APM0000042', /APM0000042 \(Legacy Billing\) is retired/],
    ['APM9999999', /APM9999999 does not exist in the asset registry/],
    ['APM12', /"APM12" is not a valid asset ID/],
    ['AST0001238', /check digit is wrong/],
  ]) {
    it(`dry-run with ${id} fails at asset-id:validate with the verdict's message`, async () => {
      const r = await dryRun(id);
      // The scaffolder answers a failed dry-run step with the step's error (HTTP 400 for the action's
      // InputError); its stack names the action's handler.
      assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 800));
      assert.equal(r.body.error?.name, 'InputError');
      assert.match(r.body.error.message, message);
      assert.match(r.body.error.stack ?? '', /validateAssetId/, 'thrown by asset-id:validate');
    });
  }

  it('dry-run with a valid ID typed loosely passes asset-id:validate (normalized output)', async () => {
    const r = await dryRun(' apm-000 1234 ');
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 800));
    const log = logText(r.body);
    assert.match(log, /validate-asset completed/, log);
    // the rendered catalog-info.yaml carries the normalized ID from the action's output
    const rendered = (r.body.directoryContents ?? [])
      .map(f => Buffer.from(f.base64Content, 'base64').toString('utf8')).join('\n');
    assert.match(rendered, /example\.com\/asset-id: "?APM0001234"?/, rendered.slice(0, 800));
  });
});

async function runTask(assetId) {
  const created = await api('/api/scaffolder/v2/tasks', {
    method: 'POST',
    body: JSON.stringify({ templateRef: TEMPLATE.replace(/^template\/default\//, 'template:default/'), values: values(assetId) }),
  });
  assert.equal(created.status, 201, JSON.stringify(created.body).slice(0, 800));
  const id = created.body.id;
  const task = await poll(async () => {
    const r = await api(`/api/scaffolder/v2/tasks/${id}`);
    return { done: ['failed', 'completed', 'cancelled'].includes(r.body?.status), value: r.body };
  }, `task ${id}`, 60_000);
  const events = (await api(`/api/scaffolder/v2/tasks/${id}/events`)).body;
  const text = events.map(e => `${e.body?.stepId ?? ''} ${e.body?.status ?? ''} ${e.body?.message ?? ''}`).join('\n');
  return { task, text };
}

describe('the scaffolder tasks API without the form', { concurrency: false }, () => {
  it('a task with a retired ID fails at asset-id:validate with the verdict\'s message; no later step runs', async () => {
    const { task, text } = await runTask('APM0000042');
    assert.equal(task.status, 'failed', text);
    assert.match(text, /validate-asset failed/, text);
    assert.match(text, /APM0000042 \(Legacy Billing\) is retired/, text);
    assert.doesNotMatch(text, /render (processing|completed)/, text);
  });

  it('a task with a valid ID passes asset-id:validate and goes on to the next steps', async () => {
    const { text } = await runTask(' apm-000 1234 ');
    assert.match(text, /validate-asset completed/, text);
    assert.match(text, /render (processing|completed)/, text);
  });
});

describe('the catalog processor on the example Systems (mode flag, through the catalog API)', { concurrency: false }, () => {
  const statuses = async () => {
    const r = await api('/api/catalog/entities?filter=kind=system');
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 500));
    return Object.fromEntries(r.body.map(e => [e.metadata.name, e.metadata.annotations?.[STATUS] ?? null]));
  };

  it('every example System is ingested, each with its status annotation', async () => {
    const got = await poll(async () => {
      const s = await statuses();
      // `pending` (queued for a batched lookup) turns into the status at the entity's next processing pass.
      return { done: Object.keys(SYSTEMS).every(n => s[n] && s[n] !== 'pending'), value: s };
    }, 'the example Systems with their status annotation');
    assert.deepEqual(got, SYSTEMS);
  });

  it(`the catalog query on ${STATUS}=retired lists exactly the retired System`, async () => {
    const r = await api(`/api/catalog/entities?filter=kind=system,metadata.annotations.${STATUS}=retired`);
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 500));
    assert.deepEqual(r.body.map(e => e.metadata.name), ['legacy-billing']);
    assert.equal(r.body[0].metadata.annotations['example.com/asset-id'], 'APM0000042');
  });

  it('a flagged System is served without processing errors (flag does not block)', async () => {
    const r = await api('/api/catalog/entities/by-name/system/default/legacy-billing');
    assert.equal(r.status, 200);
    const errors = (r.body.status?.items ?? []).filter(i => i.level === 'error');
    assert.deepEqual(errors, []);
  });
});

describe('the ValidateAsset field on /create (headless Chromium)', { concurrency: false }, () => {
  let context;
  let page;
  let profile;
  const pageErrors = [];
  const requests = [];

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
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
    page.on('request', r => requests.push(`${r.method()} ${r.url()}`));
  });

  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const input = () => page.getByRole('textbox', { name: 'Asset ID' });
  const helper = () => page.evaluate(() => {
    const el = document.querySelector('[data-testid=validate-asset]');
    const id = el?.querySelector('input')?.getAttribute('aria-describedby');
    return (id && document.getElementById(id.split(' ')[0])?.innerText) || el?.innerText || '';
  });
  async function waitForState(states, timeout = 15_000) {
    const wanted = Array.isArray(states) ? states : [states];
    await page.waitForFunction(
      w => w.includes(document.querySelector('[data-testid=validate-asset]')?.getAttribute('data-state')),
      wanted, { timeout });
    return helper();
  }
  const clickNext = () => clickNextIn(page);
  const onFirstStep = async () => (await page.locator('#root_name').count()) === 0 && (await input().isVisible());

  it('guest sign-in, then the template form opens with the Asset ID field', async () => {
    await openTemplateForm(page, input);
  });

  it('malformed: the format message while typing', async () => {
    await input().fill('');
    await input().pressSequentially('APM12', { delay: 20 });
    assert.match(await waitForState('invalid'), /"APM12" is not a valid asset ID: expected APM followed by 7 digits/);
    assert.equal(await input().getAttribute('aria-invalid'), 'true');
    await clickNext();
    assert.ok(await onFirstStep(), 'Next blocked for a malformed ID');
  });

  it('unknown: does not exist in the asset registry; Next blocked', async () => {
    await input().fill('APM9999999');
    assert.match(await waitForState('invalid'), /APM9999999 does not exist in the asset registry/);
    await clickNext();
    assert.ok(await onFirstStep());
  });

  it('retired: Legacy Billing is retired; Next blocked; the message is read once', async () => {
    await input().fill('APM0000042');
    const live = await waitForState('invalid');
    assert.match(live, /APM0000042 \(Legacy Billing\) is retired/);
    await clickNext();
    assert.ok(await onFirstStep());
    // The example template sets ui:hideError: while typing the field's helper text carries the verdict; after the
    // blocked Next the scaffolder's step summary lists it ('Asset ID' <message>) and nothing at the field repeats it.
    await page.getByText(`'Asset ID' ${live}`).waitFor({ timeout: 15_000 });
    const text = await page.evaluate(() => document.body.innerText);
    assert.deepEqual(text.match(/[^\n]*is retired[^\n]*/g), [`'Asset ID' ${live}`], `once on the page:\n${text.slice(0, 2000)}`);
    assert.equal(await input().getAttribute('aria-invalid'), 'true', 'the field stays marked invalid');
  });

  it('wrong check digit: AST0001238; Next blocked', async () => {
    await input().fill('AST0001238');
    assert.match(await waitForState('invalid'), /check digit is wrong/);
    await clickNext();
    assert.ok(await onFirstStep());
  });

  it('valid typed loosely: the record is shown, Next opens the next step, the review shows APM0001234', async () => {
    await input().fill(' apm-000 1234 ');
    assert.match(await waitForState('valid'), /Payments Gateway \(operational\)/);
    await clickNext();
    await page.locator('#root_name').waitFor({ timeout: 15_000 });
    await page.locator('#root_name').fill('e2e-system');
    const owner = page.locator('#root_owner');
    await owner.fill('group:default/platform-team');
    await owner.press('Tab');
    await page.screenshot({ path: join(tmpdir(), 'asset-id-e2e-step2.png'), fullPage: true });
    await clickNext();
    await page.getByRole('button', { name: 'Review' }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Create' }).waitFor({ timeout: 15_000 });
    const review = await page.evaluate(() => document.body.innerText);
    assert.match(review, /APM0001234/, 'the review shows the normalized ID');
    assert.doesNotMatch(review, /apm-000 1234/, 'not the loosely typed value');
  });

  it('search: a name offers matching assets; picking one stores its ID, Next passes, the review shows it', async () => {
    await openTemplateForm(page, input);
    const started = performance.now();
    await input().fill('payments');
    const option = page.getByRole('option').filter({ hasText: 'Payments Gateway' });
    await option.first().waitFor({ timeout: 15_000 });
    const latency = performance.now() - started;
    console.log(`field search: first suggestions ${latency.toFixed(0)} ms after typing (debounce 250 ms)`);
    assert.equal(await page.getByRole('option').count(), 1, 'only the matching asset is offered');
    await option.first().click();
    assert.match(await waitForState('valid'), /Payments Gateway \(operational\)/);
    assert.equal(await page.locator('[data-testid=validate-asset]').getAttribute('data-value'), 'APM0001234');
    await clickNext();
    await page.locator('#root_name').waitFor({ timeout: 15_000 });
    await page.locator('#root_name').fill('e2e-picked');
    const owner = page.locator('#root_owner');
    await owner.fill('group:default/platform-team');
    await owner.press('Tab');
    await clickNext();
    await page.getByRole('button', { name: 'Review' }).waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Create' }).waitFor({ timeout: 15_000 });
    assert.match(await page.evaluate(() => document.body.innerText), /APM0001234/, 'the review shows the picked ID');
  });

  it('search: nothing matches: "Request a new asset ID" links to lookup.requestUrl; Next stays blocked', async () => {
    await openTemplateForm(page, input);
    await input().fill('zzz no such asset');
    const link = page.getByRole('link', { name: /Request a new asset ID/ });
    await link.waitFor({ timeout: 15_000 });
    assert.equal(await link.getAttribute('href'), 'https://cmdb.example.com/request-new-asset');
    assert.equal(await page.getByRole('option').count(), 0);
    await clickNext();
    assert.ok(await onFirstStep(), 'Next stays on the first step');
  });

  it('a template whose ui:options widen the policy: each field shows the configuration error naming its key, never a verdict', async () => {
    await page.goto(`${FRONTEND}/create/templates/default/asset-id-widening`);
    const fields = page.locator('[data-testid=validate-asset]');
    await fields.first().waitFor({ timeout: 60_000 });
    assert.equal(await fields.count(), 3);
    const before = requests.filter(r => r.includes('/api/asset-id/v1/validate')).length;
    for (const [i, key] of ['schemes', 'lookup', 'maxLength'].entries()) {
      const field = fields.nth(i);
      await field.locator('input').fill('APM0001234');
      await page.waitForTimeout(800); // past the lookup's debounce
      assert.equal(await field.getAttribute('data-state'), 'config-error', key);
      const text = await field.innerText();
      assert.match(text, new RegExp(`ui:options\\.${key}\\b[^\\n]*not allowed`), text);
      assert.doesNotMatch(text, /Payments Gateway|is valid|does not exist/, text);
    }
    assert.equal(requests.filter(r => r.includes('/api/asset-id/v1/validate')).length, before, 'no verdict was asked for');
    assert.ok(!requests.some(r => r.includes('attacker.example')), 'the widened lookup URL was never called');
  });

  for (const [name, state] of [['payments', 'valid'], ['legacy-billing', 'retired'], ['ghost-system', 'not-found'], ['unlinked-system', 'no-annotation']]) {
    it(`the entity card on System ${name}'s page: ${state} (screenshot docs/images/entity-card-${state}.png)`, async () => {
      await page.goto(`${FRONTEND}/catalog/default/system/${name}`);
      const card = page.locator('[data-testid=asset-id-card]');
      await card.waitFor({ timeout: 60_000 });
      await page.waitForFunction(() => document.querySelector('[data-testid=asset-id-card]')?.getAttribute('data-state') !== 'loading', null, { timeout: 20_000 });
      assert.equal(await card.getAttribute('data-state'), state, await card.innerText());
      const text = await card.innerText();
      if (state === 'valid') {
        assert.match(text, /APM0001234[\s\S]*Payments Gateway/, text);
        // lookup.recordUrl of app-config.yaml, filled with the ID
        assert.equal(await card.getByRole('link', { name: /CMDB/ }).getAttribute('href'), 'https://cmdb.example.com/assets/APM0001234');
      }
      if (state === 'retired') assert.match(text, /APM0000042[\s\S]*Legacy Billing[\s\S]*retired/i, text);
      if (state === 'not-found') assert.match(text, /APM9999999/, text);
      if (state === 'no-annotation') assert.match(text, /example\.com\/asset-id/, text);
      // the whole card (its InfoCard), as people see it on the page, once its suggestions (a search) settled
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(500);
      const infoCard = card.locator('xpath=ancestor::*[contains(@class, "MuiCard-root")][1]');
      await (await infoCard.count() ? infoCard : card).screenshot({ path: join(SCREENSHOTS, `entity-card-${state}.png`) });
    });
  }

  it('the coverage page /asset-id, from its nav item: the figures are the example catalog\'s statuses (screenshot docs/images/coverage-page.png)', async () => {
    // what the page must show, from the catalog API: each System's status annotation and spec.owner
    const systems = (await api('/api/catalog/entities?filter=kind=system')).body;
    const status = e => e.metadata.annotations?.[STATUS];
    assert.deepEqual(Object.fromEntries(systems.map(e => [e.metadata.name, status(e)])), SYSTEMS);
    const byStatus = {};
    const byOwner = {};
    for (const e of systems) {
      byStatus[status(e)] = (byStatus[status(e)] ?? 0) + 1;
      // spec.owner as a full ref, the catalog's defaults (create-app's `examples` says `guests`)
      const written = e.spec?.owner;
      const ref = !written ? 'unowned' : written.includes(':') ? (written.includes('/') ? written : written.replace(':', ':default/')) : `group:default/${written}`;
      const owner = (byOwner[ref] ??= { total: 0, valid: 0 });
      owner.total += 1;
      if (status(e) === 'valid') owner.valid += 1;
    }
    // the backend's count agrees (the page shows that answer)
    const coverage = await api('/api/asset-id/v1/coverage');
    assert.equal(coverage.status, 200, JSON.stringify(coverage.body).slice(0, 500));
    assert.equal(coverage.body.total, systems.length);
    assert.deepEqual(Object.fromEntries(Object.entries(coverage.body.byStatus).filter(([, n]) => n > 0)), byStatus);
    assert.deepEqual(Object.fromEntries(coverage.body.byOwner.map(o => [o.owner, { total: o.total, valid: o.valid }])), byOwner);

    await page.goto(`${FRONTEND}/catalog`);
    const nav = page.getByRole('link', { name: 'Asset IDs' });
    await nav.first().waitFor({ timeout: 60_000 });
    await nav.first().click();
    await page.waitForURL(/\/asset-id$/, { timeout: 15_000 });
    const root = page.locator('[data-testid=asset-id-coverage]');
    await root.waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid=asset-id-coverage]')?.getAttribute('data-state') === 'ready', null, { timeout: 30_000 });
    const share = page.locator('[data-testid=asset-id-coverage-share]');
    const valid = byStatus.valid ?? 0;
    assert.equal(await share.getAttribute('data-valid'), String(valid));
    assert.equal(await share.getAttribute('data-total'), String(systems.length));
    assert.match(await share.innerText(), new RegExp(`${Math.floor((valid * 100) / systems.length)} %[\\s\\S]*${valid} of ${systems.length} Systems have a valid asset ID`));
    const statusRows = await page.locator('[data-testid=asset-id-coverage-status] tbody tr').evaluateAll(rows =>
      rows.map(r => [r.getAttribute('data-status'), Number(r.getAttribute('data-count'))]));
    assert.deepEqual(Object.fromEntries(statusRows), byStatus);
    const ownerRows = await page.locator('[data-testid=asset-id-coverage-owner] tbody tr').evaluateAll(rows =>
      rows.map(r => [r.getAttribute('data-owner'), { total: Number(r.getAttribute('data-total')), valid: Number(r.getAttribute('data-valid')) }]));
    assert.deepEqual(Object.fromEntries(ownerRows), byOwner);
    // the Systems needing attention: every System whose status is not valid, each linking to its entity page
    const attention = page.locator('[data-testid=asset-id-attention]');
    await page.waitForFunction(() => document.querySelector('[data-testid=asset-id-attention]')?.getAttribute('data-state') === 'ready', null, { timeout: 30_000 });
    const listed = await attention.locator('[data-testid=asset-id-attention-row]').evaluateAll(rows =>
      rows.map(r => [r.getAttribute('data-entity'), r.getAttribute('data-status'), r.querySelector('a')?.getAttribute('href')]));
    const needing = Object.entries(SYSTEMS).filter(([, s]) => s !== 'valid');
    assert.deepEqual(
      listed.map(([ref, s, href]) => [ref, s, href]).sort(),
      needing.map(([name, s]) => [`system:default/${name}`, s, `/catalog/default/system/${name}`]).sort(),
    );
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: join(SCREENSHOTS, 'coverage-page.png'), fullPage: true });
    // a link goes to the System's page
    await attention.getByRole('link', { name: /legacy-billing/ }).first().click();
    await page.waitForURL(/\/catalog\/default\/system\/legacy-billing/, { timeout: 15_000 });
    assert.ok(requests.some(r => r.startsWith('GET ') && r.includes('/api/asset-id/v1/coverage')), 'GET /api/asset-id/v1/coverage');
  });

  it('the page asked the asset-id backend, never /api/proxy/, and raised no page errors', () => {
    assert.ok(requests.some(r => r.startsWith('GET ') && r.includes('/api/asset-id/v1/policy')), 'GET /api/asset-id/v1/policy');
    assert.ok(requests.some(r => r.startsWith('POST ') && r.includes('/api/asset-id/v1/validate')), 'POST /api/asset-id/v1/validate');
    assert.deepEqual(requests.filter(r => r.includes('/api/proxy/')), []);
    assert.deepEqual(pageErrors, []);
  });
});

async function mcpSdk() {
  const fromPlugin = createRequire(createRequire(join(APP_DIR, 'packages', 'backend', 'package.json'))
    .resolve('@backstage/plugin-mcp-actions-backend/package.json'));
  const { Client } = await import(fromPlugin.resolve('@modelcontextprotocol/sdk/client/index.js'));
  const { StreamableHTTPClientTransport } = await import(fromPlugin.resolve('@modelcontextprotocol/sdk/client/streamableHttp.js'));
  return { Client, StreamableHTTPClientTransport };
}

async function mcpClient(bearer) {
  const { Client, StreamableHTTPClientTransport } = await mcpSdk();
  const client = new Client({ name: 'asset-id-e2e', version: '0.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${BACKEND}/api/mcp-actions/v1`), {
    requestInit: { headers: bearer === null ? {} : { authorization: `Bearer ${bearer}` } },
  });
  await client.connect(transport);
  return client;
}

describe('MCP: asset-id tools through @backstage/plugin-mcp-actions-backend (Streamable HTTP, static token)', { concurrency: false }, () => {
  let client;
  after(async () => { await client?.close(); });

  it('lists asset-id.validate-asset-ids and asset-id.search-assets, read-only, idempotent, not destructive', async () => {
    client = await mcpClient(MCP_TOKEN);
    const { tools } = await client.listTools();
    const ours = tools.filter(t => t.name.startsWith('asset-id.'));
    assert.deepEqual(ours.map(t => t.name).sort(), ['asset-id.search-assets', 'asset-id.validate-asset-ids'], JSON.stringify(tools.map(t => t.name)));
    for (const t of ours) {
      assert.equal(t.annotations?.readOnlyHint, true, t.name);
      assert.equal(t.annotations?.idempotentHint, true, t.name);
      assert.equal(t.annotations?.destructiveHint, false, t.name);
    }
    const validate = ours.find(t => t.name === 'asset-id.validate-asset-ids');
    assert.equal(validate.inputSchema.properties.values.maxItems, 100);
    assert.deepEqual(validate.inputSchema.required, ['values']);
  });

  it('asset-id.validate-asset-ids answers what POST /api/asset-id/v1/validate answers', async () => {
    const values = [' apm-000 1234 ', 'APM0000042', 'APM9999999', 'APM12', 'AST0001238', 'BSN0001001'];
    const result = await client.callTool({ name: 'asset-id.validate-asset-ids', arguments: { values } });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
    const viaRouter = await api('/api/asset-id/v1/validate', { method: 'POST', body: JSON.stringify({ values }) });
    assert.equal(viaRouter.status, 200);
    assert.deepEqual(result.structuredContent, viaRouter.body);
    assert.deepEqual(JSON.parse(result.content[0].text), viaRouter.body);
    assert.deepEqual(result.structuredContent.results.map(r => [r.valid, r.value]), [
      [true, 'APM0001234'], [false, null], [false, null], [false, null], [false, null], [true, 'BSN0001001'],
    ]);
    assert.equal(result.structuredContent.results[0].record.name, 'Payments Gateway');
  });

  it('asset-id.search-assets answers what POST /api/asset-id/v1/search answers', async () => {
    const input = { query: 'payments', limit: 5 };
    const result = await client.callTool({ name: 'asset-id.search-assets', arguments: input });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
    const viaRouter = await api('/api/asset-id/v1/search', { method: 'POST', body: JSON.stringify(input) });
    assert.equal(viaRouter.status, 200);
    assert.deepEqual(result.structuredContent, viaRouter.body);
    assert.deepEqual(result.structuredContent.results.map(r => r.id), ['APM0001234']);
  });

  it('what the contract refuses is a tool error naming the problem (101 values, a long query, an unknown scheme)', async () => {
    for (const [name, args] of [
      ['asset-id.validate-asset-ids', { values: Array.from({ length: 101 }, () => 'APM0001234') }],
      ['asset-id.validate-asset-ids', { values: ['APM0001234'], scheme: 'nope' }],
      ['asset-id.search-assets', { query: 'x'.repeat(65) }],
    ]) {
      const result = await client.callTool({ name, arguments: args });
      assert.equal(result.isError, true, JSON.stringify(result).slice(0, 500));
      assert.match(result.content[0].text, /^InputError: /, result.content[0].text);
    }
  });

  it('no token, or a wrong one, is refused; a token for the MCP plugin alone sees no asset-id tool', async () => {
    await assert.rejects(mcpClient(null), /401|Unauthorized|authenticat/i);
    await assert.rejects(mcpClient(randomBytes(24).toString('base64')), /401|Unauthorized|authenticat/i);
    const restricted = await mcpClient(MCP_ONLY_TOKEN);
    try {
      const { tools } = await restricted.listTools();
      assert.deepEqual(tools.filter(t => t.name.startsWith('asset-id.')), []);
      const result = await restricted.callTool({ name: 'asset-id.validate-asset-ids', arguments: { values: ['APM0001234'] } });
      assert.equal(result.isError, true);
    } finally {
      await restricted.close();
    }
  });
});

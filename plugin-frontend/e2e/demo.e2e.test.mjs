// End-to-end: the demo (`npm run demo`: backstage-cli dev server + asset-id backend stand-in) in headless Chromium.
// Started and stopped by this file. Run: node --test e2e/demo.e2e.test.mjs
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PKG_DIR, startDemo } from '../scripts/demo-lib.mjs';

// Screenshots of each step land here (gitignored), to look at what a person sees.
const ARTIFACTS = join(PKG_DIR, '.e2e-artifacts');
mkdirSync(ARTIFACTS, { recursive: true });
const shot = name => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
import { field, helperText, launchBrowser, waitForState } from './browser.mjs';

let demo;
let browser;
let page;
const requests = [];

before(async () => {
  demo = await startDemo({ log: false, freePorts: true });
  browser = await launchBrowser();
  page = browser.page;
  page.on('request', r => requests.push(r.url()));
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

/** Put a value in the field (as a paste); the per-keystroke behaviour has its own test. */
async function typeId(value) {
  const { input } = field(page);
  await input.fill(value);
  assert.equal(await input.inputValue(), value);
}

/** Click Next and wait until the scaffolder has finished validating the step. */
async function clickNext() {
  await page.getByRole('button', { name: 'Next' }).click();
  await page.waitForFunction(() => !document.querySelector('.MuiLinearProgress-root'), null, { timeout: 15_000 });
  await page.waitForTimeout(300);
}

describe('ValidateAsset in the scaffolder form of the example template', { concurrency: false }, () => {
  it('opens on the first step with the Asset ID field (guest sign-in pre-selected)', async () => {
    await page.goto(demo.url);
    const { input } = field(page);
    await input.waitFor({ timeout: 120_000 });
    await page.waitForSelector('[data-testid=validate-asset][data-ready=true]', { timeout: 30_000 });
    assert.equal(await input.getAttribute('aria-invalid'), 'false');
    assert.match(await helperText(page), /APM0001234/);
    assert.ok(await page.getByRole('button', { name: 'Next' }).isVisible());
  });

  it('shows the format message while typing a malformed ID, without any request', async () => {
    const before = demo.backend.stats.validate;
    const { input } = field(page);
    await input.fill('');
    await input.pressSequentially('APM1', { delay: 15 });
    assert.match(await waitForState(page, 'invalid', 3000), /"APM1" is not a valid asset ID/);
    await input.pressSequentially('2', { delay: 15 });
    assert.match(await waitForState(page, 'invalid', 3000), /"APM12" is not a valid asset ID: expected APM followed by 7 digits/);
    assert.equal(await input.getAttribute('aria-invalid'), 'true');
    assert.equal(demo.backend.stats.validate, before, 'no lookup for a malformed ID');
    await shot('1-malformed');
  });

  it('shows "not found" for an unknown ID after the lookup', async () => {
    await typeId('APM9999999');
    assert.match(await waitForState(page, 'invalid'), /APM9999999 does not exist in the asset registry/);
    assert.ok(demo.backend.stats.validate >= 1, 'the verdict came from the asset-id backend');
  });

  it('shows "retired" for a retired ID after the lookup, and Next stays blocked', async () => {
    await typeId('APM0000042');
    const live = await waitForState(page, 'invalid');
    assert.match(live, /APM0000042 \(Legacy Billing\) is retired/);
    await shot('2-retired');
    await clickNext();
    // read once (the example template sets ui:hideError): after Next the scaffolder's step summary carries it
    // ("'Asset ID' <message>"), nothing at the field repeats it
    await page.waitForFunction(() => /'Asset ID' [^\n]*is retired/.test(document.body.innerText), null, { timeout: 10_000 });
    const lines = await page.evaluate(() => document.body.innerText.match(/[^\n]*is retired[^\n]*/g));
    assert.deepEqual(lines, [`'Asset ID' ${live}`]);
    assert.ok(await field(page).input.isVisible(), 'still on the first step');
    assert.equal(await page.locator('#root_name').count(), 0, 'the System step did not open');
  });

  it('blocks Next for a malformed and for an empty value', async () => {
    await typeId('AST0001238');
    assert.match(await waitForState(page, 'invalid'), /check digit is wrong/);
    await clickNext();
    assert.equal(await page.locator('#root_name').count(), 0);
    await field(page).input.fill('');
    await waitForState(page, 'empty');
    await clickNext();
    assert.equal(await page.locator('#root_name').count(), 0);
    assert.ok(await field(page).input.isVisible(), 'still on the first step');
  });

  it('shows the record for a valid ID, stores the normalized ID, and the review shows it', async () => {
    await typeId(' apm-000 1234 ');
    assert.match(await waitForState(page, 'valid'), /Payments Gateway \(operational\)/);
    assert.ok(await page.getByRole('button', { name: 'Use APM0001234' }).isVisible());
    await shot('3-valid');
    await page.getByRole('button', { name: 'Use APM0001234' }).click();
    assert.equal(await field(page).input.inputValue(), 'APM0001234');
    await clickNext();
    await page.locator('#root_name').waitFor({ timeout: 10_000 });
    await page.locator('#root_name').fill('payments');
    await page.locator('#root_owner').fill('group:default/team-payments');
    await clickNext();
    await page.locator('#root_repoUrl').waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Create' }).waitFor({ timeout: 10_000 });
    const review = await page.locator('main').innerText();
    assert.match(review, /APM0001234/);
    await shot('4-review');
    await page.getByRole('button', { name: 'Create' }).click();
    const created = JSON.parse(await page.getByTestId('created-values').innerText());
    assert.equal(created.assetId, 'APM0001234');
  });

  it('asked only the asset-id backend plugin (no proxy, no CMDB)', () => {
    assert.ok(demo.backend.stats.validate > 0);
    // (besides the guest sign-in's /api/auth/ refresh)
    const other = demo.backend.stats.paths.filter(p => !p.startsWith('/api/asset-id/') && !p.startsWith('/api/auth/'));
    assert.deepEqual([...new Set(other)], []);
    assert.ok(requests.length > 0);
    assert.deepEqual(requests.filter(u => u.includes('/api/proxy/')), []);
  });

  it('raised no page errors', () => {
    assert.deepEqual(browser.consoleErrors, []);
  });
});

describe('EntityAssetIdCard on example Systems (dev page /asset-id-cards)', { concurrency: false }, () => {
  const expected = {
    payments: ['valid', /Payments Gateway/],
    billing: ['retired', /APM0000042 \(Legacy Billing\) is retired/],
    ghost: ['not-found', /APM9999999 does not exist/],
    typo: ['invalid', /"APM12" is not a valid asset ID/],
    untagged: ['no-annotation', /no example\.com\/asset-id annotation/],
  };

  it('shows each state, with the record and its link for a valid ID', async () => {
    await page.goto(demo.url.replace(/\/asset-id$/, '/asset-id-cards'));
    for (const [name, [state, text]] of Object.entries(expected)) {
      const card = page.getByTestId(`system-${name}`).getByTestId('asset-id-card');
      await card.waitFor({ timeout: 60_000 });
      await page.waitForFunction(
        ([n, st]) => document.querySelector(`[data-testid=system-${n}] [data-testid=asset-id-card]`)?.getAttribute('data-state') === st,
        [name, state],
        { timeout: 15_000 },
      );
      assert.match(await card.innerText(), text, name);
      await page.getByTestId(`system-${name}`).screenshot({ path: join(ARTIFACTS, `card-${state}.png`) });
    }
    const link = page.getByTestId('system-payments').getByRole('link', { name: /Open the record in the CMDB/ });
    assert.equal(await link.getAttribute('href'), 'https://cmdb.example.com/records/APM0001234');
    await shot('5-cards');
  });

  it('raised no page errors', () => {
    assert.deepEqual(browser.consoleErrors, []);
  });
});

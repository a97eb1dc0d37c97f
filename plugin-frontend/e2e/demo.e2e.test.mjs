// End-to-end: the demo (`npm run demo`: backstage-cli dev server + proxy stand-in) in headless Chromium.
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

before(async () => {
  demo = await startDemo({ log: false });
  browser = await launchBrowser();
  page = browser.page;
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
    const before = demo.proxy.stats.registry;
    const { input } = field(page);
    await input.fill('');
    await input.pressSequentially('APM1', { delay: 15 });
    assert.match(await waitForState(page, 'invalid', 3000), /"APM1" is not a valid asset ID/);
    await input.pressSequentially('2', { delay: 15 });
    assert.match(await waitForState(page, 'invalid', 3000), /"APM12" is not a valid asset ID: expected APM followed by 7 digits/);
    assert.equal(await input.getAttribute('aria-invalid'), 'true');
    assert.equal(demo.proxy.stats.registry, before, 'no lookup for a malformed ID');
    await shot('1-malformed');
  });

  it('shows "not found" for an unknown ID after the lookup', async () => {
    await typeId('APM9999999');
    assert.match(await waitForState(page, 'invalid'), /APM9999999 does not exist in the asset registry/);
    assert.ok(demo.proxy.stats.registry >= 1, 'the registry came through the proxy stand-in');
  });

  it('shows "retired" for a retired ID after the lookup, and Next stays blocked', async () => {
    await typeId('APM0000042');
    assert.match(await waitForState(page, 'invalid'), /APM0000042 \(Legacy Billing\) is retired/);
    await shot('2-retired');
    await clickNext();
    // the scaffolder's error list shows the validator's message too
    await page.waitForFunction(() => (document.body.innerText.match(/is retired/g) ?? []).length >= 2, null, { timeout: 10_000 });
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

  it('raised no page errors', () => {
    assert.deepEqual(browser.consoleErrors, []);
  });
});

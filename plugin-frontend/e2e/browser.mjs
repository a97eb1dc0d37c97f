// Headless Chromium for the e2e tests and the benchmark (playwright-core + the system Chromium).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A fresh browser profile each time; close() removes it. */
export async function launchBrowser() {
  const userDataDir = mkdtempSync(join(tmpdir(), 'asset-id-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors = [];
  page.on('pageerror', e => consoleErrors.push(String(e)));
  return {
    context,
    page,
    consoleErrors,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The field's locators on the demo page. */
export function field(page) {
  return {
    root: page.getByTestId('validate-asset'),
    input: page.getByRole('textbox', { name: 'Asset ID' }),
  };
}

/** Wait until the field reports a state (data-state), returning its helper text. */
export async function waitForState(page, states, timeout = 10_000) {
  const wanted = Array.isArray(states) ? states : [states];
  await page.waitForFunction(
    w => w.includes(document.querySelector('[data-testid=validate-asset]')?.getAttribute('data-state')),
    wanted,
    { timeout },
  );
  return helperText(page);
}

export async function helperText(page) {
  return page.evaluate(() => {
    const input = document.querySelector('[data-testid=validate-asset] input');
    const id = input?.getAttribute('aria-describedby');
    return (id && document.getElementById(id)?.textContent) ?? '';
  });
}

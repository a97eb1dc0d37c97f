// Start and stop examples/backstage-app (`yarn start`: backend on :7007, frontend dev server on :3000).
// Used by `make demo` (scripts/demo-app.mjs) and `make test-e2e` (scripts/e2e-app.mjs).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
export const APP_DIR = join(REPO, 'examples', 'backstage-app');
export const FRONTEND = 'http://localhost:3000';
export const BACKEND = 'http://localhost:7007';

export function yarnBin() {
  const rel = readdirSync(join(APP_DIR, '.yarn', 'releases')).find(f => /^yarn-.*\.cjs$/.test(f));
  if (!rel) throw new Error('examples/backstage-app/.yarn/releases has no yarn-*.cjs');
  return join(APP_DIR, '.yarn', 'releases', rel);
}

function portInUse(port) {
  return new Promise(resolve => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

async function waitFor(url, deadline, ok = r => r.ok) {
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (ok(r)) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = String(e?.cause?.code ?? e);
    }
    await new Promise(r => setTimeout(r, 1000));
  }
  throw new Error(`${url} did not answer in time (last: ${last})`);
}

/**
 * Start the app; resolves when the backend is ready and the frontend answers. stop() kills the process group.
 * `packages`: what `yarn start` runs (default: packages/app and packages/backend; e.g. ['app-legacy', 'backend']).
 * `configs`: config files (absolute paths) instead of app-config.yaml.
 */
export async function startApp({ log = true, timeoutMs = 300_000, env = {}, packages = [], configs = [] } = {}) {
  for (const port of [3000, 7007]) {
    if (await portInUse(port)) throw new Error(`port ${port} is already in use: stop what runs there (the example app needs 3000 and 7007)`);
  }
  const args = [yarnBin(), 'start', ...packages, ...configs.flatMap(c => ['--config', c])];
  const child = spawn(process.execPath, args, {
    cwd: APP_DIR,
    detached: true, // own process group: stop() ends backstage-cli, the backend and the dev server together
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BROWSER: 'none', FORCE_COLOR: '0', ...env },
  });
  let output = '';
  const onData = d => {
    output += d;
    if (output.length > 200_000) output = output.slice(-100_000);
    if (log) process.stderr.write(d);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exited = null;
  child.once('exit', code => { exited = code; });
  const stop = async () => {
    if (exited !== null) return;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { return; }
    const t = Date.now();
    while (exited === null && Date.now() - t < 10_000) await new Promise(r => setTimeout(r, 200));
    if (exited === null) try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
  };
  const deadline = Date.now() + timeoutMs;
  let crashTimer;
  try {
    await Promise.race([
      (async () => {
        await waitFor(`${BACKEND}/.backstage/health/v1/readiness`, deadline);
        await waitFor(FRONTEND, deadline);
      })(),
      new Promise((_, reject) => child.once('exit', code => reject(new Error(`yarn start exited (${code}):\n${output.slice(-4000)}`)))),
      // A crashed backend does not end `yarn start` (the dev server lives on): Node's crash report ends with
      // "Node.js v<version>"; fail at once instead of waiting for the readiness timeout.
      new Promise((_, reject) => {
        crashTimer = setInterval(() => {
          if (/^Node\.js v\d+/m.test(output)) {
            clearInterval(crashTimer);
            reject(new Error(`a process of yarn start crashed:\n${output.slice(-4000)}`));
          }
        }, 500);
        crashTimer.unref();
      }),
    ]);
  } catch (e) {
    clearInterval(crashTimer);
    await stop();
    if (!/yarn start exited|crashed/.test(String(e.message))) e.message += `\n--- last output of yarn start:\n${output.slice(-4000)}`;
    throw e;
  }
  clearInterval(crashTimer);
  return { child, stop, output: () => output };
}

/**
 * A caller of the example backend's API with `Bearer <token()>` (the token is read on each call, so a
 * script can sign in after creating the caller). Answers `{ status, body }`, body parsed when JSON.
 */
export function apiClient(token) {
  return async function api(path, init = {}) {
    const r = await fetch(`${BACKEND}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
    const text = await r.text();
    let body;
    try { body = JSON.parse(text); } catch { body = text; }
    return { status: r.status, body };
  };
}

/** Calls `fn` every second until it answers `{ done: true, value }`; throws with the last value after `timeoutMs`. */
export async function poll(fn, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last.done) return last.value;
    await new Promise(r => setTimeout(r, 1000));
  }
  throw new Error(`${what}: not reached in ${timeoutMs} ms (last: ${JSON.stringify(last?.value)?.slice(0, 500)})`);
}

/** A guest user's Backstage token (the guest provider of the example app). */
export async function guestToken() {
  const r = await fetch(`${BACKEND}/api/auth/guest/refresh?env=development`, {
    headers: { 'x-requested-with': 'XMLHttpRequest' },
  });
  if (!r.ok) throw new Error(`guest refresh: HTTP ${r.status} ${await r.text()}`);
  const body = await r.json();
  return body.backstageIdentity.token;
}

/**
 * The text of examples/backstage-app/app-config.yaml with test-only changes, for `startApp({ configs })`:
 * `lookup` replaces the whole `assetId.lookup` block (YAML lines, indented as under `assetId:`);
 * `locations` ({ target: absolute path, allow: [kinds] }) are added to `catalog.locations`.
 * Throws when a block to change is not where it is expected, so a reshaped app-config fails loudly.
 */
export function appConfigText({ lookup, locations = [] } = {}) {
  let text = readFileSync(join(APP_DIR, 'app-config.yaml'), 'utf8');
  if (lookup) {
    const block = /^ {2}lookup:\n(?: {4}.*\n|[ \t]*\n)+/m;
    if (!block.test(text)) throw new Error('app-config.yaml: no assetId.lookup block');
    text = text.replace(block, `  lookup:\n${lookup.map(l => `    ${l}\n`).join('')}`);
  }
  if (locations.length) {
    const anchor = /^catalog:\n(?:(?: {2}.*|[ \t]*)\n)*? {2}locations:\n/m;
    const m = anchor.exec(text);
    if (!m) throw new Error('app-config.yaml: no catalog.locations');
    const added = locations.map(l =>
      `    - type: file\n      target: ${JSON.stringify(l.target)}\n      rules:\n        - allow: [${l.allow.join(', ')}]\n`).join('');
    text = text.slice(0, m.index + m[0].length) + added + text.slice(m.index + m[0].length);
  }
  return text;
}

/**
 * In a Playwright page: open the example template, signing in as guest when the sign-in page shows, and wait
 * until the Asset ID field has loaded its policy. `input()` locates the field's text box.
 */
export async function openTemplateForm(page, input, { timeoutMs = 120_000 } = {}) {
  await page.goto(`${FRONTEND}/create/templates/default/asset-id-system`);
  const enter = page.getByRole('button', { name: 'Enter' });
  await Promise.race([enter.waitFor({ timeout: timeoutMs }), input().waitFor({ timeout: timeoutMs })]);
  if (await enter.isVisible()) await enter.click();
  await input().waitFor({ timeout: 60_000 });
  await page.waitForSelector('[data-testid=validate-asset][data-ready=true]', { timeout: 30_000 });
}

/** Press the step's Next button and give the scaffolder's validators a moment. */
export async function clickNext(page) {
  await page.getByRole('button', { name: 'Next' }).click();
  await page.waitForTimeout(1000);
}

// `npm run bench`: how fast the field answers in headless Chromium.
//   - page load -> field ready (WASM instantiated, policy resolved)
//   - page load -> first format verdict, and -> first lookup verdict (record shown), for an ID typed
//     as soon as the input appears (cold browser profile each run)
//   - keystroke -> feedback: from the keydown event to the helper text showing the new verdict
//     (in the DOM, and at the next animation frame)
// Against the production build (e2e/app-build, rebuilt with backstage-cli unless --no-build) and,
// with --dev, also against the dev server of `npm run demo`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PKG_DIR, serveStatic, startDemo, startBackendStandIn } from '../scripts/demo-lib.mjs';
import { field, launchBrowser } from './browser.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const KEYSTROKES_IDS = ['APM0001234', 'apm-000 1234', 'BSN0001001', 'AST0001239', 'APM12X'];
const dev = process.argv.includes('--dev');

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const ms = x => `${x.toFixed(1)} ms`;

// Records every data-state change of the field with its time since navigation start, and the
// latency from each keydown in the field to the DOM update that follows it (and to the next frame).
const RECORDER = () => {
  const w = window;
  w.__assetId = { states: [], keys: [] };
  let pendingKey = null;
  document.addEventListener(
    'keydown',
    e => {
      if (e.target instanceof HTMLInputElement && e.target.closest('[data-testid=validate-asset]')) {
        pendingKey = e.timeStamp;
      }
    },
    true,
  );
  const observer = new MutationObserver(() => {
    const root = document.querySelector('[data-testid=validate-asset]');
    if (!root) return;
    const state = root.getAttribute('data-state');
    const ready = root.getAttribute('data-ready');
    const input = root.querySelector('input');
    const helperId = input?.getAttribute('aria-describedby');
    const helper = (helperId && document.getElementById(helperId)?.textContent) || '';
    const last = w.__assetId.states[w.__assetId.states.length - 1];
    const now = performance.now();
    if (!last || last.state !== state || last.ready !== ready || last.helper !== helper) {
      w.__assetId.states.push({ state, ready, helper, t: now });
      if (pendingKey !== null) {
        const key = pendingKey;
        pendingKey = null;
        requestAnimationFrame(() => w.__assetId.keys.push({ dom: now - key, frame: performance.now() - key }));
      }
    }
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
};

async function coldLoad(url) {
  const browser = await launchBrowser();
  try {
    const { page } = browser;
    await page.addInitScript(RECORDER);
    await page.goto(url, { waitUntil: 'commit' });
    const { input } = field(page);
    await input.waitFor({ timeout: 120_000 });
    await input.fill('APM0001234');
    await page.waitForFunction(() => window.__assetId.states.some(s => s.state === 'valid' && /Payments Gateway/.test(s.helper)), null, { timeout: 30_000 });
    const states = await page.evaluate(() => window.__assetId.states);
    const fieldShown = states[0]?.t;
    const ready = states.find(s => s.ready === 'true')?.t;
    const format = states.find(s => ['checking', 'invalid', 'valid'].includes(s.state))?.t;
    const lookup = states.find(s => s.state === 'valid' && /Payments Gateway/.test(s.helper))?.t;
    return { fieldShown, ready, format, lookup };
  } finally {
    await browser.close();
  }
}

async function keystrokes(url) {
  const browser = await launchBrowser();
  try {
    const { page } = browser;
    await page.addInitScript(RECORDER);
    await page.goto(url);
    const { input } = field(page);
    await input.waitFor({ timeout: 120_000 });
    await page.waitForSelector('[data-testid=validate-asset][data-ready=true]');
    for (const id of KEYSTROKES_IDS) {
      await input.fill('');
      await page.waitForTimeout(100);
      for (const ch of id) {
        await page.keyboard.type(ch);
        await page.waitForTimeout(40);
      }
      await page.waitForTimeout(500); // let the lookup settle between IDs
    }
    return await page.evaluate(() => window.__assetId.keys);
  } finally {
    await browser.close();
  }
}

async function bench(label, url) {
  const loads = [];
  for (let i = 0; i < RUNS; i += 1) loads.push(await coldLoad(url));
  const keys = await keystrokes(url);
  const dom = keys.map(k => k.dom);
  const frame = keys.map(k => k.frame);
  console.log(`\n${label} (${url}), ${RUNS} cold loads, fresh profile each:`);
  console.log(`  page load -> field rendered           median ${ms(median(loads.map(l => l.fieldShown)))}`);
  console.log(`  page load -> validator ready (WASM)   median ${ms(median(loads.map(l => l.ready)))}`);
  console.log(`  page load -> first format verdict     median ${ms(median(loads.map(l => l.format)))}  (ID typed as soon as the field shows)`);
  console.log(`  page load -> first lookup verdict     median ${ms(median(loads.map(l => l.lookup)))}  (includes the 300 ms debounce)`);
  console.log(`  keystroke -> feedback in the DOM      median ${ms(median(dom))}, p95 ${ms(pct(dom, 95))}, max ${ms(Math.max(...dom))}  (n=${dom.length})`);
  console.log(`  keystroke -> next frame               median ${ms(median(frame))}, p95 ${ms(pct(frame, 95))}, max ${ms(Math.max(...frame))}`);
  return { loads, keys };
}

const distDir = join(PKG_DIR, 'e2e/app-build/dist');
if (!process.argv.includes('--no-build') || !existsSync(join(distDir, 'index.html'))) {
  // always bench the current asset-id package: rebuild the app (and check it) first
  console.log('building e2e/app-build with backstage-cli (npm run test:build) ...');
  const r = spawnSync(process.execPath, [join(PKG_DIR, 'scripts/check-build.mjs')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
{
  const { readdirSync, readFileSync } = await import('node:fs');
  const { gzipSync } = await import('node:zlib');
  const wasm = readdirSync(distDir).find(f => f.endsWith('.wasm'));
  const bytes = wasm ? readFileSync(join(distDir, wasm)) : Buffer.alloc(0);
  console.log(`asset-id .wasm in the app build: ${bytes.length} bytes, ${gzipSync(bytes, { level: 9 }).length} gzip`);
}
console.log(`Chromium headless, ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'}; machine: ${(await import('node:os')).cpus().length} cores`);
const backend = await startBackendStandIn();
const server = await serveStatic(distDir, 3100);
try {
  await bench('production build (backstage-cli package build, rspack)', `${server.url}/asset-id`);
} finally {
  await server.close();
  await backend.close();
}
if (dev) {
  const demo = await startDemo({ log: false, freePorts: true });
  try {
    await bench('dev server (npm run demo)', demo.url);
  } finally {
    await demo.stop();
  }
}

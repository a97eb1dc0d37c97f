// The behaviour suite in headless Chromium against the package's browser entry (js/web.js),
// loaded by a plain <script type="module"> page: no bundler, `await ready()` fetching the .wasm.
// The verdicts are made in the page and checked here with the same rules as every other runner.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { format, materialize, policyOf, expectVerdict } from './suite.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const served = ['js', 'pkg/web', 'pkg/format'].map((d) => resolve(root, d) + sep);
const types = { '.js': 'text/javascript', '.wasm': 'application/wasm' };
const page = `<!doctype html><title>asset-id</title>
<script type="module">
  import * as pkg from '/js/web.js';
  import * as format from '/js/format.js';
  await pkg.ready();
  await format.ready();
  window.builds = { full: pkg, format };
  window.pkg = pkg;
</script>`;

let server;
let browser;
let tab;

before(async () => {
  server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page);
      return;
    }
    const file = resolve(root, `.${path}`);
    if (!served.some((d) => file.startsWith(d))) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  tab = await browser.newPage();
  const errors = [];
  tab.on('pageerror', (e) => errors.push(e));
  await tab.goto(`http://127.0.0.1:${server.address().port}/`);
  await tab.waitForFunction(() => window.pkg !== undefined, null, { timeout: 15000 }).catch((e) => {
    throw errors[0] ?? e;
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

for (const build of ['full', 'format']) test(`format cases in Chromium, ${build} build: checkFormat, and checkFormatMany per policy`, async () => {
  const cases = format.cases.filter((c) => !c.lookup);
  const jobs = cases.map((c) => ({ policy: policyOf(c.policy), input: materialize(c.input), options: c.options ?? null }));
  const { one, many } = await tab.evaluate(({ jobs, build }) => {
    const { AssetIdValidator } = window.builds[build];
    const one = jobs.map((j) => new AssetIdValidator(j.policy).checkFormat(j.input, j.options ?? undefined));
    // checkFormatMany over every case of one policy (cases without options), in case order.
    const byPolicy = new Map();
    jobs.forEach((j, i) => {
      if (j.options) return;
      const key = JSON.stringify(j.policy);
      if (!byPolicy.has(key)) byPolicy.set(key, []);
      byPolicy.get(key).push(i);
    });
    const many = new Array(jobs.length).fill(null);
    for (const [key, indexes] of byPolicy) {
      const verdicts = new AssetIdValidator(JSON.parse(key)).checkFormatMany(indexes.map((i) => jobs[i].input));
      indexes.forEach((i, k) => { many[i] = verdicts[k]; });
    }
    return { one, many };
  }, { jobs, build });
  assert.equal(one.length, cases.length);
  cases.forEach((c, i) => {
    expectVerdict(c, one[i]);
    if (!c.options) expectVerdict(c, many[i]);
  });
});

test('lookup cases with the inline registry in Chromium (validate)', async () => {
  const cases = format.cases.filter((c) => c.lookup);
  assert.ok(cases.length > 0);
  const verdicts = await tab.evaluate(
    (jobs) => Promise.all(jobs.map((j) => new window.pkg.AssetIdValidator(j.policy).validate(j.input))),
    cases.map((c) => ({ policy: policyOf(c.policy), input: materialize(c.input) })),
  );
  cases.forEach((c, i) => expectVerdict(c, verdicts[i]));
});

test('refused policies throw code invalid_policy with the path in Chromium', async () => {
  const errors = await tab.evaluate((policies) => policies.map((p) => {
    try {
      new window.pkg.AssetIdValidator(p);
      return null;
    } catch (e) {
      return { isError: e instanceof Error, code: e.code, path: e.path, message: e.message };
    }
  }), format.policyErrors.map((c) => c.policy));
  format.policyErrors.forEach((c, i) => {
    const e = errors[i];
    assert.ok(e, `${c.name}: not refused`);
    assert.deepEqual([e.isError, e.code, e.path], [true, 'invalid_policy', c.path], c.name);
    assert.ok(e.message.includes(c.message), `${c.name}: ${e.message}`);
  });
});

test('the format build in Chromium has no lookup methods, and its .wasm is the one fetched', async () => {
  const missing = await tab.evaluate(() => {
    const v = new window.builds.format.AssetIdValidator({ schemes: [{ name: 'a', pattern: 'A\\d' }] });
    return ['validate', 'validateMany', 'validateEntities', 'search'].filter((m) => typeof v[m] === 'undefined');
  });
  assert.deepEqual(missing, ['validate', 'validateMany', 'validateEntities', 'search']);
  const fetched = await tab.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.wasm')).sort());
  assert.deepEqual(fetched, ['/pkg/format/asset_id_bg.wasm', '/pkg/web/asset_id_bg.wasm']);
});

// `make bench` (after wasm-bench.mjs), or `node bench/lookup-bench.mjs` once the package is built:
// the lookup limits of the npm package (figures in README "Limits").
//   - validateMany on 10k and 40k distinct IDs (linear: the 40k run takes about 4x the 10k run)
//   - 10,000 concurrent validate() calls against a slow local CMDB (50 ms per answer)
//   - peak RSS of a Node process facing a 2 GiB Content-Length and an endless body
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { AssetIdValidator } from 'asset-id';
import { startFakeCmdb } from '../tests/support/fake-cmdb.mjs';

const schemes = [{ name: 'business-app', pattern: 'APM\\d{7}' }];
const ids = (n, from = 1) => Array.from({ length: n }, (_, i) => `APM${String(from + i).padStart(7, '0')}`);
const MB = (kb) => `${(kb / 1024).toFixed(0)} MB`;

// ---- child: one validator facing hostile bodies; prints its peak RSS ---------------------------
if (process.argv[2] === '--child') {
  const [, , , url, scenario, rounds] = process.argv;
  const v = new AssetIdValidator({
    schemes,
    lookup: { source: 'servicenow', servicenow: { baseUrl: `${url}/scenario/${scenario}` }, timeoutMs: 30000, cacheTtlSeconds: 0 },
  });
  const messages = new Set();
  for (let i = 0; i < Number(rounds); i += 1) {
    const verdicts = await v.validateMany(ids(4, 1 + i * 4)); // 4 IDs, one request per round
    for (const x of verdicts) messages.add(x.issues[0]?.message.replace(/APM\d+/, 'APM…'));
  }
  process.stdout.write(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, messages: [...messages] }));
  process.exit(0);
}

const row = (what, figure, budget = '') => console.log(`${what.padEnd(66)} ${String(figure).padEnd(26)} ${budget}`);
const cmdb = await startFakeCmdb({ port: 0 });

// ---- validateMany: 10k and 40k distinct IDs -----------------------------------------------------
async function many(n, lookup) {
  const v = new AssetIdValidator({ schemes, lookup });
  const values = ids(n);
  const t0 = performance.now();
  const verdicts = await v.validateMany(values);
  const ms = performance.now() - t0;
  if (verdicts.length !== n) throw new Error('missing verdicts');
  v.free();
  return ms;
}
const registry = { source: 'registry', registry: { records: ids(1000).map((id) => ({ id, name: id })) } };
const table = { source: 'servicenow', servicenow: { baseUrl: cmdb.url, batchSize: 50 }, timeoutMs: 30000 };
for (const [what, lookup] of [['inline registry', registry], ['ServiceNow, local fake CMDB, batch 50', table]]) {
  await many(2000, lookup); // warm up
  const small = await many(10000, lookup);
  const large = await many(40000, lookup);
  row(`validateMany, ${what}: 10k / 40k distinct IDs`, `${small.toFixed(0)} / ${large.toFixed(0)} ms (${(large / small).toFixed(1)}x)`, 'linear (4x)');
}

// ---- 10,000 concurrent validate() against a slow CMDB --------------------------------------------
{
  cmdb.reset();
  const slow = (u, init) => fetch(u, { ...init, headers: { ...init.headers, 'x-fake-delay': '50' } });
  const base = { ...table, servicenow: { baseUrl: `${cmdb.url}/scenario/slow`, batchSize: 50 }, timeoutMs: 5000 };
  const w = new AssetIdValidator({ schemes, lookup: base });
  const t0 = performance.now();
  const verdicts = await Promise.all(ids(10000).map((id) => w.validate(id, { fetch: slow })));
  const ms = performance.now() - t0;
  const unavailable = verdicts.filter((x) => x.issues.some((i) => i.code === 'lookup_unavailable')).length;
  const { requests, peak } = cmdb.stats();
  row('10,000 concurrent validate(), CMDB answering in 50 ms, batch 50', `${ms.toFixed(0)} ms, ${unavailable} unavailable`, '0 unavailable');
  row('  requests sent / most in flight at once (maxConcurrency 8)', `${requests} / ${peak}`, '200 / <= 8');
}

// ---- peak RSS facing hostile bodies --------------------------------------------------------------
const self = fileURLToPath(import.meta.url);
for (const [scenario, rounds] of [['ok', 10], ['huge', 10], ['endless', 10]]) {
  // Another process, so that its RSS is its own (and this one keeps serving the fake CMDB).
  const r = await promisify(execFile)(process.execPath, [self, '--child', cmdb.url, scenario, String(rounds)], { timeout: 300000 });
  const { maxRssKb, messages } = JSON.parse(r.stdout);
  const what = { ok: 'normal answers (reference)', huge: '2 GiB Content-Length', endless: 'endless chunked body' }[scenario];
  row(`peak RSS of a Node process, ${rounds} lookups, ${what}`, MB(maxRssKb), scenario === 'ok' ? '' : '< 300 MB');
  if (scenario !== 'ok') row('  verdict', messages.join(' | ').slice(0, 90));
}
await cmdb.close();

/*
 * The catalog at scale (issue 22): a real catalog backend (in-process, @backstage/backend-test-utils'
 * startTestBackend with @backstage/plugin-catalog-backend on in-memory SQLite, reading N generated Systems from a
 * file location), with and without the asset-id catalog module, and a ServiceNow stand-in answering in 50 ms.
 *
 *   make bench-catalog                       (N = 2000 and 10000; about 30 minutes)
 *   BENCH_N=500 make bench-catalog           (a quick run)
 *
 * For each N it reports:
 *   ingestion     seconds from the backend being ready until all N Systems are in the catalog, without asset-id
 *                 and with it (and, with it, until every System has its final status); BENCH_ROUNDS (3) runs of
 *                 each, alternating, the fastest counts
 *   first pass    CMDB requests until every System has its final status, the most of any round, split into
 *                 requests carrying an ID asked for the first time (the budget) and renewals (every ID asked
 *                 before: the refresh task renewing verdicts about to expire, when the pass outlasts the TTL;
 *                 that load belongs to the steady-state budget)
 *   steady state  CMDB requests per TTL period after that (budget ceil(N / batchSize)): the requests of two TTL
 *                 periods watched, halved (one period alone may miss a run of the task or catch one, depending
 *                 on where it starts), and the most in any TTL-long span of them (after the first pass the task
 *                 renews first the few verdicts that expire within a tenth of its frequency, then, one frequency
 *                 later, all: that span holds both runs); processing passes every
 *                 catalog.processingInterval (Backstage's default, or BENCH_PROCESSING_INTERVAL_S), the
 *                 refresh-ahead task once per TTL (BENCH_TTL_S, default 300)
 * and the verdict cache's memory per entry (heap, measured by filling a cache), hence the bound for
 * assetId.cache.memoryEntries.
 *
 * Run with the Backstage node transform (TypeScript) and --expose-gc; see the Makefile target.
 */
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import type { JsonObject } from '@backstage/types';
import type { Verdict } from 'asset-id';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { samplePolicy } from '../src/__testUtils__/policy';
import { generatedSystemsYaml, startScaleCmdb } from '../src/__testUtils__/scaleCmdb';
import { catalogModuleAssetId } from '../src/modules';
import { VerdictCache } from '../src/service/verdictCache';

const NS = (process.env.BENCH_N ?? '2000,10000').split(',').map(Number);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);
const TTL_S = Number(process.env.BENCH_TTL_S ?? 300);
// Unset: Backstage's default processing interval (a random 100 to 150 s per entity), as in a real app.
const PROCESSING_INTERVAL_S = process.env.BENCH_PROCESSING_INTERVAL_S ? Number(process.env.BENCH_PROCESSING_INTERVAL_S) : undefined;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCH = 50;
const STATUS = 'example.com/asset-id-status';

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const log = (msg: string) => process.stderr.write(`bench-catalog: ${msg}\n`);

async function startCatalog(file: string, assetId: JsonObject | null) {
  const backend = await startTestBackend({
    features: [
      catalogPlugin,
      ...(assetId ? [catalogModuleAssetId] : []),
      schedulerServiceFactory,
      // The backend's warnings and errors only (stderr): the figures are stdout.
      mockServices.rootLogger.factory({ level: 'warn' }),
      mockServices.rootConfig.factory({
        data: {
          backend: { baseUrl: 'http://localhost:7007' },
          catalog: {
            ...(PROCESSING_INTERVAL_S === undefined ? {} : { processingInterval: { seconds: PROCESSING_INTERVAL_S } }),
            rules: [{ allow: ['System', 'Location'] }],
            locations: [{ type: 'file', target: file }],
          },
          ...(assetId ? { assetId } : {}),
        },
      }),
    ],
  });
  const base = `http://localhost:${backend.server.port()}/api/catalog`;
  const headers = { Authorization: mockCredentials.user.header() };
  /** How many Systems, and how many with a final asset-id status (not pending). */
  const count = async (): Promise<{ systems: number; final: number }> => {
    const total = async (filter: string) => {
      const res = await fetch(`${base}/entities/by-query?filter=${encodeURIComponent(filter)}&limit=1`, { headers });
      if (!res.ok) throw new Error(`catalog answered ${res.status}`);
      return ((await res.json()) as { totalItems: number }).totalItems;
    };
    const systems = await total('kind=system');
    const pending = assetId ? await total(`kind=system,metadata.annotations.${STATUS}=pending`) : 0;
    const withStatus = assetId ? await total(`kind=system,metadata.annotations.${STATUS}`) : systems;
    return { systems, final: withStatus - pending };
  };
  return { backend, count };
}

/** Seconds from now until `done` holds (polled every 250 ms). */
async function timeUntil(done: () => Promise<boolean>, limitS: number): Promise<number> {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > limitS * 1000) throw new Error(`not done within ${limitS} s`);
    await sleep(250);
  }
  return (Date.now() - start) / 1000;
}

interface Row {
  n: number;
  budgetFirst: number;
  baselineS: number;
  ingestS: number;
  finalS: number;
  firstRequests: number;
  firstRenewals: number;
  firstIds: number;
  ratios: number[];
  steadyRequests: number;
  steadySpanMax: number;
  steadyWindowS: number;
}

async function measure(n: number, dir: string): Promise<Row> {
  const file = path.join(dir, `systems-${n}.yaml`);
  writeFileSync(file, generatedSystemsYaml(n));
  const limit = 60 + n / 5;
  // Ingestion times alternate (without, with, without, with, ...) and the fastest of each counts: the machine's
  // other load falls on both alike. The last run with asset-id goes on for the steady-state window.
  const baselines: number[] = [];
  const ingests: number[] = [];
  const finals: number[] = [];
  let firstRequests = 0;
  let firstRenewals = 0;
  let firstIds = 0;
  let steadyRequests = 0;
  let steadySpanMax = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    log(`N=${n}, round ${round}/${ROUNDS}: the catalog without asset-id`);
    const base = await startCatalog(file, null);
    baselines.push(await timeUntil(async () => (await base.count()).systems === n, limit));
    await base.backend.stop();

    log(`N=${n}, round ${round}/${ROUNDS}: the catalog with asset-id (without: ${baselines.at(-1)!.toFixed(1)} s)`);
    const cmdb = await startScaleCmdb({ latencyMs: LATENCY_MS });
    const policy = samplePolicy(cmdb.url, { timeoutMs: 10_000, cacheTtlSeconds: TTL_S, notFoundTtlSeconds: TTL_S });
    const withAssetId = await startCatalog(file, policy);
    const ingestS = await timeUntil(async () => (await withAssetId.count()).systems === n, limit);
    const finalS =
      ingestS + (await timeUntil(async () => (await withAssetId.count()).final === n, limit + 3 * (PROCESSING_INTERVAL_S ?? 150)));
    ingests.push(ingestS);
    finals.push(finalS);
    firstRequests = Math.max(firstRequests, cmdb.stats.requests - cmdb.stats.renewals);
    firstRenewals = Math.max(firstRenewals, cmdb.stats.renewals);
    firstIds = Math.max(firstIds, cmdb.stats.ids);
    log(
      `N=${n}: ingested in ${ingestS.toFixed(1)} s (${(ingestS / baselines.at(-1)!).toFixed(2)}x), every status final in ` +
        `${finalS.toFixed(1)} s, ${cmdb.stats.requests} requests (${cmdb.stats.renewals} renewals)`,
    );
    if (round === ROUNDS) {
      log(`N=${n}: two TTL periods of steady state (${2 * TTL_S} s)`);
      cmdb.reset();
      // Two TTL periods: runs of the refresh task (every `frequency`, here the TTL) and the processing passes; the
      // busiest TTL-long span of them counts (requests bucketed by second).
      const windowEnd = Date.now() + 2 * TTL_S * 1000;
      while (Date.now() < windowEnd) await sleep(1000);
      const perSecond = new Map(cmdb.timeline());
      for (let start = 0; start + TTL_S <= 2 * TTL_S; start++) {
        let sum = 0;
        for (let t = start; t < start + TTL_S; t++) sum += perSecond.get(t) ?? 0;
        steadySpanMax = Math.max(steadySpanMax, sum);
      }
      steadyRequests = cmdb.stats.requests / 2;
      log(`N=${n}: ${cmdb.stats.requests} requests in two TTL periods, at most ${steadySpanMax} in one TTL-long span`);
    }
    await withAssetId.backend.stop();
    await cmdb.close();
  }
  return {
    n,
    budgetFirst: 1.2 * Math.ceil(n / BATCH),
    baselineS: Math.min(...baselines),
    ingestS: Math.min(...ingests),
    finalS: Math.min(...finals),
    firstRequests,
    firstRenewals,
    firstIds,
    ratios: ingests.map((s, i) => s / baselines[i]),
    steadyRequests,
    steadySpanMax,
    steadyWindowS: TTL_S,
  };
}

/** Heap bytes per verdict-cache entry (a found verdict with a record of two fields), measured by filling one. */
async function bytesPerEntry(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const entries = 10_000;
  const verdict = (value: string): Verdict => ({
    input: value,
    valid: true,
    value,
    scheme: 'business-app',
    issues: [],
    record: { id: value, name: `System ${value}`, status: 'operational', fields: { name: `System ${value}`, owned_by: 'team' } },
  });
  const noop = () => {};
  const logger = { info: noop, warn: noop, error: noop, debug: noop, child: () => logger } as never;
  gc();
  const before = process.memoryUsage().heapUsed;
  const cache = new VerdictCache({
    lookup: async (_scheme, values) => values.map(verdict),
    namespace: 'bench',
    foundTtlMs: 300_000,
    notFoundTtlMs: 60_000,
    staleIfErrorMs: 86_400_000,
    memoryEntries: entries,
    batchWindowMs: 0,
    logger,
  });
  const values = Array.from({ length: entries }, (_, i) => `APM${String(100_000 + i).padStart(7, '0')}`);
  await cache.refresh(values.map(v => ['business-app', v] as const), 0);
  gc();
  const after = process.memoryUsage().heapUsed;
  if (cache.memorySize !== entries) throw new Error(`expected ${entries} entries, got ${cache.memorySize}`);
  return (after - before) / entries;
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'asset-id-bench-catalog-'));
  const rows: Row[] = [];
  try {
    for (const n of NS) rows.push(await measure(n, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const perEntry = await bytesPerEntry();
  const date = new Date().toISOString().slice(0, 10);
  const lines = [
    `catalog at scale, ${date}, Node ${process.version}, CMDB latency ${LATENCY_MS} ms, batchSize ${BATCH}, ` +
      `cacheTtlSeconds ${TTL_S}, catalog.processingInterval ${PROCESSING_INTERVAL_S === undefined ? "Backstage's default (100 to 150 s)" : `${PROCESSING_INTERVAL_S} s`}, ` +
      `${ROUNDS} rounds (the fastest ingestion of each), ${os.cpus().length} CPUs`,
    '',
    '| N | CMDB requests, first pass: first lookups (budget) + renewals | IDs sent | requests per TTL period, steady state: two periods / 2 (budget); busiest span | ingestion without / with asset-id, fastest of each (ratio; per round) | every status final |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      r =>
        `| ${r.n.toLocaleString('en-US')} | ${r.firstRequests} (<= ${Math.floor(r.budgetFirst)}) + ${r.firstRenewals} | ` +
        `${r.firstIds.toLocaleString('en-US')} | ${r.steadyRequests} (<= ${Math.ceil(r.n / BATCH)}); ${r.steadySpanMax} | ` +
        `${r.baselineS.toFixed(1)} s / ${r.ingestS.toFixed(1)} s (${(r.ingestS / r.baselineS).toFixed(2)}x; ` +
        `${r.ratios.map(x => `${x.toFixed(2)}x`).join(', ')}) | ${r.finalS.toFixed(1)} s |`,
    ),
    '',
    `verdict cache: ${Math.round(perEntry)} bytes of heap per entry (a found verdict, 2 record fields); ` +
      `bound with the default memoryEntries 10000: 2 x 10000 x ${Math.round(perEntry)} B = ` +
      `${((2 * 10_000 * perEntry) / 1024 / 1024).toFixed(1)} MiB`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const over = rows.filter(
    r => r.firstRequests > r.budgetFirst || r.steadyRequests > Math.ceil(r.n / BATCH) || r.ingestS > 1.1 * r.baselineS,
  );
  if (over.length > 0) {
    process.stdout.write(`over budget: N = ${over.map(r => r.n).join(', ')}\n`);
    process.exitCode = 1;
  }
}

main().then(
  // The stopped backends leave timers behind (the scheduler's, the catalog's); the figures are out.
  () => process.exit(process.exitCode ?? 0),
  error => {
    process.stderr.write(`bench-catalog: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);

/*
 * The catalog at scale (issue 22), in the real catalog backend (in-memory SQLite) with a ServiceNow stand-in that
 * answers in 50 ms: CMDB requests are counted, which is deterministic where timing is not. The timed figures
 * (N = 2,000 and 10,000, ingestion time, memory) are the benchmark's: bench/catalog-scale.ts.
 *
 * - First pass: N annotated Systems cost at most 1.2 x ceil(N / batchSize) requests until every one has its
 *   final status (the catalog processes about ten entities at a time; the processor queues misses into full
 *   batches instead of waiting for a few IDs each).
 * - Steady state: with the refresh-ahead task (the real scheduler), processing passes every second within the TTL
 *   cost nothing; the task looks every ID up once per run, in full batches.
 */
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import type { Entity } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import type { JsonObject } from '@backstage/types';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { samplePolicy } from '../__testUtils__/policy';
import { generatedSystemsYaml, startScaleCmdb, type ScaleCmdb } from '../__testUtils__/scaleCmdb';
import { catalogModuleAssetId } from '../modules';

jest.setTimeout(120_000);

const STATUS = 'example.com/asset-id-status';
let dir: string;
let cmdb: ScaleCmdb;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'asset-id-scale-'));
  cmdb = await startScaleCmdb({ latencyMs: 50 });
});
afterAll(async () => {
  await cmdb.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => cmdb.reset());

async function startCatalog(n: number, assetId: JsonObject) {
  const file = path.join(dir, `systems-${n}.yaml`);
  writeFileSync(file, generatedSystemsYaml(n));
  const backend = await startTestBackend({
    features: [
      catalogPlugin,
      catalogModuleAssetId,
      schedulerServiceFactory,
      mockServices.rootConfig.factory({
        data: {
          backend: { baseUrl: 'http://localhost:7007' },
          catalog: {
            processingInterval: { seconds: 1 },
            rules: [{ allow: ['System', 'Location'] }],
            locations: [{ type: 'file', target: file }],
          },
          assetId,
        },
      }),
    ],
  });
  const base = `http://localhost:${backend.server.port()}/api/catalog`;
  /** Status annotation -> count, over every System in the catalog. */
  const statuses = async (): Promise<Record<string, number>> => {
    const res = await fetch(`${base}/entities?filter=kind=system&fields=metadata.annotations`, {
      headers: { Authorization: mockCredentials.user.header() },
    });
    if (!res.ok) throw new Error(`catalog answered ${res.status}`);
    const counts: Record<string, number> = {};
    for (const e of (await res.json()) as Entity[]) {
      const s = e.metadata.annotations?.[STATUS] ?? 'none';
      counts[s] = (counts[s] ?? 0) + 1;
    }
    return counts;
  };
  const until = async (check: () => Promise<boolean>, ms: number) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not reached within ${ms} ms: ${JSON.stringify(await statuses())}`);
      await new Promise(r => setTimeout(r, 250));
    }
  };
  return { backend, statuses, until };
}

describe('the catalog at scale', () => {
  it('first pass: 500 Systems cost at most 1.2 x ceil(500 / 50) = 12 CMDB requests until every one is valid', async () => {
    const n = 500;
    const { backend, statuses, until } = await startCatalog(n, samplePolicy(cmdb.url, { timeoutMs: 5000 }));
    try {
      await until(async () => (await statuses()).valid === n, 90_000);
      const budget = Math.floor(1.2 * Math.ceil(n / 50));
      expect(cmdb.stats.requests).toBeLessThanOrEqual(budget);
      expect(cmdb.stats.ids).toBeGreaterThanOrEqual(n);
    } finally {
      await backend.stop();
    }
  });

  it('steady state: processing passes within the TTL cost no request; the refresh task looks each ID up once per run', async () => {
    const n = 200;
    const ttl = 4;
    const { backend, statuses, until } = await startCatalog(
      n,
      // The refresh task's default schedule: every cacheTtlSeconds.
      samplePolicy(cmdb.url, { timeoutMs: 5000, cacheTtlSeconds: ttl, notFoundTtlSeconds: ttl }),
    );
    try {
      await until(async () => (await statuses()).valid === n, 90_000);
      cmdb.reset();
      // Three TTL periods of processing passes (catalog.processingInterval: 1 s).
      await new Promise(r => setTimeout(r, 3 * ttl * 1000));
      const perRun = Math.ceil(n / 50);
      // At most one run per TTL period (+1 for a run at the window's edge), each of ceil(n / batchSize) requests.
      expect(cmdb.stats.requests).toBeLessThanOrEqual(4 * perRun);
      expect(cmdb.stats.requests).toBeGreaterThanOrEqual(perRun); // the task did run
      expect(cmdb.stats.ids).toBe(cmdb.stats.requests / perRun * n);
      expect(await statuses()).toEqual({ valid: n });
    } finally {
      await backend.stop();
    }
  });
});

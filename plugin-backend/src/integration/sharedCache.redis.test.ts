/*
 * Two backend replicas sharing a real Redis (Debian's redis-server on a loopback port, started and stopped here)
 * through Backstage's cache service (`backend.cache.store: redis`, @keyv/redis), and one database (a SQLite
 * directory both replicas open, so the scheduler's lock for a global task is shared).
 *
 * - A verdict looked up through one replica is served by the other from Redis, with no CMDB request.
 * - The refresh-ahead task runs on one replica at a time: over a window, the runs of both replicas together are
 *   those of one schedule, and so are the CMDB requests.
 *
 * redis-server must be installed (scripts/bootstrap.sh installs it with apt): without it this test fails.
 */
import { createBackendPlugin } from '@backstage/backend-plugin-api';
import { databaseServiceFactory } from '@backstage/backend-defaults/database';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { JsonObject } from '@backstage/types';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { samplePolicy, systemEntity } from '../__testUtils__/policy';
import { startScaleCmdb, type ScaleCmdb } from '../__testUtils__/scaleCmdb';
import { catalogModuleAssetId } from '../modules';
import { assetIdPlugin } from '../plugin';

jest.setTimeout(60_000);

const REDIS_SERVER = '/usr/bin/redis-server';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** PING until redis answers +PONG. */
async function waitForRedis(port: number, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>(resolve => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('PING\r\n'));
      socket.once('data', d => {
        socket.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on 127.0.0.1:${port} within ${ms} ms`);
    await new Promise(r => setTimeout(r, 100));
  }
}

let redis: ChildProcess;
let redisPort: number;
let cmdb: ScaleCmdb;
let dir: string;

beforeAll(async () => {
  if (!existsSync(REDIS_SERVER)) {
    throw new Error(`${REDIS_SERVER} is missing: apt-get install redis-server (scripts/bootstrap.sh does it for make test)`);
  }
  redisPort = await freePort();
  redis = spawn(REDIS_SERVER, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  // Stopped by its PID when this process exits, not in afterAll: Backstage's redis store (@keyv/redis 4.6) puts
  // no 'error' listener on its client, and nothing closes that client when a backend stops, so a server going
  // away while the process runs is an unhandled 'error' event (it would fail this file, and crash a backend).
  const pid = redis.pid;
  process.once('exit', () => {
    if (pid !== undefined) process.kill(pid, 'SIGTERM');
  });
  // And if this process dies without running exit handlers, the watchdog stops it when our pipe closes.
  spawn('/bin/sh', ['-c', `read _; kill ${pid}`], { stdio: ['pipe', 'ignore', 'ignore'] }).unref();
  await waitForRedis(redisPort);
  cmdb = await startScaleCmdb({ latencyMs: 50 });
  dir = mkdtempSync(path.join(tmpdir(), 'asset-id-replicas-'));
});

afterAll(async () => {
  await cmdb?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => cmdb.reset());

/** A stand-in for the catalog plugin: the processing extension point only (the processor is not under test). */
const catalogStandIn = createBackendPlugin({
  pluginId: 'catalog',
  register(reg) {
    reg.registerExtensionPoint(catalogProcessingExtensionPoint, { addProcessor: () => {} } as never);
    reg.registerInit({ deps: {}, async init() {} });
  },
});

/** One replica: the asset-id plugin and catalog module, Redis as the cache store, the shared SQLite directory. */
async function replica(database: string, assetId: JsonObject, entities: Entity[]) {
  const catalog = catalogServiceMock.mock({
    streamEntities: async function* streamEntities() {
      yield entities;
    },
  });
  const backend = await startTestBackend({
    features: [
      assetIdPlugin,
      catalogStandIn,
      catalogModuleAssetId,
      catalog.factory,
      schedulerServiceFactory,
      databaseServiceFactory,
      mockServices.rootConfig.factory({
        data: {
          backend: {
            baseUrl: 'http://localhost:7007',
            database: { client: 'better-sqlite3', connection: { directory: database } },
            cache: { store: 'redis', connection: `redis://127.0.0.1:${redisPort}` },
          },
          assetId,
        },
      }),
    ],
  });
  const validate = async (values: string[]) => {
    const res = await fetch(`http://localhost:${backend.server.port()}/api/asset-id/v1/validate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: mockCredentials.user.header() },
      body: JSON.stringify({ values }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { results: Array<{ valid: boolean; record?: { name?: string } | null }> }).results;
  };
  return { backend, validate, runs: () => catalog.streamEntities.mock.calls.length };
}

describe('two replicas sharing Redis (backend.cache.store: redis)', () => {
  it('a verdict looked up through one replica is served by the other with no CMDB request', async () => {
    const database = mkdtempSync(path.join(dir, 'db-'));
    const assetId = { ...samplePolicy(cmdb.url, { timeoutMs: 5000 }), processor: { refresh: false } };
    const a = await replica(database, assetId, []);
    const b = await replica(database, assetId, []);
    try {
      const fromA = await a.validate(['APM0100001', 'apm-010 0002']);
      expect(fromA.map(v => [v.valid, v.record?.name])).toEqual([
        [true, 'System APM0100001'],
        [true, 'System APM0100002'],
      ]);
      expect(cmdb.stats.requests).toBe(1);
      const fromB = await b.validate(['APM0100001', 'APM0100002']);
      expect(fromB.map(v => [v.valid, v.record?.name])).toEqual(fromA.map(v => [v.valid, v.record?.name]));
      expect(cmdb.stats.requests).toBe(1);
      // A value B has never seen costs one request, and A then has it from Redis.
      await b.validate(['APM0100003']);
      await a.validate(['APM0100003']);
      expect(cmdb.stats.requests).toBe(2);
    } finally {
      await a.backend.stop();
      await b.backend.stop();
    }
  });

  it('the refresh-ahead task runs on one replica at a time (the scheduler lock in the shared database)', async () => {
    const database = mkdtempSync(path.join(dir, 'db-'));
    const n = 120;
    const entities = Array.from({ length: n }, (_, i) => systemEntity(`s${i}`, `APM${String(100_000 + i).padStart(7, '0')}`));
    // Every run finds every verdict due (TTL 2 s, runs every 2 s): a run costs ceil(120 / 50) = 3 requests.
    const assetId = {
      ...samplePolicy(cmdb.url, { timeoutMs: 5000, cacheTtlSeconds: 2, notFoundTtlSeconds: 2 }),
      processor: { refresh: { frequency: { seconds: 2 }, timeout: { seconds: 10 } } },
    };
    const a = await replica(database, assetId, entities);
    const b = await replica(database, assetId, entities);
    try {
      const windowMs = 9_000;
      await new Promise(r => setTimeout(r, windowMs));
      const runs = a.runs() + b.runs();
      // One schedule: a run every 2 s (the first at startup); two local schedules would make twice as many.
      expect(runs).toBeGreaterThanOrEqual(3);
      expect(runs).toBeLessThanOrEqual(Math.ceil(windowMs / 2000) + 1);
      expect(cmdb.stats.requests).toBeLessThanOrEqual(runs * Math.ceil(n / 50));
      expect(cmdb.stats.maxIdsPerRequest).toBe(50);
    } finally {
      await a.backend.stop();
      await b.backend.stop();
    }
  });
});

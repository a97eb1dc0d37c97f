/*
 * Two backend replicas sharing a real Redis (Debian's redis-server on a loopback port, started and stopped here)
 * through Backstage's cache service (`backend.cache.store: redis`, @keyv/redis), and one database (a SQLite
 * directory both replicas open, so the scheduler's lock for a global task is shared).
 *
 * - A verdict looked up through one replica is served by the other from Redis, with no CMDB request.
 * - The refresh-ahead task runs on one replica at a time: over a window, the runs of both replicas together are
 *   those of one schedule, and so are the CMDB requests.
 * - Redis killed mid-run: both replicas keep validating (their in-process layer, then the CMDB) and log a warning;
 *   Redis restarted on the same port: a verdict written after its return is shared again.
 * - Values written into Redis by something else than asset-id, under the exact keys asset-id uses (an entry of
 *   another ID, garbage, an entry checked in the future), are not served: the CMDB is asked.
 *
 * redis-server must be installed (scripts/bootstrap.sh installs it with apt): without it this test fails.
 */
import { coreServices, createBackendPlugin, createServiceFactory, type RootLoggerService } from '@backstage/backend-plugin-api';
import { databaseServiceFactory } from '@backstage/backend-defaults/database';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type { JsonObject } from '@backstage/types';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { samplePolicy, systemEntity } from '../__testUtils__/policy';
import { startScaleCmdb, type ScaleCmdb } from '../__testUtils__/scaleCmdb';
import { catalogModuleAssetId } from '../modules';
import { assetIdPlugin } from '../plugin';
import { readAssetIdSettings } from '../service/config';
import { normalizedKey } from '../service/redisStore';
import { fingerprint } from '../service/verdictCache';

jest.setTimeout(60_000);

const REDIS_SERVER = '/usr/bin/redis-server';
const REDIS_CLI = '/usr/bin/redis-cli';

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

let redis: ChildProcess | undefined;
let redisPort: number;
let cmdb: ScaleCmdb;
let dir: string;

/** Starts redis-server on `redisPort`; stopped by its PID (stopRedis, or when this process goes away). */
async function startRedis(): Promise<void> {
  const child = spawn(REDIS_SERVER, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  redis = child;
  const pid = child.pid;
  process.once('exit', () => {
    if (pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGTERM');
  });
  // If this process dies without running exit handlers, the watchdog stops it when our pipe closes.
  spawn('/bin/sh', ['-c', `read _; kill ${pid} 2>/dev/null`], { stdio: ['pipe', 'ignore', 'ignore'] }).unref();
  await waitForRedis(redisPort);
}

/** Stops redis-server by its PID (SIGKILL: a crash, nothing said to the clients) and waits for it to exit. */
async function stopRedis(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const child = redis;
  redis = undefined;
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise(resolve => child.once('exit', resolve));
  process.kill(child.pid, signal);
  await exited;
}

/** redis-cli against the test's server (a client that is not asset-id). */
function redisCli(...args: string[]): string {
  return execFileSync(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(redisPort), ...args], { encoding: 'utf8' }).trim();
}

beforeAll(async () => {
  for (const bin of [REDIS_SERVER, REDIS_CLI]) {
    if (!existsSync(bin)) {
      throw new Error(`${bin} is missing: apt-get install redis-server (scripts/bootstrap.sh does it for make test)`);
    }
  }
  redisPort = await freePort();
  await startRedis();
  cmdb = await startScaleCmdb({ latencyMs: 50 });
  dir = mkdtempSync(path.join(tmpdir(), 'asset-id-replicas-'));
});

afterAll(async () => {
  // asset-id closes its Redis connection when a backend stops, and a server going away is a warning, not an
  // unhandled 'error' event: Redis can be stopped while this process runs.
  await stopRedis('SIGTERM');
  await cmdb?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A root logger that keeps what asset-id logs (warnings, info), one per replica. */
function capturingLogger(lines: string[]): RootLoggerService {
  const logger: RootLoggerService = {
    error: message => void lines.push(`error ${message}`),
    warn: message => void lines.push(`warn ${message}`),
    info: message => void lines.push(`info ${message}`),
    debug: () => undefined,
    child: () => logger,
  };
  return logger;
}

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
async function replica(database: string, assetId: JsonObject, entities: Entity[], log: string[] = []) {
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
      createServiceFactory({ service: coreServices.rootLogger, deps: {}, factory: () => capturingLogger(log) }),
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
  return { backend, validate, log, runs: () => catalog.streamEntities.mock.calls.length };
}

const id = (n: number) => `APM${String(n).padStart(7, '0')}`;
const names = (verdicts: Array<{ valid: boolean; record?: { name?: string } | null }>) =>
  verdicts.map(v => [v.valid, v.record?.name]);

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

  it('Redis killed mid-run: both replicas keep validating with a warning, and share again once it is back', async () => {
    const database = mkdtempSync(path.join(dir, 'db-'));
    const assetId = { ...samplePolicy(cmdb.url, { timeoutMs: 5000 }), processor: { refresh: false } };
    const a = await replica(database, assetId, [], []);
    const b = await replica(database, assetId, [], []);
    try {
      expect(names(await a.validate([id(110_001)]))).toEqual([[true, `System ${id(110_001)}`]]);
      expect(names(await b.validate([id(110_001)]))).toEqual([[true, `System ${id(110_001)}`]]);
      expect(cmdb.stats.requests).toBe(1);

      await stopRedis('SIGKILL');
      // The in-process layer answers what each replica has seen; a new ID goes to the CMDB, at once (no command
      // waits for Redis to come back).
      const started = Date.now();
      expect(names(await a.validate([id(110_001), id(110_002)]))).toEqual([
        [true, `System ${id(110_001)}`],
        [true, `System ${id(110_002)}`],
      ]);
      expect(names(await b.validate([id(110_001), id(110_002)]))).toEqual([
        [true, `System ${id(110_001)}`],
        [true, `System ${id(110_002)}`],
      ]);
      expect(Date.now() - started).toBeLessThan(3_000);
      // Not shared while Redis is down: each replica asked the CMDB for the new ID.
      expect(cmdb.stats.requests).toBe(3);
      for (const r of [a, b]) {
        expect(r.log.filter(l => l.startsWith('warn') && /shared cache store/.test(l)).length).toBeGreaterThanOrEqual(1);
        expect(r.log.filter(l => l.startsWith('error'))).toEqual([]);
      }

      await startRedis();
      // Once both have reconnected (backoff at most 2 s), an ID A looks up is served to B from Redis.
      let shared = false;
      for (let n = 110_100; n < 110_130 && !shared; n++) {
        await a.validate([id(n)]);
        const before = cmdb.stats.requests;
        expect(names(await b.validate([id(n)]))).toEqual([[true, `System ${id(n)}`]]);
        shared = cmdb.stats.requests === before;
        if (!shared) await new Promise(r => setTimeout(r, 500));
      }
      expect(shared).toBe(true);
      expect(a.log.some(l => /^info .*shared cache store \(Redis\) answers again/.test(l))).toBe(true);
      expect(b.log.some(l => /^info .*shared cache store \(Redis\) answers again/.test(l))).toBe(true);
    } finally {
      await a.backend.stop();
      await b.backend.stop();
    }
  });

  it('a Redis that stops answering (SIGSTOP) holds no lookup longer than about 1 s per command', async () => {
    const database = mkdtempSync(path.join(dir, 'db-'));
    const assetId = { ...samplePolicy(cmdb.url, { timeoutMs: 5000 }), processor: { refresh: false } };
    const a = await replica(database, assetId, [], []);
    const pid = redis?.pid;
    try {
      await a.validate([id(130_001)]);
      process.kill(pid!, 'SIGSTOP');
      const started = Date.now();
      // A read that times out (1 s), the CMDB, a write that times out (1 s).
      expect(names(await a.validate([id(130_002)]))).toEqual([[true, `System ${id(130_002)}`]]);
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(a.log.some(l => /^warn .*shared cache store failed.*longer than 1000 ms/.test(l))).toBe(true);
    } finally {
      process.kill(pid!, 'SIGCONT');
      await a.backend.stop();
    }
  });

  it('values written into Redis by something else than asset-id, under its keys, are not served', async () => {
    const database = mkdtempSync(path.join(dir, 'db-'));
    const assetId = { ...samplePolicy(cmdb.url, { timeoutMs: 5000 }), processor: { refresh: false } };
    // The exact key asset-id uses: Backstage's cache key layout for plugin asset-id, the policy's fingerprint.
    const policy = readAssetIdSettings(mockServices.rootConfig({ data: { assetId } })).policy;
    const key = (n: number) => `asset-id:${normalizedKey(`verdict:${fingerprint(policy)}:business-app:${id(n)}`)}`;
    const ids = [120_001, 120_002, 120_003, 120_004, 120_005];
    const a = await replica(database, assetId, []);
    try {
      await a.validate(ids.map(id));
    } finally {
      await a.backend.stop();
    }
    expect(cmdb.stats.requests).toBe(1);
    for (const n of ids) expect(redisCli('EXISTS', key(n))).toBe('1');
    const original = redisCli('GET', key(120_002));
    expect(original).toContain(id(120_002));

    // 1. Another ID's entry, copied under this key: a valid verdict, for the wrong ID.
    redisCli('SET', key(120_001), original);
    // 2. Garbage.
    redisCli('SET', key(120_003), 'garbage{"');
    // 3. Keyv's JSON with an entry for this ID that claims to have been checked a day from now (fresh for ever).
    const future = Date.now() + 86_400_000;
    const forged = JSON.parse(redisCli('GET', key(120_004))) as { value: { verdict: { record: { name: string } } } };
    forged.value.verdict.record.name = 'Forged';
    Object.assign(forged.value, { checkedAt: future, freshUntil: future + 1e9, staleUntil: future + 2e9 });
    redisCli('SET', key(120_004), JSON.stringify(forged));
    // 4. A JSON value that is not an entry at all.
    redisCli('SET', key(120_005), JSON.stringify({ value: { v: 1, verdict: 'valid' }, expires: null }));

    const c = await replica(database, assetId, []);
    try {
      const before = { ...cmdb.stats };
      expect(names(await c.validate(ids.map(id)))).toEqual(ids.map(n => [true, `System ${id(n)}`]));
      // Only the untouched entry came from Redis; the four others were looked up (one batched request).
      expect(cmdb.stats.requests - before.requests).toBe(1);
      expect(cmdb.stats.ids - before.ids).toBe(4);
      // And asset-id wrote the real verdicts back.
      expect(redisCli('GET', key(120_001))).toContain(`System ${id(120_001)}`);
      expect(redisCli('GET', key(120_004))).not.toContain('Forged');
    } finally {
      await c.backend.stop();
    }
  });
});

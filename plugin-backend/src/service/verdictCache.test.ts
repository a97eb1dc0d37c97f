/*
 * The verdict cache on its own: TTLs, a shared store that fails or holds garbage, and the default store choice.
 */
import type { CacheService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import type { JsonValue } from '@backstage/types';
import type { Verdict } from 'asset-id';
import { defaultVerdictStore } from './AssetIdService';
import { VerdictCache } from './verdictCache';

const found = (value: string): Verdict => ({
  input: value,
  valid: true,
  value,
  scheme: 's',
  issues: [],
  record: { id: value, name: 'N', fields: {} },
});
const notFound = (value: string): Verdict => ({
  input: value,
  valid: false,
  value: null,
  scheme: 's',
  issues: [{ code: 'not_found', severity: 'error', message: `${value} not found` }],
  record: null,
});

function mapStore(): CacheService & { data: Map<string, JsonValue> } {
  const data = new Map<string, JsonValue>();
  const store: CacheService & { data: Map<string, JsonValue> } = {
    data,
    get: async <T extends JsonValue>(key: string) => data.get(key) as T | undefined,
    set: async (key: string, value: JsonValue) => {
      data.set(key, value);
    },
    delete: async (key: string) => {
      data.delete(key);
    },
    withOptions: () => store,
  };
  return store;
}

function cache(options: { store?: CacheService; now?: () => number; queueWaitMs?: number; queueBatchSize?: number } = {}) {
  const calls: string[][] = [];
  const logger = mockServices.logger.mock();
  const c = new VerdictCache({
    lookup: async (_scheme, values) => {
      calls.push(values);
      return values.map(v => (v.startsWith('X') ? notFound(v) : found(v)));
    },
    store: options.store,
    namespace: 'test',
    foundTtlMs: 300_000,
    notFoundTtlMs: 60_000,
    staleIfErrorMs: 3_600_000,
    memoryEntries: 100,
    batchWindowMs: 0,
    queueWaitMs: options.queueWaitMs,
    queueBatchSize: options.queueBatchSize,
    logger,
    now: options.now,
  });
  return { c, calls, logger };
}

describe('VerdictCache', () => {
  it('batches one tick of values into one lookup, and keeps found answers longer than not-found ones', async () => {
    let now = 1_000_000;
    const { c, calls } = cache({ now: () => now });
    await Promise.all([c.get('s', 'A1'), c.get('s', 'X1'), c.get('s', 'A1')]);
    expect(calls).toEqual([['A1', 'X1']]);
    now += 61_000; // past notFoundTtl, within foundTtl
    await Promise.all([c.get('s', 'A1'), c.get('s', 'X1')]);
    expect(calls).toEqual([['A1', 'X1'], ['X1']]);
    now += 300_000;
    await c.get('s', 'A1');
    expect(calls).toHaveLength(3);
  });

  it('treats a malformed entry of the shared store as a miss (the store is shared, not trusted)', async () => {
    const store = mapStore();
    const { c, calls } = cache({ store });
    await c.get('s', 'A1');
    const [key] = [...store.data.keys()];
    expect(key).toBe('verdict:test:s:A1');
    for (const garbage of [null, 'x', { v: 2 }, { v: 1, verdict: 'no', checkedAt: 1, freshUntil: 9e15, staleUntil: 9e15 }]) {
      store.data.set('verdict:test:s:B1', garbage as JsonValue);
      const { c: fresh, calls: freshCalls } = cache({ store });
      expect((await fresh.get('s', 'B1')).valid).toBe(true);
      expect(freshCalls).toEqual([['B1']]);
    }
    expect(calls).toEqual([['A1']]);
  });

  it('a flood of made-up IDs (not found) never evicts the records that stale-if-error serves during an outage', async () => {
    let down = false;
    const unavailable = (value: string): Verdict => ({
      input: value,
      valid: false,
      value: null,
      scheme: 's',
      issues: [{ code: 'lookup_unavailable', severity: 'error', message: 'could not check: HTTP 503' }],
    });
    let now = 1_000_000;
    const c = new VerdictCache({
      lookup: async (_scheme, values) =>
        values.map(v => {
          if (down) return unavailable(v);
          return v.startsWith('X') ? notFound(v) : found(v);
        }),
      namespace: 'test',
      foundTtlMs: 300_000,
      notFoundTtlMs: 60_000,
      staleIfErrorMs: 3_600_000,
      memoryEntries: 10,
      batchWindowMs: 0,
      logger: mockServices.logger.mock(),
      now: () => now,
    });
    await Promise.all(['A1', 'A2', 'A3'].map(v => c.get('s', v)));
    // An attacker (any signed-in user) submits 1,000 distinct IDs that pass the format and exist nowhere.
    for (let n = 0; n < 1000; n += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => c.get('s', `X${n + i}`)));
    }
    expect(c.memorySize).toBeLessThanOrEqual(20);
    now += 400_000; // past the TTL, within stale-if-error
    down = true;
    const during = await Promise.all(['A1', 'A2', 'A3'].map(v => c.get('s', v)));
    expect(during.map(v => [v.valid, v.stale?.reason])).toEqual([
      [true, 'could not check: HTTP 503'],
      [true, 'could not check: HTTP 503'],
      [true, 'could not check: HTTP 503'],
    ]);
  });

  it('refuses a shared-store entry whose verdict is for another ID or scheme, and bounds its lifetime by the TTLs', async () => {
    const store = mapStore();
    let now = 1_000_000;
    const forged = (verdict: Verdict, freshUntil = 9e15) =>
      ({ v: 1, verdict: verdict as unknown as JsonValue, checkedAt: now, freshUntil, staleUntil: 9e15 }) as JsonValue;
    // Another ID's valid verdict under this key, another scheme's, and a not-found one claiming to be valid.
    store.data.set('verdict:test:s:X1', forged(found('A1')));
    store.data.set('verdict:test:s:X2', forged({ ...found('X2'), scheme: 'other' }));
    store.data.set('verdict:test:s:X3', forged({ ...notFound('X3'), value: 'A1' }));
    // Issues that are not issues (a crash later, in statusOf or the router), a valid verdict with an error, a
    // record without an id.
    store.data.set('verdict:test:s:X4', forged({ ...notFound('X4'), issues: [null] } as unknown as Verdict));
    store.data.set('verdict:test:s:X5', forged({ ...found('X5'), issues: notFound('X5').issues }));
    store.data.set('verdict:test:s:X6', forged({ ...found('X6'), record: { fields: {} } } as unknown as Verdict));
    const { c, calls } = cache({ store, now: () => now });
    const keys = ['X1', 'X2', 'X3', 'X4', 'X5', 'X6'];
    const got = await Promise.all(keys.map(v => c.get('s', v)));
    expect(got.map(v => [v.valid, v.issues.map(i => i.code)])).toEqual(keys.map(() => [false, ['not_found']]));
    expect(calls).toEqual([keys]);
    // A well-formed entry that claims to stay fresh for ever is fresh for the policy's TTL at most.
    store.data.set('verdict:test:s:A9', forged(found('A9')));
    const { c: other, calls: otherCalls } = cache({ store, now: () => now });
    expect((await other.get('s', 'A9')).valid).toBe(true);
    expect(otherCalls).toEqual([]);
    now += 300_001;
    await other.get('s', 'A9');
    expect(otherCalls).toEqual([['A9']]);
  });

  it('logs why a lookup failed (callers are not told), once a minute per reason', async () => {
    const logger = mockServices.logger.mock();
    const c = new VerdictCache({
      lookup: async (_scheme, values) =>
        values.map(v => ({
          input: v,
          valid: false,
          value: null,
          scheme: 's',
          issues: [{ code: 'lookup_unavailable', severity: 'error', message: `could not check ${v} in the CMDB: connect ECONNREFUSED 10.0.0.5:443` }],
        })),
      namespace: 'test',
      foundTtlMs: 1,
      notFoundTtlMs: 1,
      staleIfErrorMs: 0,
      memoryEntries: 10,
      batchWindowMs: 0,
      logger,
    });
    await Promise.all(['A1', 'A2'].map(v => c.get('s', v)));
    await c.get('s', 'A3');
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/lookup failed: connect ECONNREFUSED 10\.0\.0\.5:443/));
  });

  it('serves from the CMDB when the shared store fails, and logs that once', async () => {
    const broken: CacheService = {
      get: async () => {
        throw new Error('ECONNREFUSED');
      },
      set: async () => {
        throw new Error('ECONNREFUSED');
      },
      delete: async () => undefined,
      withOptions: () => broken,
    };
    const { c, calls, logger } = cache({ store: broken });
    expect((await c.get('s', 'A1')).valid).toBe(true);
    expect((await c.get('s', 'A2')).valid).toBe(true);
    expect(calls).toEqual([['A1'], ['A2']]);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/shared cache store failed.*ECONNREFUSED/));
  });

  it('uses a shared store only when backend.cache names one; Redis: asset-id\'s client, closed at shutdown', async () => {
    expect(defaultVerdictStore(mockServices.rootConfig({ data: {} }))).toBeUndefined();
    expect(defaultVerdictStore(mockServices.rootConfig({ data: { backend: { cache: { store: 'memory' } } } }))).toBeUndefined();
    const hooks: Array<() => void | Promise<void>> = [];
    const lifecycle = { addStartupHook: () => undefined, addBeforeShutdownHook: () => undefined, addShutdownHook: (hook: () => void | Promise<void>) => void hooks.push(hook) };
    const logger = mockServices.logger.mock();
    // Nothing listens on port 1: the connection fails, which is a warning (not an unhandled 'error' event), and a
    // read fails at once (no offline queue): the verdict cache counts it as a miss.
    const redis = defaultVerdictStore(
      mockServices.rootConfig({ data: { backend: { cache: { store: 'redis', connection: 'redis://127.0.0.1:1' } } } }),
      logger,
      lifecycle,
    );
    const started = Date.now();
    await expect(redis!.get('k')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringMatching(/lost the connection to the shared cache store \(Redis: .*ECONNREFUSED/));
    expect(hooks).toHaveLength(1);
    await hooks[0]();
  });
});

describe('VerdictCache at catalog scale: the queue (cached) and refresh-ahead (refresh)', () => {
  const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `A${from + i}`);
  const settle = () => new Promise(r => setTimeout(r, 50));

  it('cached never waits: misses are undefined and queued into full batches; the rest leaves after queueWaitMs', async () => {
    const { c, calls } = cache({ queueWaitMs: 30, queueBatchSize: 50 });
    // 120 misses arriving a few at a time, as the catalog processes entities.
    const first: unknown[] = [];
    for (let i = 0; i < 120; i += 6) first.push(...(await Promise.all(ids(6, i).map(v => c.cached('s', v)))));
    expect(first).toEqual(ids(120).map(() => undefined));
    expect(calls.map(batch => batch.length)).toEqual([50, 50]);
    await settle();
    expect(calls.map(batch => batch.length)).toEqual([50, 50, 20]);
    expect(c.queueStats).toEqual({ lookups: 3, ids: 120 });
    // Answered: the next read is from the cache, with no lookup; a repeated miss is queued only once.
    expect((await c.cached('s', 'A119'))?.valid).toBe(true);
    await Promise.all([c.cached('s', 'B1'), c.cached('s', 'B1')]);
    await settle();
    expect(calls).toHaveLength(4);
    expect(calls[3]).toEqual(['B1']);
  });

  it('cached answers with the last fault until the CMDB answers (a never-checked ID is then unavailable, not pending)', async () => {
    let down = true;
    const c = new VerdictCache({
      lookup: async (_scheme, values) =>
        values.map(v =>
          down
            ? { input: v, valid: false, value: null, scheme: 's', issues: [{ code: 'lookup_unavailable', severity: 'error' as const, message: 'HTTP 503' }] }
            : found(v),
        ),
      namespace: 'test',
      foundTtlMs: 300_000,
      notFoundTtlMs: 60_000,
      staleIfErrorMs: 0,
      memoryEntries: 10,
      batchWindowMs: 0,
      queueWaitMs: 5,
      logger: mockServices.logger.mock(),
    });
    expect(await c.cached('s', 'A1')).toBeUndefined();
    await settle();
    expect((await c.cached('s', 'A1'))?.issues.map(i => i.code)).toEqual(['lookup_unavailable']);
    down = false;
    await settle(); // the second read queued it again
    expect((await c.cached('s', 'A1'))?.valid).toBe(true);
  });

  it('refresh looks up only what expires within the horizon (the core splits them into batchSize requests)', async () => {
    let now = 1_000_000;
    const { c, calls } = cache({ now: () => now, queueBatchSize: 50 });
    const pairs = ids(90).map(v => ['s', v] as const);
    expect(await c.refresh(pairs, 60_000)).toEqual({ due: 90, failed: 0 });
    expect(calls).toEqual([ids(90)]);
    // Fresh for 300 s: nothing expires within the next 60 s.
    now += 100_000;
    expect(await c.refresh(pairs, 60_000)).toEqual({ due: 0, failed: 0 });
    // 250 s after the lookup, all of them expire within 60 s: due again (and their duplicates are looked up once).
    now += 150_000;
    expect(await c.refresh([...pairs, ...pairs], 60_000)).toEqual({ due: 90, failed: 0 });
    expect(calls).toEqual([ids(90), ids(90)]);
    expect(await Promise.all(ids(90).map(v => c.cached('s', v)))).toEqual(ids(90).map(v => found(v)));
    expect(calls).toHaveLength(2);
  });

  it('refresh hands the lookup whole batches: chunks of 8 x batchSize IDs', async () => {
    const { c, calls } = cache({ queueBatchSize: 5 });
    await c.refresh(ids(95).map(v => ['s', v] as const), 0);
    expect(calls.map(batch => batch.length)).toEqual([40, 40, 15]);
  });

  it('refresh skips what another replica renewed in the shared store', async () => {
    const store = mapStore();
    const now = 1_000_000;
    const { c: a, calls: aCalls } = cache({ store, now: () => now });
    const { c: b, calls: bCalls } = cache({ store, now: () => now });
    const pairs = ids(60).map(v => ['s', v] as const);
    await a.refresh(pairs, 60_000);
    expect(aCalls.flat()).toHaveLength(60);
    expect(await b.refresh(pairs, 60_000)).toEqual({ due: 0, failed: 0 });
    expect(bCalls).toEqual([]);
    // ... and b's processor reads them from the store without a lookup.
    expect((await b.cached('s', 'A3'))?.valid).toBe(true);
    await settle();
    expect(bCalls).toEqual([]);
  });

  it('while a refresh task covers it, an expired verdict is served without a lookup of its own; without one it is queued', async () => {
    let now = 1_000_000;
    const { c, calls } = cache({ now: () => now, queueWaitMs: 5 });
    await c.refresh([['s', 'A1']], 0);
    now += 300_001; // expired
    c.setRefreshGrace(60_000);
    expect(await c.cached('s', 'A1')).toEqual(found('A1'));
    await settle();
    expect(calls).toHaveLength(1);
    c.setRefreshGrace(0);
    expect(await c.cached('s', 'A1')).toEqual(found('A1')); // the last known verdict, while the lookup is queued
    await settle();
    expect(calls).toEqual([['A1'], ['A1']]);
  });

  it('a slow trickle (a busy catalog) still fills whole batches: the rest leaves after queueWaitMs of quiet, or 10 x that', async () => {
    const { c, calls } = cache({ queueWaitMs: 60, queueBatchSize: 10 });
    // 25 misses, one every 20 ms: more than queueWaitMs in all, never queueWaitMs apart.
    for (const v of ids(25)) {
      await c.cached('s', v);
      await new Promise(r => setTimeout(r, 20));
    }
    expect(calls.map(batch => batch.length)).toEqual([10, 10]);
    await new Promise(r => setTimeout(r, 120));
    expect(calls.map(batch => batch.length)).toEqual([10, 10, 5]);
    // A key that keeps company with a steady trickle below batchSize leaves after 10 x queueWaitMs at most.
    const { c: slow, calls: slowCalls } = cache({ queueWaitMs: 20, queueBatchSize: 1000 });
    const started = Date.now();
    while (slowCalls.length === 0 && Date.now() - started < 2_000) {
      await slow.cached('s', `T${Date.now() - started}`);
      await new Promise(r => setTimeout(r, 10));
    }
    expect(slowCalls).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('close drops the queue and leaves no timer', async () => {
    const { c, calls } = cache({ queueWaitMs: 5 });
    expect(await c.cached('s', 'A1')).toBeUndefined();
    c.close();
    await c.cached('s', 'A2');
    await settle();
    expect(calls).toEqual([]);
  });
});

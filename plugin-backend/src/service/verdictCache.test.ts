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

function cache(options: { store?: CacheService; now?: () => number } = {}) {
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

  it('uses Backstage cache for plugin asset-id only when backend.cache names a shared store', () => {
    expect(defaultVerdictStore(mockServices.rootConfig({ data: {} }))).toBeUndefined();
    expect(defaultVerdictStore(mockServices.rootConfig({ data: { backend: { cache: { store: 'memory' } } } }))).toBeUndefined();
    const redis = defaultVerdictStore(
      mockServices.rootConfig({ data: { backend: { cache: { store: 'redis', connection: 'redis://127.0.0.1:1' } } } }),
    );
    expect(typeof redis?.get).toBe('function');
  });
});

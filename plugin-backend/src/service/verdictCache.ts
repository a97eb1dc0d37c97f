/*
 * The backend's verdict cache for CMDB lookups: one per backend process, shared by the router, the scaffolder
 * action and the catalog processor.
 *
 *   in-process layer   least-recently-used (lru-cache), `assetId.cache.memoryEntries` entries for answers with
 *                      a record and as many again for the others (not found, ambiguous): a burst of distinct IDs
 *                      (dry-runs) evicts the oldest, it never flushes the whole cache, and a flood of made-up IDs
 *                      (anyone can type them; each is a not-found answer) evicts only other not-found answers,
 *                      never the records that stale-if-error needs during an outage
 *   shared store       Backstage's cache service for plugin `asset-id` when the app configures `backend.cache`
 *                      (Redis, Valkey, memcache): backend replicas share verdicts. Its keys carry a fingerprint of
 *                      the policy, so replicas running different policies (a rolling deploy) never share.
 *   coalescing         DataLoader: identical lookups in flight share one promise, and the IDs that arrive within
 *                      `processor.batchWindowMs` are looked up together (the core plans ceil(N / batchSize)
 *                      requests). Its own memo is cleared as soon as a lookup settles: the layers above are the
 *                      cache, with TTLs.
 *   queue              the catalog processor does not wait on a miss (`cached`): the ID joins a queue that is
 *                      looked up when it holds `batchSize` IDs, or once no ID has joined for
 *                      `processor.queueWaitMs` (at most 10 x that after its oldest ID joined), so the catalog's
 *                      first pass (which processes about ten entities at a time) costs about ceil(N / batchSize)
 *                      requests; the entity gets its status at its next processing pass
 *   refresh-ahead      `refresh(pairs, dueWithinMs)`: the refresh task (refreshTask.ts) looks up the catalog's IDs
 *                      whose verdicts expire within `dueWithinMs`, in full batches, so processing passes find them
 *   TTLs               the policy's: `lookup.cacheTtlSeconds` (default 300) for answers with a record,
 *                      `lookup.notFoundTtlSeconds` (default 60, capped by the former) for the others. Faults
 *                      (`lookup_unavailable`) are never stored.
 *   stale-if-error     an entry stays `assetId.cache.staleIfErrorSeconds` (default 1 day) past its TTL; when the CMDB
 *                      cannot answer, that last known verdict is served instead of the fault, marked
 *                      `stale: { since, reason }`, so an outage never turns a known `valid` into a failure.
 *
 * Keys are (scheme, normalized value): the verdict of a value depends only on the scheme that accepted it and
 * the normalized ID (the core's lookup is keyed the same way).
 */
import { createHash } from 'node:crypto';
import type { CacheService, LoggerService } from '@backstage/backend-plugin-api';
import type { JsonValue } from '@backstage/types';
import type { Verdict } from 'asset-id';
import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import type { AssetIdMetrics } from './metrics';

/** A verdict as the backend returns it: the core's, or the last known one while the CMDB is down. */
export interface AssetIdVerdict extends Verdict {
  /** Present when this is the last known verdict, served because the CMDB could not answer now. */
  stale?: {
    /** When the verdict was obtained from the CMDB (ISO 8601). */
    since: string;
    /** Why the CMDB could not answer now (the core's lookup_unavailable message). */
    reason: string;
  };
}

interface Entry {
  verdict: Verdict;
  checkedAt: number;
  freshUntil: number;
  staleUntil: number;
}

export interface VerdictCacheOptions {
  /** Looks up normalized values accepted by `scheme` (the core's validateMany with that scheme). */
  lookup: (scheme: string, values: string[]) => Promise<Verdict[]>;
  /** The shared store; undefined: the in-process layer only. */
  store?: CacheService;
  /** Fingerprint of the policy, part of every key. */
  namespace: string;
  foundTtlMs: number;
  notFoundTtlMs: number;
  staleIfErrorMs: number;
  memoryEntries: number;
  batchWindowMs: number;
  /** IDs per queued lookup (the source's batchSize). Default 50. */
  queueBatchSize?: number;
  /** How long a queued ID waits for a full batch. Default 2000. */
  queueWaitMs?: number;
  logger: LoggerService;
  now?: () => number;
  /** Counts reads per layer (asset_id.cache.lookups): those of `get` and `cached`, not of the refresh task. */
  metrics?: Pick<AssetIdMetrics, 'cacheLookup'>;
}

const SEP = '\u0000';
/** How far in the future a shared-store entry's `checkedAt` may be (another replica's clock). */
const CLOCK_SKEW_MS = 60_000;

export function isFault(verdict: Verdict): boolean {
  return verdict.issues.some(issue => issue.code === 'lookup_unavailable');
}

/** A short, stable fingerprint of a JSON value (object keys sorted). */
export function fingerprint(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (typeof v === 'object' && v !== null) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map(k => [k, canonical((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex').slice(0, 16);
}

/**
 * Reads a stored entry defensively: the store is shared, a malformed value is a miss, and so is an entry whose
 * verdict is for another ID or scheme than its key (a valid verdict must be for exactly this value).
 */
function parseEntry(value: JsonValue | undefined, scheme: string, id: string): Entry | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { v, verdict, checkedAt, freshUntil, staleUntil } = value;
  if (v !== 1 || typeof checkedAt !== 'number' || typeof freshUntil !== 'number' || typeof staleUntil !== 'number') {
    return undefined;
  }
  if (typeof verdict !== 'object' || verdict === null || Array.isArray(verdict)) return undefined;
  if (typeof verdict.valid !== 'boolean' || !Array.isArray(verdict.issues)) return undefined;
  if (verdict.scheme !== scheme || (verdict.value !== id && (verdict.valid || verdict.value !== null))) return undefined;
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  const wellFormedIssue = (i: unknown) =>
    isObj(i) &&
    typeof i.code === 'string' &&
    (i.severity === 'error' || i.severity === 'warning') &&
    typeof i.message === 'string' &&
    (i.hint === undefined || typeof i.hint === 'string');
  if (!verdict.issues.every(wellFormedIssue)) return undefined;
  // A valid verdict has no error; an invalid one has at least one.
  if (verdict.valid === verdict.issues.some(i => isObj(i) && i.severity === 'error')) return undefined;
  const record: unknown = verdict.record;
  if (record !== undefined && record !== null) {
    if (!isObj(record) || typeof record.id !== 'string') return undefined;
    if (record.fields !== undefined && !isObj(record.fields)) return undefined;
  }
  return { verdict: verdict as unknown as Verdict, checkedAt, freshUntil, staleUntil };
}

export class VerdictCache {
  /** Answers with a record (found, retired). */
  private readonly memory: LRUCache<string, Entry>;
  /** Answers without a record (not found, ambiguous): a separate layer, so made-up IDs cannot evict records. */
  private readonly negative: LRUCache<string, Entry>;
  private readonly loader: DataLoader<string, AssetIdVerdict, string>;
  private readonly now: () => number;
  private storeFailureLogged = false;
  /** When each lookup-failure reason was last logged (callers outside the backend never see the reason). */
  private readonly faultsLogged = new LRUCache<string, true>({ max: 100, ttl: 60_000 });
  /** The last fault per key, until the next answer (what `cached` reports for an ID never answered). */
  private readonly faults: LRUCache<string, Verdict>;
  /** Keys waiting for a queued lookup, in arrival order, and keys whose queued lookup is in flight. */
  private readonly queue = new Set<string>();
  private readonly queuedInFlight = new Set<string>();
  private queueTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the oldest key now in the queue joined it (about: reset at each send). */
  private queueSince = 0;
  private readonly queueBatchSize: number;
  private readonly queueWaitMs: number;
  /**
   * While a refresh task renews the catalog's verdicts, `cached` serves an expired verdict up to this long past
   * its TTL without queueing a lookup of its own (the task will renew it); 0: no task.
   */
  private refreshGraceMs = 0;
  private closed = false;
  /** Queued lookups sent, and the IDs in them (tests, metrics). */
  readonly queueStats = { lookups: 0, ids: 0 };

  constructor(private readonly options: VerdictCacheOptions) {
    this.now = options.now ?? Date.now;
    this.memory = new LRUCache<string, Entry>({ max: options.memoryEntries });
    this.negative = new LRUCache<string, Entry>({ max: options.memoryEntries });
    this.faults = new LRUCache<string, Verdict>({ max: options.memoryEntries, ttl: Math.max(options.notFoundTtlMs, 1_000) });
    this.queueBatchSize = Math.max(1, options.queueBatchSize ?? 50);
    this.queueWaitMs = Math.max(0, options.queueWaitMs ?? 2_000);
    this.loader = new DataLoader<string, AssetIdVerdict, string>(keys => this.loadMany(keys), {
      maxBatchSize: 1000,
      batchScheduleFn: callback => setTimeout(callback, options.batchWindowMs),
    });
  }

  /** The verdict of `value` (already normalized) under `scheme`; `input` is the normalized value. */
  async get(scheme: string, value: string): Promise<AssetIdVerdict> {
    const key = `${scheme}${SEP}${value}`;
    try {
      return await this.loader.load(key);
    } finally {
      // Settled: later callers read the cache layers (with TTLs), not DataLoader's memo.
      this.loader.clear(key);
    }
  }

  /**
   * The catalog processor's read (modes flag and warn): never waits for the CMDB. A fresh verdict from the
   * in-process layer or the shared store; otherwise the ID is queued for a batched lookup (unless a refresh task
   * covers it) and the answer is the last known verdict, else the last fault, else undefined (not checked yet).
   */
  async cached(scheme: string, value: string): Promise<AssetIdVerdict | undefined> {
    const key = `${scheme}${SEP}${value}`;
    const now = this.now();
    const memory = this.memoryGet(key);
    this.options.metrics?.cacheLookup('memory', memory && memory.freshUntil > now ? 'hit' : 'miss');
    if (memory && memory.freshUntil > now) return memory.verdict;
    const stored = await this.readStore(key, true);
    if (stored && stored.freshUntil > now) {
      this.memorySet(key, stored);
      return stored.verdict;
    }
    const candidates = [memory, stored].filter((e): e is Entry => e !== undefined && e.staleUntil > now);
    const last = candidates.sort((a, b) => b.checkedAt - a.checkedAt)[0];
    if (!last || now - last.freshUntil >= this.refreshGraceMs) this.enqueue(key);
    return last?.verdict ?? this.faults.get(key);
  }

  /**
   * Refresh-ahead: looks up, in full batches, the keys among `pairs` whose verdict is missing or expires within
   * `dueWithinMs` (in this process and in the shared store). Returns how many were due and how many the CMDB
   * could not answer.
   */
  async refresh(
    pairs: ReadonlyArray<readonly [scheme: string, value: string]>,
    dueWithinMs: number,
  ): Promise<{ due: number; failed: number }> {
    const now = this.now();
    const keys = [...new Set(pairs.map(([scheme, value]) => `${scheme}${SEP}${value}`))];
    const notFresh = keys.filter(key => (this.memoryGet(key)?.freshUntil ?? 0) <= now + dueWithinMs);
    const stored = await Promise.all(notFresh.map(key => this.readStore(key, false)));
    const due: string[] = [];
    const stale = new Map<string, Entry>();
    notFresh.forEach((key, n) => {
      const entry = stored[n];
      if (entry && entry.freshUntil > now + dueWithinMs) {
        this.memorySet(key, entry);
        return;
      }
      const last = [this.memoryGet(key), entry]
        .filter((e): e is Entry => e !== undefined && e.staleUntil > now)
        .sort((a, b) => b.checkedAt - a.checkedAt)[0];
      if (last) stale.set(key, last);
      due.push(key);
    });
    let failed = 0;
    // Chunks of whole batches, so that every request but the last carries batchSize IDs.
    const chunk = this.queueBatchSize * 8;
    for (let i = 0; i < due.length; i += chunk) {
      const results = await this.lookupKeys(due.slice(i, i + chunk), stale);
      failed += results.filter(r => r instanceof Error || isFault(r) || r.stale !== undefined).length;
    }
    return { due: due.length, failed };
  }

  /** Turns on (grace > 0) or off the refresh task's coverage of expired verdicts in `cached`. */
  setRefreshGrace(graceMs: number): void {
    this.refreshGraceMs = Math.max(0, graceMs);
  }

  /** Stops queueing (backend shutdown): queued IDs are dropped, no timer is left behind. */
  close(): void {
    this.closed = true;
    this.queue.clear();
    if (this.queueTimer !== undefined) clearTimeout(this.queueTimer);
    this.queueTimer = undefined;
  }

  /**
   * Queues a key. The queue is sent in full batches; the rest leaves when no key has joined for `queueWaitMs` (the
   * catalog's pass is over, or this is a trickle), or when its oldest key has waited 10 x `queueWaitMs`: a slow
   * catalog pass (a busy machine) still fills whole batches.
   */
  private enqueue(key: string): void {
    if (this.closed || this.queue.has(key) || this.queuedInFlight.has(key)) return;
    if (this.queue.size === 0) this.queueSince = Date.now();
    this.queue.add(key);
    if (this.queue.size >= this.queueBatchSize) this.flushQueue(false);
    if (this.queue.size === 0) return;
    if (this.queueTimer !== undefined) clearTimeout(this.queueTimer);
    const wait = Math.min(this.queueWaitMs, this.queueSince + 10 * this.queueWaitMs - Date.now());
    this.queueTimer = setTimeout(() => {
      this.queueTimer = undefined;
      this.flushQueue(true);
    }, Math.max(0, wait));
    this.queueTimer.unref?.();
  }

  /** Sends every full batch of the queue (and, with `all`, the rest). */
  private flushQueue(all: boolean): void {
    while (this.queue.size >= this.queueBatchSize || (all && this.queue.size > 0)) {
      const keys = [...this.queue].slice(0, this.queueBatchSize);
      for (const key of keys) {
        this.queue.delete(key);
        this.queuedInFlight.add(key);
      }
      this.queueSince = Date.now();
      this.queueStats.lookups += 1;
      this.queueStats.ids += keys.length;
      this.loadMany(keys)
        .catch(() => undefined)
        .finally(() => keys.forEach(key => this.queuedInFlight.delete(key)));
    }
    if (this.queue.size === 0 && this.queueTimer !== undefined) {
      clearTimeout(this.queueTimer);
      this.queueTimer = undefined;
    }
  }

  /** Entries in the in-process layer (for tests and metrics). */
  get memorySize(): number {
    return this.memory.size + this.negative.size;
  }

  private layerFor(verdict: Verdict): LRUCache<string, Entry> {
    return verdict.record ? this.memory : this.negative;
  }

  private memoryGet(key: string): Entry | undefined {
    return this.memory.get(key) ?? this.negative.get(key);
  }

  private memorySet(key: string, entry: Entry): void {
    // One layer per key: an ID that was not found and is now found (or the reverse) moves.
    (entry.verdict.record ? this.negative : this.memory).delete(key);
    this.layerFor(entry.verdict).set(key, entry);
  }

  /**
   * A stored entry's times, bounded by this process's TTLs: a shared entry cannot claim to live longer than
   * its TTL from when it was checked, nor to have been checked in the future (beyond a minute of clock skew).
   */
  private bounded(entry: Entry): Entry | undefined {
    const ttl = entry.verdict.record ? this.options.foundTtlMs : this.options.notFoundTtlMs;
    if (entry.checkedAt > this.now() + CLOCK_SKEW_MS) return undefined;
    const freshUntil = Math.min(entry.freshUntil, entry.checkedAt + ttl);
    const staleUntil = Math.min(entry.staleUntil, freshUntil + this.options.staleIfErrorMs);
    return { ...entry, freshUntil, staleUntil };
  }

  private storeKey(key: string): string {
    return `verdict:${this.options.namespace}:${key.replace(SEP, ':')}`;
  }

  private logStoreFailure(error: unknown): void {
    if (this.storeFailureLogged) return;
    this.storeFailureLogged = true;
    this.options.logger.warn(
      `asset-id: the shared cache store failed (${error instanceof Error ? error.message : String(error)}); ` +
        'verdicts are served from this process and the CMDB until it answers again (logged once)',
    );
  }

  private logFault(message: string): void {
    // The ID is part of the core's message; one line per reason, not per ID.
    const reason = message.replace(/^could not check .* in (the CMDB|the asset registry): /s, '');
    if (this.faultsLogged.has(reason)) return;
    this.faultsLogged.set(reason, true);
    this.options.logger.warn(`asset-id: a CMDB lookup failed: ${reason} (logged once a minute per reason)`);
  }

  /** A shared-store entry (undefined: none, malformed, not this key's, or the store failed); `count`: metrics. */
  private async readStore(key: string, count: boolean): Promise<Entry | undefined> {
    if (!this.options.store) return undefined;
    const metrics = count ? this.options.metrics : undefined;
    try {
      const at = key.indexOf(SEP);
      const parsed = parseEntry(await this.options.store.get<JsonValue>(this.storeKey(key)), key.slice(0, at), key.slice(at + 1));
      this.storeFailureLogged = false;
      const entry = parsed && this.bounded(parsed);
      metrics?.cacheLookup('store', entry && entry.freshUntil > this.now() ? 'hit' : 'miss');
      return entry;
    } catch (error) {
      metrics?.cacheLookup('store', 'error');
      this.logStoreFailure(error);
      return undefined;
    }
  }

  private async writeStore(key: string, entry: Entry): Promise<void> {
    if (!this.options.store) return;
    const ttl = entry.staleUntil - this.now();
    if (ttl <= 0) return;
    try {
      await this.options.store.set(
        this.storeKey(key),
        { v: 1, verdict: entry.verdict as unknown as JsonValue, checkedAt: entry.checkedAt, freshUntil: entry.freshUntil, staleUntil: entry.staleUntil },
        { ttl },
      );
    } catch (error) {
      this.logStoreFailure(error);
    }
  }

  private remember(key: string, verdict: Verdict): Entry {
    const now = this.now();
    const ttl = verdict.record ? this.options.foundTtlMs : this.options.notFoundTtlMs;
    const entry: Entry = { verdict, checkedAt: now, freshUntil: now + ttl, staleUntil: now + ttl + this.options.staleIfErrorMs };
    this.memorySet(key, entry);
    return entry;
  }

  private async loadMany(keys: readonly string[]): Promise<Array<AssetIdVerdict | Error>> {
    const results = new Array<AssetIdVerdict | Error>(keys.length);
    const stale = new Map<number, Entry>();
    const misses: number[] = [];
    const now = this.now();

    // 1. The in-process layer, then the shared store.
    const fromStore: number[] = [];
    keys.forEach((key, i) => {
      const entry = this.memoryGet(key);
      this.options.metrics?.cacheLookup('memory', entry && entry.freshUntil > now ? 'hit' : 'miss');
      if (entry && entry.freshUntil > now) results[i] = entry.verdict;
      else {
        if (entry && entry.staleUntil > now) stale.set(i, entry);
        fromStore.push(i);
      }
    });
    const stored = await Promise.all(fromStore.map(i => this.readStore(keys[i], true)));
    fromStore.forEach((i, n) => {
      const entry = stored[n];
      if (entry && entry.freshUntil > now) {
        this.memorySet(keys[i], entry);
        results[i] = entry.verdict;
        return;
      }
      if (entry && entry.staleUntil > now && entry.checkedAt > (stale.get(i)?.checkedAt ?? -1)) stale.set(i, entry);
      misses.push(i);
    });

    // 2. The CMDB.
    const looked = await this.lookupKeys(
      misses.map(i => keys[i]),
      new Map(misses.flatMap(i => (stale.has(i) ? [[keys[i], stale.get(i)!] as const] : []))),
    );
    misses.forEach((i, n) => {
      results[i] = looked[n];
    });
    return results;
  }

  /**
   * Looks `keys` up in the CMDB (one validateMany per scheme: the core plans ceil(n / batchSize) requests and
   * coalesces with lookups in flight) and stores the answers. A fault is answered with the key's entry in
   * `stale` (marked stale) when there is one; it is never stored, only remembered for `cached`.
   */
  private async lookupKeys(keys: readonly string[], stale: ReadonlyMap<string, Entry>): Promise<Array<AssetIdVerdict | Error>> {
    const results = new Array<AssetIdVerdict | Error>(keys.length);
    const byScheme = new Map<string, number[]>();
    keys.forEach((key, i) => {
      const scheme = key.slice(0, key.indexOf(SEP));
      byScheme.set(scheme, [...(byScheme.get(scheme) ?? []), i]);
    });
    const writes: Array<Promise<void>> = [];
    await Promise.all(
      [...byScheme].map(async ([scheme, indexes]) => {
        const values = indexes.map(i => keys[i].slice(scheme.length + 1));
        let verdicts: Verdict[] | undefined;
        let failure: Error | undefined;
        try {
          verdicts = await this.options.lookup(scheme, values);
        } catch (error) {
          failure = error instanceof Error ? error : new Error(String(error));
        }
        indexes.forEach((i, n) => {
          const verdict = verdicts?.[n];
          const last = stale.get(keys[i]);
          if (verdict === undefined || isFault(verdict)) {
            const reason =
              verdict?.issues.find(issue => issue.code === 'lookup_unavailable')?.message ?? failure?.message;
            this.logFault(reason ?? 'no verdict');
            if (verdict) this.faults.set(keys[i], verdict);
            if (last) {
              results[i] = {
                ...last.verdict,
                stale: { since: new Date(last.checkedAt).toISOString(), reason: reason ?? 'the CMDB could not answer' },
              };
            } else {
              results[i] = verdict ?? failure ?? new Error(`asset-id: no verdict for '${values[n]}'`);
            }
            return;
          }
          this.faults.delete(keys[i]);
          const entry = this.remember(keys[i], verdict);
          writes.push(this.writeStore(keys[i], entry));
          results[i] = verdict;
        });
      }),
    );
    await Promise.all(writes);
    return results;
  }
}
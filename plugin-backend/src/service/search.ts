/*
 * Finding assets by name for the asset-id plugin (`POST /v1/search`, the `asset-id:search-assets` action later):
 * the core plans the one CMDB request and re-checks every row (format, scheme, every word in a search field,
 * retired records left out unless `lookup.search.includeRetired`); this file only caches and coalesces.
 *
 * - Answers are kept `lookup.search.cacheTtlSeconds` (default 60) in process, at most 1,000 texts (least recently
 *   used), keyed by the exact text, the scheme option and the limit; identical searches in flight share one
 *   request (also with `cacheTtlSeconds: 0`). An outage is never cached.
 * - Errors: no `lookup.search` in the policy -> NotFoundError (404, search is not configured); a text shorter
 *   than `minLength` or longer than 64 characters, a bad limit -> AssetIdInputError (400, the core's code); a CMDB
 *   outage -> ServiceUnavailableError (503) with the core's message, whose reason stays in the backend log.
 */
import type { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import type { AssetIdValidator, AssetRecord, FetchLike, Policy, SearchResult } from 'asset-id';
import { LRUCache } from 'lru-cache';
import { AssetIdInputError, coreErrorParts } from './errors';

/** What a search returns to a caller. */
export interface AssetIdSearchResult {
  results: AssetRecord[];
  more: boolean;
}

export interface AssetIdSearchOptions {
  scheme?: readonly string[];
  limit?: number;
  signal?: AbortSignal;
}

/** Texts whose answers are kept. */
export const SEARCH_CACHE_ENTRIES = 1000;

export function createSearch(options: {
  policy: Policy;
  validator: AssetIdValidator;
  fetch: FetchLike;
  logger: LoggerService;
  now?: () => number;
}): (query: string, opts?: AssetIdSearchOptions) => Promise<AssetIdSearchResult> {
  const { policy, validator, fetch, logger } = options;
  const spec = policy.lookup?.search;
  const ttlMs = Math.max(0, Number(spec?.cacheTtlSeconds ?? 60)) * 1000;
  const cache = new LRUCache<string, { at: number; settled: boolean; answer: Promise<AssetIdSearchResult> }>({
    max: SEARCH_CACHE_ENTRIES,
  });
  const now = options.now ?? Date.now;

  async function ask(query: string, opts: AssetIdSearchOptions): Promise<AssetIdSearchResult> {
    let result: SearchResult;
    try {
      result = await validator.search(query, {
        fetch,
        ...(opts.scheme ? { scheme: [...opts.scheme] } : {}),
        ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      });
    } catch (error) {
      const { message, code, path } = coreErrorParts(error);
      if (code) throw new AssetIdInputError(message, code, path);
      throw error;
    }
    const outage = result.issues.find(i => i.code === 'lookup_unavailable');
    if (outage) {
      logger.warn(`asset-id search for '${query.slice(0, 64)}': ${outage.message}`);
      throw new ServiceUnavailableError('the CMDB could not be searched (the reason is in the backend log)');
    }
    return { results: result.records, more: result.more };
  }

  return async (query, opts = {}) => {
    if (!spec) throw new NotFoundError('search is not configured: the policy has no lookup.search');
    // The exact text (the core decides what is the same search; JS's trim and lowercase differ from its rules).
    const key = JSON.stringify([query, opts.scheme ?? null, opts.limit ?? null]);
    const hit = cache.get(key);
    // An answer within its TTL, or one still in flight (shared whatever the TTL).
    if (hit && (now() - hit.at < ttlMs || !hit.settled)) return hit.answer;
    const answer = ask(query, opts);
    const entry = { at: now(), settled: false, answer };
    cache.set(key, entry);
    // Failures (an outage, a caller error) are never kept.
    answer.then(
      () => {
        entry.settled = true;
      },
      () => {
        if (cache.get(key) === entry) cache.delete(key);
      },
    );
    if (!opts.signal) return answer;
    // A caller that goes away stops waiting; the shared request goes on for the others.
    return new Promise<AssetIdSearchResult>((resolve, reject) => {
      const onAbort = () => reject(opts.signal?.reason ?? new Error('aborted'));
      if (opts.signal?.aborted) onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      answer.then(resolve, reject).finally(() => opts.signal?.removeEventListener('abort', onAbort));
    });
  };
}

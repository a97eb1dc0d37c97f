/**
 * A stand-in for the asset-id backend plugin in Jest, behind a fake `fetchApi`: the same contract as the
 * real router (GET /v1/policy, POST /v1/validate, POST /v1/search, Backstage's error shape), verdicts
 * computed by the real core (npm package `asset-id`) with the full policy (lookup included: the registry
 * records inline). The search matches inline registry records here in TypeScript (every word of the text
 * in the name or the ID, ignoring case; retired ones left out), its records the core's verdicts' records.
 */
import { AssetIdValidator } from 'asset-id';
import type { Policy, Verdict } from 'asset-id';
import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import type { JsonObject } from '@backstage/types';
import { AssetIdClient } from '../api/AssetIdClient';

export const BACKEND_BASE = 'http://backstage.test/api/asset-id';

export const discoveryApi: DiscoveryApi = {
  getBaseUrl: async (pluginId: string) => `http://backstage.test/api/${pluginId}`,
};

/** How the stand-in behaves. */
export type BackendMode =
  | 'ok'
  /** no asset-id plugin in the backend: Backstage's 404 for an unknown plugin id */
  | 'not-installed'
  /** nothing answers */
  | 'network-error'
  /** a gateway's HTML page */
  | 'html'
  /** the policy is served, /v1/validate fails (network error) */
  | 'validate-down'
  /** 401: no Backstage credentials */
  | 'unauthorized'
  /** the policy and /v1/validate are served, /v1/search answers 503 lookup_unavailable (a CMDB outage) */
  | 'search-down'
  /** the policy is served, /v1/coverage answers 403 (the caller may not read the catalog) */
  | 'coverage-forbidden';

export interface FakeBackendOptions {
  /** The backend's full `assetId` policy (lookup included). */
  policy: JsonObject;
  mode?: BackendMode;
  /** Delay of each answer (ms); an aborted signal rejects like the real fetch. */
  delayMs?: number;
  /** Replace the answer of POST /v1/validate (hostile cases). */
  validateBody?: string;
  /** Replace the answer of POST /v1/search (hostile cases). */
  searchBody?: string;
  /** The answer of GET /v1/coverage (JSON text; absent: 404 as a backend without the endpoint). */
  coverageBody?: string;
  /** Its HTTP status (default 200). */
  coverageStatus?: number;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const inputError = (message: string) => json(400, { error: { name: 'InputError', message } });

const defined = (o: Record<string, unknown>): JsonObject =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as JsonObject;

/**
 * What GET /v1/policy serves (as the router's `formatPolicy()`): the format rules and, when the policy has
 * search or a request link, `lookup: { source: 'none', search?: { minLength?, limit? }, requestUrl? }`.
 */
function browserPolicy(policy: JsonObject): JsonObject {
  const { schemes, maxLength, catalog } = policy;
  const lookup = (policy.lookup ?? {}) as JsonObject;
  const search = lookup.search as JsonObject | undefined;
  const browserLookup =
    search || lookup.requestUrl
      ? defined({
          source: 'none',
          search: search ? defined({ minLength: search.minLength, limit: search.limit }) : undefined,
          requestUrl: lookup.requestUrl,
        })
      : undefined;
  return defined({ schemes, maxLength, catalog, lookup: browserLookup });
}

const searchWords = (text: string) => text.toLowerCase().split(/\s+/).filter(Boolean);

/** A fake fetchApi serving the asset-id backend contract; records every request. */
export function fakeBackend(options: FakeBackendOptions) {
  const calls: Array<{ method: string; url: string; body?: unknown }> = [];
  const validators = new Map<string, AssetIdValidator>();
  const validatorFor = (names?: string[]) => {
    const key = JSON.stringify(names ?? null);
    let v = validators.get(key);
    if (!v) {
      const policy = options.policy as unknown as Policy;
      v = new AssetIdValidator(names ? { ...policy, schemes: policy.schemes.filter(s => names.includes(s.name)) } : policy);
      validators.set(key, v);
    }
    return v;
  };
  let mode: BackendMode = options.mode ?? 'ok';

  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ method, url, body });
    // like the real fetch: an already aborted signal rejects at once
    if (init?.signal?.aborted) throw new DOMException('The operation was aborted.', 'AbortError');
    if (options.delayMs) {
      await new Promise<void>((resolveDelay, reject) => {
        const timer = setTimeout(resolveDelay, options.delayMs);
        init?.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new DOMException('The operation was aborted.', 'AbortError'));
        });
      });
    }
    if (mode === 'network-error') throw new TypeError('Failed to fetch');
    if (mode === 'html') return new Response('<html><body>Bad gateway</body></html>', { status: 502, headers: { 'content-type': 'text/html' } });
    if (mode === 'not-installed' || !url.startsWith(`${BACKEND_BASE}/`)) {
      return json(404, { error: { name: 'NotFoundError', message: `No plugin found for ${url}` } });
    }
    if (mode === 'unauthorized') return json(401, { error: { name: 'AuthenticationError', message: 'Missing credentials' } });
    const path = url.slice(BACKEND_BASE.length);
    if (method === 'GET' && path === '/v1/policy') return json(200, { policy: browserPolicy(options.policy) });
    if (method === 'GET' && path === '/v1/coverage') {
      if (mode === 'coverage-forbidden') return json(403, { error: { name: 'NotAllowedError', message: 'catalog read not allowed' } });
      if (options.coverageBody !== undefined) {
        return new Response(options.coverageBody, { status: options.coverageStatus ?? 200, headers: { 'content-type': 'application/json' } });
      }
    }
    if (method === 'POST' && path === '/v1/search') {
      const lookup = (options.policy.lookup ?? {}) as JsonObject;
      const search = lookup.search as JsonObject | undefined;
      if (!search) return json(404, { error: { name: 'NotFoundError', message: 'search is not configured (no lookup.search in the policy)' } });
      if (mode === 'search-down') {
        return json(503, { error: { name: 'ServiceUnavailableError', message: 'lookup_unavailable: the CMDB could not be searched' } });
      }
      if (options.searchBody !== undefined) return new Response(options.searchBody, { status: 200, headers: { 'content-type': 'application/json' } });
      const query: unknown = body?.query;
      const minLength = typeof search.minLength === 'number' ? search.minLength : 2;
      if (typeof query !== 'string' || query.trim().length < minLength || query.length > 64) {
        return json(400, { error: { name: 'InputError', message: `query must be ${minLength}..64 characters`, code: 'invalid_argument' } });
      }
      const limit = typeof body?.limit === 'number' ? body.limit : typeof search.limit === 'number' ? search.limit : 10;
      const records = (((lookup.registry as JsonObject | undefined)?.records ?? []) as Array<Record<string, string>>);
      const words = searchWords(query);
      const matched = records.filter(r => words.every(w => `${r.name ?? ''} ${r.id}`.toLowerCase().includes(w)));
      const verdicts: Verdict[] = matched.length ? await validatorFor().validateMany(matched.map(r => r.id)) : [];
      const found = verdicts.filter(v => v.record && (v.valid || search.includeRetired === true)).map(v => v.record!);
      return json(200, { results: found.slice(0, limit), more: found.length > limit });
    }
    if (method === 'POST' && path === '/v1/validate') {
      if (mode === 'validate-down') throw new TypeError('Failed to fetch');
      if (options.validateBody !== undefined) return new Response(options.validateBody, { status: 200, headers: { 'content-type': 'application/json' } });
      const values: unknown = body?.values;
      if (!Array.isArray(values) || values.length < 1 || values.length > 100) return inputError('values must be 1..100 values');
      const scheme: unknown = body?.scheme;
      const names = scheme === undefined ? undefined : typeof scheme === 'string' ? [scheme] : (scheme as string[]);
      const known = validatorFor().schemeNames();
      const unknown = (names ?? []).filter(n => !known.includes(n));
      if (unknown.length) return inputError(`unknown scheme ${unknown.join(', ')}`);
      const validator = validatorFor(names && names.length > 1 ? names : undefined);
      const results: Verdict[] = await validator.validateMany(values, names?.length === 1 ? { scheme: names[0] } : {});
      return json(200, { results });
    }
    return json(404, { error: { name: 'NotFoundError', message: `no route ${method} ${path}` } });
  }) as FetchApi['fetch'];

  const fetchApi = { fetch } as FetchApi;
  return {
    fetchApi,
    /** The app's asset-id API on this backend (what `assetIdApiRef` holds): one per backend, like one per page. */
    api: new AssetIdClient({ discoveryApi: { getBaseUrl: discoveryApi.getBaseUrl }, fetchApi }),
    calls,
    /** only the /v1/validate requests */
    validateCalls: () => calls.filter(c => c.url.endsWith('/v1/validate')),
    /** only the /v1/search requests */
    searchCalls: () => calls.filter(c => c.url.endsWith('/v1/search')),
    setMode: (next: BackendMode) => {
      mode = next;
    },
  };
}

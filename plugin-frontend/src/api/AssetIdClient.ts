/**
 * The browser's only way to the asset-id rules and the CMDB: the asset-id backend plugin.
 *
 * - `GET  {discoveryApi.getBaseUrl('asset-id')}/v1/policy`   -> `{ policy: { schemes, maxLength, catalog, lookup? } }`
 *   (`lookup` holds at most the browser-safe `search` settings and `requestUrl`)
 * - `POST {discoveryApi.getBaseUrl('asset-id')}/v1/validate` `{ values, scheme? }` -> `{ results: Verdict[] }`
 * - `POST {discoveryApi.getBaseUrl('asset-id')}/v1/search`   `{ query, scheme?, limit? }` -> `{ results: AssetRecord[], more }`
 * - `GET  {discoveryApi.getBaseUrl('asset-id')}/v1/coverage` -> `{ total, byStatus, byOwner, kinds, limit, complete, generatedAt }`
 *
 * All through `fetchApi.fetch` (the user's Backstage credentials). Errors come back in Backstage's shape
 * `{ error: { name, message } }`. No CMDB URL and no credential ever reach the browser.
 */
import type { AssetRecord, CatalogPolicy, Scheme, Verdict } from 'asset-id/format';
import {
  ASSET_ID_BACKEND_PACKAGE,
  ASSET_ID_PLUGIN_ID as CONTRACT_PLUGIN_ID,
  MAX_QUERY_CHARS,
  MAX_SEARCH_LIMIT as CONTRACT_SEARCH_LIMIT,
  MAX_VALUES,
  type FormatPolicy as ContractFormatPolicy,
  type SearchRequest,
  type ValidateRequest,
} from '@asset-id/backstage-plugin-asset-id-common';
import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { AssetIdConfigError, errorMessage } from '../errors';
import { parseCoverage, type AssetIdApi, type AssetIdCoverage } from './AssetIdApi';

/** The backend plugin's id (`createBackendPlugin({ pluginId: 'asset-id' })`), from the HTTP contract. */
export const ASSET_ID_PLUGIN_ID = CONTRACT_PLUGIN_ID;

/** The package to install in the backend when the plugin is missing, from the HTTP contract. */
export const BACKEND_PACKAGE = ASSET_ID_BACKEND_PACKAGE;

/**
 * The policy's `lookup.search` settings as the backend hands them to the browser (the core's
 * `SearchPolicy`). Present: the backend answers `POST /v1/search`; absent: search is off.
 * @public
 */
export interface SearchSettings {
  /** Fields the backend matches (default `[name, <idField>]`). */
  fields?: string[];
  /** Shortest text searched (default {@link DEFAULT_SEARCH_MIN_LENGTH}). */
  minLength?: number;
  /** Results per search (the backend's default 10, at most 50). */
  limit?: number;
  /** Retired records are results too (default false). */
  includeRetired?: boolean;
  /** How long the backend reuses an answer (seconds). */
  cacheTtlSeconds?: number;
}

/**
 * The browser-safe part of the policy's `lookup`: no source, URL of the CMDB or credential.
 * @public
 */
export interface BrowserLookupSettings {
  /** `none` from the backend: the browser never looks anything up in the CMDB itself. */
  source?: 'none';
  /** Search settings; absent: the backend has no search and the field and the card do not offer one. */
  search?: SearchSettings;
  /** Where developers ask for a new asset ID (a link shown when nothing matches; never requested). */
  requestUrl?: string;
}

/**
 * What the backend hands to the browser: the format rules, and at most the browser-safe lookup settings.
 * @public
 */
export interface FormatPolicy {
  schemes: Scheme[];
  maxLength?: number;
  catalog?: CatalogPolicy;
  lookup?: BrowserLookupSettings;
}

// This package's public FormatPolicy (kept as published) accepts every policy the contract's GET /v1/policy
// answer can hold: fails to compile when the contract (@asset-id/backstage-plugin-asset-id-common) drifts from it.
const contractPolicyFits = (policy: ContractFormatPolicy): FormatPolicy => policy;
void contractPolicyFits;

/** The rules the WASM core compiles: only the format keys (the browser never has a lookup source). */
export function formatRules(policy: FormatPolicy): { schemes: Scheme[]; maxLength?: number; catalog?: CatalogPolicy } {
  const { schemes, maxLength, catalog } = policy;
  return {
    schemes,
    ...(maxLength === undefined ? {} : { maxLength }),
    ...(catalog === undefined ? {} : { catalog }),
  };
}

/** The policy's search settings, or undefined when search is off (no `lookup.search` object). */
export function searchSettings(policy: FormatPolicy | undefined): SearchSettings | undefined {
  const search: unknown = policy?.lookup?.search;
  return isObject(search) ? (search as SearchSettings) : undefined;
}

/** The core's default `lookup.search.minLength`. */
export const DEFAULT_SEARCH_MIN_LENGTH = 2;
/** Longest text the backend searches for (the contract's `MAX_QUERY_CHARS`). */
export const MAX_SEARCH_QUERY_LENGTH = MAX_QUERY_CHARS;
/** Most results the backend returns per search (the contract's). */
export const MAX_SEARCH_LIMIT = CONTRACT_SEARCH_LIMIT;

/**
 * Options of {@link AssetIdClient.search}.
 * @public
 */
export interface SearchOptions {
  /** The same narrowing as the lookups: one scheme name or a list of names. */
  scheme?: SchemeOption;
  /** At most this many results (1..50; default: the policy's `lookup.search.limit`). */
  limit?: number;
  /** Aborts the request (the promise then rejects with an `AbortError`). */
  signal?: AbortSignal;
}

/**
 * The answer of {@link AssetIdClient.search}: records whose search fields match every word of the text,
 * ranked by the backend; `more` when it found more than it returned.
 * @public
 */
export interface SearchResult {
  results: AssetRecord[];
  more: boolean;
}

/** The `scheme` narrowing of a request: one scheme name or a list of them. */
export type SchemeOption = string | string[];

/** Largest answer body read from the backend (characters); beyond it the answer is refused. */
export const MAX_RESPONSE_CHARS = 4 * 1024 * 1024;
/** Values per `/v1/validate` request (the backend's cap: the contract's `MAX_VALUES`). */
export const MAX_VALUES_PER_REQUEST = MAX_VALUES;
/**
 * How long a verdict is reused on this page (the backend keeps the real, shared cache); a verdict of a CMDB
 * outage (`lookup_unavailable`) is not reused.
 */
export const VERDICT_TTL_MS = 30_000;
/** How many verdicts this page keeps (oldest dropped first). */
export const MAX_CACHED_VERDICTS = 500;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isAbort = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';

function notReachable(url: string, detail: string): AssetIdConfigError {
  return new AssetIdConfigError(
    `The asset-id backend plugin is not installed or not reachable (${detail} from ${url}). ` +
      `Add it to the backend: backend.add(import('${BACKEND_PACKAGE}')), and its assetId policy to the backend's app-config.`,
    'backend_unavailable',
  );
}

/** Read a JSON answer of the backend plugin; every way it can go wrong is an AssetIdConfigError. */
async function readJson(
  response: Response,
  url: string,
  on404?: (url: string, message?: string) => AssetIdConfigError,
): Promise<Record<string, unknown>> {
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_RESPONSE_CHARS) {
    await response.body?.cancel().catch(() => undefined);
    throw new AssetIdConfigError(
      `The asset-id backend's answer is too large (${length} bytes, at most ${MAX_RESPONSE_CHARS}) from ${url}.`,
      'backend_error',
    );
  }
  const text = await response.text();
  if (text.length > MAX_RESPONSE_CHARS) {
    throw new AssetIdConfigError(
      `The asset-id backend's answer is too large (more than ${MAX_RESPONSE_CHARS} characters) from ${url}.`,
      'backend_error',
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.status === 404) {
    // Backstage answers 404 for a plugin id no backend plugin serves; a route may say more (on404)
    if (on404 && isObject(body)) {
      const error = isObject(body.error) ? body.error : undefined;
      throw on404(url, typeof error?.message === 'string' ? error.message.slice(0, 500) : undefined);
    }
    throw notReachable(url, 'HTTP 404');
  }
  if (!isObject(body)) {
    throw notReachable(url, `HTTP ${response.status}, an answer that is not JSON`);
  }
  if (!response.ok) {
    const error = isObject(body.error) ? body.error : undefined;
    const message = typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`;
    const hint =
      response.status === 401 || response.status === 403
        ? ' (sign in to Backstage: the plugin needs your Backstage credentials)'
        : '';
    throw new AssetIdConfigError(
      `The asset-id backend refused the request: ${message.slice(0, 500)}${hint}`,
      'backend_error',
      undefined,
      response.status,
    );
  }
  return body;
}

function isRecord(v: unknown): v is AssetRecord {
  return isObject(v) && typeof v.id === 'string' && v.id.length > 0;
}

/** Only the record's known keys, of the right types (a hostile answer cannot smuggle in other shapes). */
function cleanRecord(v: AssetRecord): AssetRecord {
  const raw = v as unknown as Record<string, unknown>;
  const record: AssetRecord = { id: v.id, fields: isObject(raw.fields) ? (raw.fields as AssetRecord['fields']) : {} };
  if (typeof raw.name === 'string') record.name = raw.name;
  if (typeof raw.status === 'string') record.status = raw.status;
  if (typeof raw.url === 'string') record.url = raw.url;
  return record;
}

function isVerdict(v: unknown): v is Verdict {
  return isObject(v) && typeof v.valid === 'boolean' && Array.isArray(v.issues);
}

/**
 * Options of {@link AssetIdClient}.
 * @public
 */
export interface AssetIdClientOptions {
  /** Finds the backend plugin's base URL (`getBaseUrl('asset-id')`). */
  discoveryApi: DiscoveryApi;
  /** Sends the requests with the user's Backstage credentials. */
  fetchApi: FetchApi;
  /** The clock of the verdict reuse (tests). */
  now?: () => number;
}

/**
 * The {@link AssetIdApi} over HTTP: the asset-id backend plugin through `discoveryApi` + `fetchApi` (the
 * user's Backstage credentials). Registered as `assetIdApiRef` by the plugin (`createApiFactory` in
 * `assetIdPlugin`, `ApiBlueprint` in `/alpha`): one per app, so the policy is fetched once per page and
 * verdicts are shared by every field and card of the page.
 * @public
 */
export class AssetIdClient implements AssetIdApi {
  private policy?: Promise<FormatPolicy>;
  private readonly verdicts = new Map<string, { at: number; verdict: Promise<Verdict> }>();
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;
  private readonly now: () => number;

  constructor(options: AssetIdClientOptions) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
    this.now = options.now ?? Date.now;
  }

  private async url(path: string): Promise<string> {
    const base = await this.discoveryApi.getBaseUrl(ASSET_ID_PLUGIN_ID);
    return `${base.replace(/\/+$/, '')}${path}`;
  }

  private async request(
    path: string,
    init?: RequestInit,
    on404?: (url: string, message?: string) => AssetIdConfigError,
  ): Promise<Record<string, unknown>> {
    const url = await this.url(path);
    let response: Response;
    try {
      response = await this.fetchApi.fetch(url, init);
    } catch (error) {
      // an aborted request is the caller's doing, not a missing backend
      if (isAbort(error) || init?.signal?.aborted) throw error;
      throw notReachable(url, `network error: ${errorMessage(error)}`);
    }
    return readJson(response, url, on404);
  }

  /** The backend's format rules; fetched once per page (a failure is retried on the next call). */
  getPolicy(): Promise<FormatPolicy> {
    if (!this.policy) {
      this.policy = this.request('/v1/policy').then(body => {
        const policy = body.policy;
        if (!isObject(policy) || !Array.isArray(policy.schemes)) {
          throw new AssetIdConfigError(
            'The asset-id backend answered /v1/policy without a policy ({ policy: { schemes: [...] } } expected).',
            'backend_error',
          );
        }
        return policy as unknown as FormatPolicy;
      });
      this.policy.catch(() => {
        this.policy = undefined;
      });
    }
    return this.policy;
  }

  /**
   * Verdicts for `values` (at most `MAX_VALUES_PER_REQUEST`), in input order, from the backend.
   * A verdict is reused on this page for `VERDICT_TTL_MS`; concurrent identical requests share one.
   */
  async validate(values: string[], scheme?: SchemeOption): Promise<Verdict[]> {
    if (values.length === 0) return [];
    if (values.length > MAX_VALUES_PER_REQUEST) {
      throw new RangeError(`at most ${MAX_VALUES_PER_REQUEST} values per request, got ${values.length}`);
    }
    const schemeKey = JSON.stringify(scheme ?? null);
    const now = this.now();
    const wanted = new Set<string>();
    const pending = new Map<string, Promise<Verdict>>();
    for (const value of values) {
      const key = `${schemeKey}\u0000${value}`;
      const hit = this.verdicts.get(key);
      if (hit && now - hit.at < VERDICT_TTL_MS) pending.set(value, hit.verdict);
      else wanted.add(value);
    }
    const missing = [...wanted];
    if (missing.length) {
      const batch = this.request('/v1/validate', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify((scheme === undefined ? { values: missing } : { values: missing, scheme }) satisfies ValidateRequest),
      }).then(body => {
        const results = body.results;
        if (!Array.isArray(results) || results.length !== missing.length || !results.every(isVerdict)) {
          throw new AssetIdConfigError(
            `The asset-id backend answered /v1/validate without ${missing.length} verdict(s) ({ results: [...] } expected).`,
            'backend_error',
          );
        }
        return results as Verdict[];
      });
      missing.forEach((value, i) => {
        const key = `${schemeKey}\u0000${value}`;
        const verdict = batch.then(results => results[i]);
        pending.set(value, verdict);
        this.remember(key, now, verdict);
        // a failed request, or a verdict of a CMDB outage, is not remembered: the next call asks again
        const forget = () => {
          if (this.verdicts.get(key)?.verdict === verdict) this.verdicts.delete(key);
        };
        verdict.then(v => {
          if (v.issues.some(i => i.code === 'lookup_unavailable')) forget();
        }, forget);
      });
    }
    return Promise.all(values.map(value => pending.get(value)!));
  }

  /**
   * Records matching `query` (`POST /v1/search`, the policy's `lookup.search`), at most
   * `MAX_SEARCH_QUERY_LENGTH` characters. Errors are AssetIdConfigErrors like the other calls: a 400
   * (text too short or too long) or a 503 (the CMDB could not be searched) is `backend_error` with its
   * `status`; a 404 from a reachable backend is `backend_error` (status 404: search not configured);
   * no backend at all is `backend_unavailable`. An aborted request rejects with the `AbortError`.
   */
  async search(query: string, options: SearchOptions = {}): Promise<SearchResult> {
    const { scheme, limit, signal } = options;
    if (typeof query !== 'string') throw new TypeError('query must be a string');
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT)) {
      throw new RangeError(`limit must be a whole number from 1 to ${MAX_SEARCH_LIMIT}, got ${limit}`);
    }
    const body: SearchRequest = { query };
    if (scheme !== undefined) body.scheme = scheme;
    if (limit !== undefined) body.limit = limit;
    const noSearch = (url: string) =>
      new AssetIdConfigError(
        `The asset-id backend has no search (HTTP 404 from ${url}): the policy has no lookup.search.`,
        'backend_error',
        undefined,
        404,
      );
    let answer: Record<string, unknown>;
    try {
      answer = await this.request(
        '/v1/search',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal },
        noSearch,
      );
    } catch (error) {
      // a 404 is the plugin missing, or the plugin without search: the policy (fetched once) tells them apart
      if (error instanceof AssetIdConfigError && error.status === 404) await this.getPolicy();
      throw error;
    }
    const results = answer.results;
    if (!Array.isArray(results)) {
      throw new AssetIdConfigError(
        'The asset-id backend answered /v1/search without results ({ results: [...], more } expected).',
        'backend_error',
      );
    }
    const records = results.filter(isRecord).slice(0, MAX_SEARCH_LIMIT).map(cleanRecord);
    return { results: records, more: answer.more === true || results.length > records.length };
  }

  /**
   * The catalog's asset-ID coverage as the caller may see it (`GET /v1/coverage`): checked only for shape
   * and size (`parseCoverage`); a 401/403 is `backend_error` with its `status`.
   */
  async getCoverage(options: { signal?: AbortSignal } = {}): Promise<AssetIdCoverage> {
    // a reachable backend's 404: an older backend without the route, or one that says why (no catalog.annotation)
    const older = (url: string, message?: string) =>
      new AssetIdConfigError(
        message && !/^no route|^not found$/i.test(message)
          ? `The asset-id backend has no coverage (HTTP 404 from ${url}): ${message}`
          : `The asset-id backend has no coverage (HTTP 404 from ${url}): update ${BACKEND_PACKAGE} in the backend.`,
        'backend_error',
        undefined,
        404,
      );
    const body = await this.request('/v1/coverage', options.signal ? { signal: options.signal } : undefined, older);
    return parseCoverage(body);
  }

  private remember(key: string, at: number, verdict: Promise<Verdict>) {
    this.verdicts.delete(key);
    this.verdicts.set(key, { at, verdict });
    while (this.verdicts.size > MAX_CACHED_VERDICTS) {
      const oldest = this.verdicts.keys().next().value as string;
      this.verdicts.delete(oldest);
    }
  }
}

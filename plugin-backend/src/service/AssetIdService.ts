/*
 * One asset-id validator per backend process, shared by the asset-id plugin's router, the scaffolder action and
 * the catalog processor.
 *
 * It is a root-scoped service: root services are created once per backend, whichever plugins and modules depend
 * on them, so the compiled policy, the CMDB client (credentials, OAuth token, request slots) and the verdict cache
 * (verdictCache.ts) are shared by every caller in the process. Root services cannot depend on the plugin-scoped
 * `coreServices.cache`, so the shared store is built from the same `backend.cache` config the backend's own cache
 * service reads (see `defaultVerdictStore`).
 */
import {
  coreServices,
  createServiceFactory,
  createServiceRef,
  type CacheService,
  type LoggerService,
  type RootLifecycleService,
  type RootConfigService,
} from '@backstage/backend-plugin-api';
import { CacheManager } from '@backstage/backend-defaults/cache';
import type { JsonObject } from '@backstage/types';
import { AssetIdValidator, type EntityCheck, type FetchLike, type Policy, type Verdict } from 'asset-id';
import { readAssetIdSettings, type AssetIdBackendSettings } from './config';
import { statusOf } from './entity';
import { AssetIdConfigError, AssetIdInputError, coreErrorParts } from './errors';
import { shownValue } from './messages';
import { networkFetch } from './fetch';
import { createAssetIdMetrics, defaultMeter, measuredFetch, sourceOf, type AssetIdMetrics } from './metrics';
import { createRedisVerdictStore } from './redisStore';
import { fingerprint, VerdictCache, type AssetIdVerdict } from './verdictCache';
import { createSearch, type AssetIdSearchOptions, type AssetIdSearchResult } from './search';

/** Narrowing of the policy's schemes by the caller: one name or a list of names (accept only these). */
export type { SchemeOption } from '@asset-id/backstage-plugin-asset-id-common';
import type { FormatPolicy, SchemeOption } from '@asset-id/backstage-plugin-asset-id-common';

export interface AssetIdValidateOptions {
  scheme?: SchemeOption;
  /** Aborts this caller's wait (a shared lookup in flight goes on for the others). */
  signal?: AbortSignal;
}

/**
 * The format rules the browser compiles: `GET /api/asset-id/v1/policy` (the HTTP contract's `FormatPolicy`). No
 * lookup, no credentials. An interface, as it was before the contract moved to the -common package (adopters may
 * merge declarations into it).
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-empty-interface
export interface AssetIdFormatPolicy extends FormatPolicy {}

/** Options of `AssetIdService.validateEntity`. */
export interface AssetIdEntityCheckOptions {
  /**
   * true (default): wait for the CMDB when the verdict is not cached. false (the catalog processor in modes flag
   * and warn): answer from the cache; on a miss the ID is queued for a batched lookup and the check's status is
   * `pending` (the entity's next processing pass finds the verdict).
   */
  wait?: boolean;
}

/** The core's entity check, with `pending` when the lookup was queued instead of awaited. */
export interface AssetIdEntityCheck extends Omit<EntityCheck, 'status'> {
  status: EntityCheck['status'] | 'pending';
}

/** What the refresh-ahead task did in one run. */
export interface AssetIdRefreshResult {
  /** Distinct IDs of checked entities with a valid format. */
  ids: number;
  /** Of these, the ones looked up (verdict missing or expiring within the horizon). */
  due: number;
  /** Of these, the ones the CMDB could not answer. */
  failed: number;
}

/** The backend's access to the asset-id rules. */
export interface AssetIdService {
  /** Settings read from app-config `assetId` (policy plus backend-only keys). */
  readonly settings: AssetIdBackendSettings;
  /** Whether the policy has a CMDB lookup. */
  readonly hasLookup: boolean;
  /** Whether verdicts are kept in a shared store (Backstage's cache service) that replicas share. */
  readonly sharedCache: boolean;
  /** The backend's OpenTelemetry instruments (metrics.ts), for the modules (the refresh task's runs). */
  readonly metrics: AssetIdMetrics;
  /** The policy's format rules (schemes, maxLength, catalog). */
  formatPolicy(): AssetIdFormatPolicy;
  /** The policy's scheme names, in order. */
  schemeNames(): string[];
  /** Format, then CMDB lookup through the shared cache. Throws an AssetIdInputError for an unknown scheme. */
  validate(value: unknown, options?: AssetIdValidateOptions): Promise<AssetIdVerdict>;
  /** Batched form of `validate`; verdicts in input order. */
  validateMany(values: readonly unknown[], options?: AssetIdValidateOptions): Promise<AssetIdVerdict[]>;
  /**
   * Find CMDB records by (part of) their name or ID (`lookup.search`; see search.ts): NotFoundError without
   * search, AssetIdInputError for a text or limit the core refuses, ServiceUnavailableError during an outage.
   */
  search(query: string, options?: { scheme?: SchemeOption; limit?: number; signal?: AbortSignal }): Promise<AssetIdSearchResult>;
  /** The core's catalog rules for one entity, with the annotation's lookup through the shared cache. */
  validateEntity(entity: unknown): Promise<EntityCheck>;
  validateEntity(entity: unknown, options: AssetIdEntityCheckOptions): Promise<AssetIdEntityCheck>;
  /**
   * Refresh-ahead (the catalog module's scheduled task): the asset IDs of `entities` whose verdicts are missing
   * or expire within `dueWithinMs` are looked up in full batches into the cache.
   */
  refreshEntities(entities: Iterable<unknown>, dueWithinMs: number): Promise<AssetIdRefreshResult>;
  /**
   * While a refresh task runs every `graceMs` or more often, the processor serves a verdict up to `graceMs` past
   * its TTL without a lookup of its own (the task renews it); 0 turns this off.
   */
  setRefreshGrace(graceMs: number): void;
}

export interface AssetIdServiceOptions {
  config: RootConfigService;
  logger: LoggerService;
  /** The fetch that reaches the network (default: global fetch); credentials are added on top of it. */
  fetch?: FetchLike;
  /**
   * The shared verdict store. Default: `defaultVerdictStore(config)`, i.e. Backstage's cache for plugin
   * `asset-id` when `backend.cache.store` is a shared store, else none (the in-process layer only).
   */
  store?: CacheService | null;
  /** Clock (tests). */
  now?: () => number;
  /** The OpenTelemetry instruments. Default: on the global meter provider's `backstage-plugin-asset-id` meter. */
  metrics?: AssetIdMetrics;
  /** The root lifecycle: at shutdown the lookup queue stops. */
  lifecycle?: RootLifecycleService;
}

const silentLogger: LoggerService = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};

/**
 * The shared verdict store when the app configures one (`backend.cache.store`: redis, valkey, memcache,
 * infinispan); undefined for the default `memory` store, which is one process's unbounded Map: the bounded
 * in-process layer already is that memory store.
 *
 * For `redis` (not a cluster) the store is asset-id's own Redis client (redisStore.ts: same config, keys and values
 * as Backstage's cache client for plugin `asset-id`, but a Redis that goes away is a warning, not a crashed process,
 * and commands fail fast while it is down); with `lifecycle` its connection is closed at shutdown. The other stores
 * are Backstage's cache client for plugin `asset-id` (CacheManager).
 */
export function defaultVerdictStore(
  config: RootConfigService,
  logger?: LoggerService,
  lifecycle?: RootLifecycleService,
): CacheService | undefined {
  const store = config.getOptionalString('backend.cache.store') ?? 'memory';
  if (store === 'memory') return undefined;
  if (store === 'redis' && !config.has('backend.cache.redis.cluster')) {
    const redis = createRedisVerdictStore(config, logger ?? silentLogger);
    lifecycle?.addShutdownHook(() => redis.close());
    return redis.store;
  }
  return CacheManager.fromConfig(config, { logger }).forPlugin('asset-id');
}

function hasLookupIn(policy: Policy): boolean {
  const source = policy.lookup?.source;
  return source !== undefined && source !== 'none';
}

function seconds(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback;
}

function compile(policy: Policy | JsonObject): AssetIdValidator {
  try {
    return new AssetIdValidator(policy as Policy);
  } catch (error) {
    const { message, code, path } = coreErrorParts(error);
    throw new AssetIdConfigError(
      `Invalid asset-id policy in app-config 'assetId': ${message}`,
      code ?? 'invalid_policy',
      path === undefined ? undefined : `assetId.${path}`,
    );
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      v => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      e => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function createAssetIdService(options: AssetIdServiceOptions): AssetIdService {
  const settings = readAssetIdSettings(options.config);
  for (const warning of settings.warnings) options.logger.warn(warning);
  const policy = settings.policy;
  const hasLookup = hasLookupIn(policy);

  // The verdict cache below is the one cache, with the policy's TTLs; the core's own lookup cache is turned off
  // (its coalescing of requests in flight stays).
  const corePolicy: Policy =
    hasLookup && policy.lookup
      ? { ...policy, lookup: { ...policy.lookup, cacheTtlSeconds: 0, notFoundTtlSeconds: 0 } }
      : policy;
  compile(policy).free(); // refused keys are reported as written, not as the TTL-less copy
  const validator = compile(corePolicy);
  const names = validator.schemeNames();

  assertBackendUrls(settings);
  // The core attaches the credentials (scope, transport, OAuth token, refresh, backoff: src/lookup/credentials.rs and
  // oauth.rs); a credential it can never send is reported here once.
  const problems = validator.useCredentials(settings.credentials, {
    configKey: 'assetId.credentials',
    env: process.env,
    execArgv: process.execArgv,
    // A rejected OAuth client fails every lookup with the same message; it is logged once per backoff step.
    onRejected: message => options.logger.error(message),
  });
  for (const problem of problems) options.logger.warn(problem);
  const metrics = options.metrics ?? createAssetIdMetrics(defaultMeter(options.config));
  // Every request the core sends (lookups, searches) is counted and timed here, and only here.
  const fetch = measuredFetch(networkFetch(options.fetch), sourceOf(policy.lookup?.source), metrics);

  const foundTtl = seconds(policy.lookup?.cacheTtlSeconds, 300);
  const notFoundTtl = Math.min(seconds(policy.lookup?.notFoundTtlSeconds, 60), foundTtl);
  const store = options.store === null ? undefined : (options.store ?? defaultVerdictStore(options.config, options.logger, options.lifecycle));
  const cache = new VerdictCache({
    lookup: (scheme, values) => validator.validateMany(values, { scheme, fetch }),
    store,
    namespace: fingerprint(policy),
    foundTtlMs: foundTtl * 1000,
    notFoundTtlMs: notFoundTtl * 1000,
    staleIfErrorMs: settings.cache.staleIfErrorSeconds * 1000,
    memoryEntries: settings.cache.memoryEntries,
    batchWindowMs: settings.processor.batchWindowMs,
    queueBatchSize: batchSizeOf(policy),
    queueWaitMs: settings.processor.queueWaitMs,
    logger: options.logger,
    now: options.now,
    metrics,
  });

  options.lifecycle?.addShutdownHook(() => cache.close());
  const search = createSearch({ policy, validator, fetch, logger: options.logger, now: options.now });

  const formatOnly: Pick<Policy, 'maxLength'> = policy.maxLength === undefined ? {} : { maxLength: policy.maxLength };

  /** The caller's `scheme` option, checked at the boundary; the core narrows (one name or a list). */
  function resolveScheme(option: SchemeOption | undefined): string[] | undefined {
    if (option === undefined) return undefined;
    const list = typeof option === 'string' ? [option] : option;
    if (!Array.isArray(list) || list.length === 0 || list.some(s => typeof s !== 'string')) {
      throw new AssetIdInputError("'scheme' must be a scheme name or a non-empty list of scheme names", 'invalid_argument', 'scheme');
    }
    const unknown = list.filter(s => !names.includes(s));
    if (unknown.length > 0) {
      throw new AssetIdInputError(
        `unknown scheme ${unknown
          .slice(0, 5)
          .map(s => `'${shownValue(s.slice(0, 64))}'`)
          .join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}; ` +
          `the policy's schemes are: ${names.join(', ')}`,
        'unknown_scheme',
        'scheme',
      );
    }
    // the core's limit (MAX_SCHEME_NAMES), after the names so that unknown ones are named
    if (list.length > 1024) {
      throw new AssetIdInputError("'scheme' lists more than 1024 scheme names", 'invalid_argument', 'scheme');
    }
    return list;
  }

  async function lookupAll(formats: Verdict[]): Promise<AssetIdVerdict[]> {
    if (!hasLookup) return formats;
    return Promise.all(
      formats.map(async format => {
        if (!format.valid || format.value === null || format.scheme === null) return format;
        const verdict = await cache.get(format.scheme, format.value);
        return { ...verdict, input: format.input };
      }),
    );
  }

  /** Counts the verdicts given (asset_id.verdicts). */
  function counted<T extends Pick<Verdict, 'valid' | 'issues'>>(verdicts: T[]): T[] {
    for (const verdict of verdicts) metrics.verdict(verdict);
    return verdicts;
  }

  const validateMany = (values: readonly unknown[], opts: AssetIdValidateOptions = {}) => {
    const scheme = resolveScheme(opts.scheme);
    const formats = validator.checkFormatMany([...values], scheme === undefined ? undefined : { scheme });
    return abortable(lookupAll(formats).then(counted), opts.signal);
  };

  function validateEntity(entity: unknown): Promise<EntityCheck>;
  function validateEntity(entity: unknown, opts: AssetIdEntityCheckOptions): Promise<AssetIdEntityCheck>;
  async function validateEntity(entity: unknown, opts: AssetIdEntityCheckOptions = {}): Promise<AssetIdEntityCheck> {
    // The core's catalog rules (apiVersion, kind, annotation, required, blank and non-string values).
    const check = validator.checkEntity(entity);
    const format = check.verdict;
    if (!check.checked || !hasLookup || !format || !format.valid || format.value === null || format.scheme === null) {
      if (check.checked && format) metrics.verdict(format);
      return check;
    }
    if (opts.wait === false) {
      const cached = await cache.cached(format.scheme, format.value);
      if (cached === undefined) {
        // Not checked yet: the format's verdict, status pending (no lookup issue: nothing failed).
        return { ...check, status: 'pending' };
      }
      const verdict: AssetIdVerdict = { ...cached, input: format.input };
      metrics.verdict(verdict);
      return { checked: true, value: verdict.valid ? verdict.value : null, issues: verdict.issues, verdict, status: statusOf(verdict) };
    }
    const [verdict] = counted(await lookupAll([format]));
    return {
      checked: true,
      value: verdict.valid ? verdict.value : null,
      issues: verdict.issues,
      verdict,
      status: statusOf(verdict),
    };
  }

  return {
    settings,
    hasLookup,
    sharedCache: store !== undefined,
    metrics,
    formatPolicy: () => ({
      schemes: policy.schemes,
      ...formatOnly,
      ...(policy.catalog ? { catalog: policy.catalog } : {}),
      // What a page needs to offer search (no source, URL or field list: the backend owns the CMDB).
      ...(policy.lookup?.search || policy.lookup?.requestUrl
        ? {
            lookup: {
              source: 'none' as const,
              ...(policy.lookup.search
                ? {
                    search: {
                      ...(policy.lookup.search.minLength !== undefined ? { minLength: policy.lookup.search.minLength } : {}),
                      ...(policy.lookup.search.limit !== undefined ? { limit: policy.lookup.search.limit } : {}),
                    },
                  }
                : {}),
              ...(policy.lookup.requestUrl ? { requestUrl: policy.lookup.requestUrl } : {}),
            },
          }
        : {}),
    }),
    schemeNames: () => [...names],
    validate: async (value, opts) => (await validateMany([value], opts))[0],
    validateMany,
    search: (query, opts = {}) => {
      const scheme = resolveScheme(opts.scheme);
      const searchOpts: AssetIdSearchOptions = {
        ...(scheme ? { scheme } : {}),
        ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      };
      return search(query, searchOpts);
    },
    validateEntity,
    async refreshEntities(entities, dueWithinMs) {
      const pairs: Array<readonly [string, string]> = [];
      if (hasLookup) {
        for (const entity of entities) {
          const format = validator.checkEntity(entity).verdict;
          if (format?.valid && format.value !== null && format.scheme !== null) pairs.push([format.scheme, format.value]);
        }
      }
      const ids = new Set(pairs.map(([scheme, value]) => `${scheme}\u0000${value}`)).size;
      const { due, failed } = await cache.refresh(pairs, dueWithinMs);
      return { ids, due, failed };
    },
    setRefreshGrace: graceMs => cache.setRefreshGrace(graceMs),
  };
}

/** IDs per CMDB request: the ServiceNow source's batchSize (default 50); other sources batch nothing (50). */
function batchSizeOf(policy: Policy): number {
  const size: unknown = (policy.lookup?.servicenow as { batchSize?: unknown } | undefined)?.batchSize;
  return typeof size === 'number' && Number.isInteger(size) && size > 0 ? size : 50;
}

/**
 * The CMDB URL must be absolute: a relative `proxy:` URL or `/api/proxy/...` belongs to the retired proxy setup
 * (the browser no longer talks to the CMDB). Refuse it at startup with the fix, rather than failing every lookup.
 */
function assertBackendUrls(settings: AssetIdBackendSettings): void {
  const source = settings.policy.lookup?.source;
  if (source !== 'servicenow' && source !== 'http' && source !== 'registry') return;
  const lookup = settings.policy.lookup;
  const configured = { servicenow: lookup?.servicenow?.baseUrl, http: lookup?.http?.url, registry: lookup?.registry?.url }[source];
  const url = typeof configured === 'string' ? configured.split('{')[0] : undefined;
  if (url === undefined) return; // e.g. inline registry records; the core reports missing required keys
  let absolute = false;
  try {
    absolute = /^https?:$/.test(new URL(url).protocol);
  } catch {
    absolute = false;
  }
  if (!absolute) {
    const key = source === 'servicenow' ? 'servicenow.baseUrl' : `${source}.url`;
    throw new AssetIdConfigError(
      `asset-id: app-config 'assetId.lookup.${key}' is '${url}', which is not an absolute http(s) URL. ` +
        `The asset-id backend plugin calls the CMDB itself (no Backstage proxy): set it to the CMDB's https:// URL ` +
        `and its credentials in 'assetId.credentials.${source}'.`,
      'invalid_policy',
      `assetId.lookup.${key}`,
    );
  }
}

/**
 * The shared asset-id service. Its default factory reads app-config `assetId`; tests (or an adopter who needs a
 * custom network fetch or store) can install `assetIdServiceFactory({ fetch, store })` instead.
 */
export const assetIdServiceRef = createServiceRef<AssetIdService>({
  id: 'asset-id.validator',
  scope: 'root',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: { config: coreServices.rootConfig, logger: coreServices.rootLogger, lifecycle: coreServices.rootLifecycle },
      factory: ({ config, logger, lifecycle }) =>
        createAssetIdService({ config, logger: logger.child({ service: 'asset-id' }), lifecycle }),
    }),
});

/** A factory for the shared service with a custom base fetch (tests, corporate HTTP agents) or store. */
export function assetIdServiceFactory(options: Pick<AssetIdServiceOptions, 'fetch' | 'store' | 'now' | 'metrics'> = {}) {
  return createServiceFactory({
    service: assetIdServiceRef,
    deps: { config: coreServices.rootConfig, logger: coreServices.rootLogger, lifecycle: coreServices.rootLifecycle },
    factory: ({ config, logger, lifecycle }) =>
      createAssetIdService({ config, logger: logger.child({ service: 'asset-id' }), lifecycle, ...options }),
  });
}

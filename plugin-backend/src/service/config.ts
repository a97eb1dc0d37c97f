/*
 * Reading the `assetId` app-config section for the backend.
 *
 * The whole section is backend config (the browser gets the format rules from `GET /api/asset-id/v1/policy`).
 * It holds the asset-id policy (schemes, maxLength, lookup, catalog) plus keys that only this package reads and
 * that are stripped before the policy reaches the WASM core (which refuses unknown keys):
 *
 *   assetId.processor.mode            'flag' (default) | 'error' | 'warn'
 *   assetId.processor.batchWindowMs   how long IDs are gathered into one lookup that a caller waits for (default 20)
 *   assetId.processor.queueWaitMs     how long an ID the processor did not find in the cache waits for batchSize - 1
 *                                     others before its lookup is sent (default 2000)
 *   assetId.processor.refresh         the refresh-ahead task: false, or { frequency, timeout, initialDelay }
 *                                     (default: on when a lookup is configured, every lookup.notFoundTtlSeconds)
 *   assetId.catalog.statusAnnotation  the annotation the processor writes (default `<catalog.annotation>-status`)
 *   assetId.cache.memoryEntries       size of each in-process verdict layer, with and without a record (LRU; 10000)
 *   assetId.cache.staleIfErrorSeconds how long a last known verdict is served while the CMDB is down (default 86400)
 *   assetId.credentials.<source>      CMDB credentials (visibility secret), handed to the core (useCredentials)
 *   assetId.backend.lookup            DEPRECATED (the proxy setup): deep-merged over `lookup`, with a warning
 */
import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  type SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { ConfigReader, type Config } from '@backstage/config';
import type { JsonObject, JsonValue } from '@backstage/types';
import { BACKEND_ONLY_KEYS } from '@asset-id/backstage-plugin-asset-id-common';
import type { Policy } from 'asset-id';

/** Config keys under `assetId` that belong to this package, not to the policy (the HTTP contract's list). */
export { BACKEND_ONLY_KEYS } from '@asset-id/backstage-plugin-asset-id-common';

/**
 * What the catalog processor does with an entity whose asset ID is not valid:
 * `flag` ingests it and writes the status annotation; `error` also emits a processing error (a new entity
 * stays out, an existing one keeps its last good version); `warn` ingests it, writes the annotation and logs.
 */
export type ProcessorMode = 'flag' | 'error' | 'warn';

export const PROCESSOR_MODES: readonly ProcessorMode[] = ['flag', 'error', 'warn'];

/** OAuth 2.0 client credentials (ServiceNow only): a token from `lookup.servicenow.tokenUrl`. */
export interface OAuthClientCredential {
  clientId: string;
  clientSecret: string;
}

/** One CMDB credential: HTTP Basic, a bearer token, or OAuth client credentials (ServiceNow). */
export type CmdbCredential =
  | { username: string; password: string }
  | { token: string }
  | OAuthClientCredential;

/** Credentials per lookup source. Each applies only to requests to that source's configured URL. */
export interface CmdbCredentials {
  servicenow?: CmdbCredential;
  http?: CmdbCredential;
  registry?: CmdbCredential;
}

export interface AssetIdCacheSettings {
  /** Entries of the in-process, least-recently-used verdict layer. */
  memoryEntries: number;
  /** How long after its TTL a verdict may still be served when the CMDB cannot answer. */
  staleIfErrorSeconds: number;
}

/** The catalog processor's settings (`assetId.processor`, and `catalog.statusAnnotation`). */
export interface AssetIdProcessorSettings {
  mode: ProcessorMode;
  /** How long IDs are gathered into one lookup that a caller waits for (router, action, processor mode error). */
  batchWindowMs: number;
  /** How long a queued ID (a cache miss of the processor in modes flag and warn) waits for a full batch. */
  queueWaitMs: number;
  statusAnnotation: string | null;
  /**
   * The refresh-ahead task's schedule (coreServices.scheduler), or null when it is off (`refresh: false`, or no
   * lookup is configured).
   */
  refresh: SchedulerServiceTaskScheduleDefinition | null;
}

export interface AssetIdBackendSettings {
  /** The policy handed to `new AssetIdValidator(policy)`. */
  policy: Policy;
  processor: AssetIdProcessorSettings;
  cache: AssetIdCacheSettings;
  credentials: CmdbCredentials;
  /** Problems worth a startup warning (deprecated keys). */
  warnings: string[];
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of JSON objects; arrays and scalars in `over` replace those in `base`. */
export function deepMerge(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isObject(prev) && isObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

function readCredential(config: Config | undefined, path: string): CmdbCredential | undefined {
  if (!config) return undefined;
  const clientId = config.getOptionalString('clientId');
  const clientSecret = config.getOptionalString('clientSecret');
  if (clientId !== undefined || clientSecret !== undefined) {
    if (!path.endsWith('.servicenow')) {
      throw new Error(`${path}: clientId / clientSecret (OAuth client credentials) are for ServiceNow only`);
    }
    if (!clientId || !clientSecret) {
      throw new Error(`${path}: OAuth client credentials need both clientId and clientSecret`);
    }
    if (config.has('token') || config.has('username')) {
      throw new Error(`${path}: expected { clientId, clientSecret } (OAuth) or { username, password } or { token }, not both`);
    }
    return { clientId, clientSecret };
  }
  const token = config.getOptionalString('token');
  if (token !== undefined) return { token };
  const username = config.getOptionalString('username');
  if (username !== undefined) {
    return { username, password: config.getOptionalString('password') ?? '' };
  }
  throw new Error(
    `${path}: expected { username, password }, { token } or (ServiceNow) { clientId, clientSecret }`,
  );
}

function readNumber(section: Config, key: string, fallback: number, min: number, max: number): number {
  const value = section.getOptionalNumber(key) ?? fallback;
  if (!(value >= min && value <= max)) {
    throw new Error(`Invalid config at 'assetId.${key}': expected a number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/**
 * Reads `assetId` from the root config. Throws a clear error when the section is missing or malformed;
 * policy semantics (unknown keys, bad regexes, ...) are checked by the WASM core, not here.
 */
export function readAssetIdSettings(rootConfig: Config): AssetIdBackendSettings {
  const section = rootConfig.getConfig('assetId');
  const raw = section.get<JsonValue>();
  if (!isObject(raw)) {
    throw new Error(`Invalid config at 'assetId': expected an object`);
  }
  const warnings: string[] = [];

  let policy: JsonObject = { ...raw };
  for (const key of BACKEND_ONLY_KEYS) delete policy[key];

  // `catalog.statusAnnotation` is this package's setting (the core's catalog rules do not need it).
  let statusAnnotation: string | null = null;
  if (isObject(policy.catalog)) {
    const { statusAnnotation: status, ...catalog } = policy.catalog;
    policy = { ...policy, catalog };
    const annotation = typeof catalog.annotation === 'string' ? catalog.annotation : undefined;
    if (status !== undefined && (typeof status !== 'string' || status.trim() === '')) {
      throw new Error(`Invalid config at 'assetId.catalog.statusAnnotation': expected a non-empty string`);
    }
    if (typeof status === 'string') statusAnnotation = status;
    else if (annotation) statusAnnotation = `${annotation}-status`;
    if (statusAnnotation !== null && statusAnnotation === annotation) {
      throw new Error(
        `Invalid config at 'assetId.catalog.statusAnnotation': '${statusAnnotation}' is the asset-ID annotation itself`,
      );
    }
  }

  const backendLookup = raw.backend && isObject(raw.backend) ? raw.backend.lookup : undefined;
  if (backendLookup !== undefined) {
    if (!isObject(backendLookup)) {
      throw new Error(`Invalid config at 'assetId.backend.lookup': expected an object`);
    }
    warnings.push(
      "asset-id: 'assetId.backend.lookup' is deprecated: the browser no longer reads 'assetId' (it asks the " +
        "asset-id backend plugin), so move these keys into 'assetId.lookup' and remove the proxy endpoint",
    );
    const lookup = isObject(policy.lookup) ? policy.lookup : {};
    policy = { ...policy, lookup: deepMerge(lookup, backendLookup) };
  }

  const modeRaw = section.getOptionalString('processor.mode') ?? 'flag';
  const mode = PROCESSOR_MODES.find(m => m === modeRaw);
  if (mode === undefined) {
    throw new Error(
      `Invalid config at 'assetId.processor.mode': expected 'flag', 'error' or 'warn', got '${modeRaw}'`,
    );
  }
  const batchWindowMs = readNumber(section, 'processor.batchWindowMs', 20, 0, 10_000);
  const queueWaitMs = readNumber(section, 'processor.queueWaitMs', 2_000, 0, 60_000);
  const refresh = readRefresh(section, policy);
  const cache: AssetIdCacheSettings = {
    memoryEntries: readNumber(section, 'cache.memoryEntries', 10_000, 1, 10_000_000),
    staleIfErrorSeconds: readNumber(section, 'cache.staleIfErrorSeconds', 86_400, 0, 30 * 86_400),
  };

  const credConfig = section.getOptionalConfig('credentials');
  const credentials: CmdbCredentials = {};
  for (const source of ['servicenow', 'http', 'registry'] as const) {
    const cred = readCredential(
      credConfig?.getOptionalConfig(source),
      `assetId.credentials.${source}`,
    );
    if (cred) credentials[source] = cred;
  }

  return {
    // The core validates the shape; the cast only hands the JSON over.
    policy: policy as unknown as Policy,
    processor: { mode, batchWindowMs, queueWaitMs, statusAnnotation, refresh },
    cache,
    credentials,
    warnings,
  };
}

/**
 * `assetId.processor.refresh`: `false` turns the refresh-ahead task off; an object sets its schedule (Backstage's
 * task schedule config: `frequency`, `timeout`, `initialDelay`, as `{ minutes: 5 }`, an ISO duration or a cron).
 * Default, when the policy has a lookup: every `lookup.notFoundTtlSeconds` (60; at most `cacheTtlSeconds`), timeout
 * the same, no initial delay.
 */
function readRefresh(section: Config, policy: JsonObject): SchedulerServiceTaskScheduleDefinition | null {
  const lookup = isObject(policy.lookup) ? policy.lookup : undefined;
  const source = lookup?.source;
  if (source === undefined || source === 'none') return null;
  const raw = section.getOptional<JsonValue>('processor.refresh');
  if (raw === false) return null;
  if (raw !== undefined && raw !== true && !isObject(raw)) {
    throw new Error(`Invalid config at 'assetId.processor.refresh': expected false or { frequency, timeout, initialDelay }`);
  }
  // Every notFoundTtlSeconds (default 60, at most cacheTtlSeconds): a verdict is renewed only when it is about to
  // expire, so answers with a record are still looked up once per cacheTtlSeconds, and not-found ones once per
  // notFoundTtlSeconds, as without the task.
  const found = typeof lookup?.cacheTtlSeconds === 'number' && lookup.cacheTtlSeconds > 0 ? lookup.cacheTtlSeconds : 300;
  const notFound = typeof lookup?.notFoundTtlSeconds === 'number' && lookup.notFoundTtlSeconds > 0 ? lookup.notFoundTtlSeconds : 60;
  const ttl = Math.min(found, notFound);
  const given = isObject(raw) ? raw : {};
  const unknown = Object.keys(given).filter(k => !['frequency', 'timeout', 'initialDelay'].includes(k));
  if (unknown.length > 0) {
    throw new Error(`Invalid config at 'assetId.processor.refresh': unknown key '${unknown[0]}' (frequency, timeout, initialDelay)`);
  }
  const withDefaults: JsonObject = { frequency: { seconds: ttl }, timeout: { seconds: ttl }, ...given };
  try {
    return readSchedulerServiceTaskScheduleDefinitionFromConfig(new ConfigReader(withDefaults));
  } catch (error) {
    throw new Error(`Invalid config at 'assetId.processor.refresh': ${error instanceof Error ? error.message : String(error)}`);
  }
}

/*
 * Reading the `assetId` app-config section for the backend.
 *
 * The section holds the SAME policy the ValidateAsset field uses (schemes, maxLength, lookup, catalog), plus
 * keys that only the backend reads and that are stripped before the policy reaches the WASM core (which
 * refuses unknown keys):
 *
 *   assetId.processor.mode      'error' (default) | 'warn'
 *   assetId.processor.batchWindowMs  how long the processor gathers IDs into one validateMany call (default 20)
 *   assetId.credentials.<source>     CMDB credentials (visibility secret), see fetch.ts
 *   assetId.backend.lookup      optional overrides deep-merged over `lookup` for the backend only, e.g. to
 *                               call the CMDB directly while the browser goes through Backstage's proxy
 */
import type { Config } from '@backstage/config';
import type { JsonObject, JsonValue } from '@backstage/types';
import type { Policy } from 'asset-id';

/** Config keys under `assetId` that belong to the backend, not to the policy. */
export const BACKEND_ONLY_KEYS = ['processor', 'credentials', 'backend'] as const;

/** What the catalog processor does with an entity whose asset ID is not valid. */
export type ProcessorMode = 'error' | 'warn';

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

export interface AssetIdBackendSettings {
  /** The policy handed to `new AssetIdValidator(policy)`. */
  policy: Policy;
  processor: { mode: ProcessorMode; batchWindowMs: number };
  credentials: CmdbCredentials;
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

  let policy: JsonObject = { ...raw };
  for (const key of BACKEND_ONLY_KEYS) delete policy[key];

  const backendLookup = raw.backend && isObject(raw.backend) ? raw.backend.lookup : undefined;
  if (backendLookup !== undefined) {
    if (!isObject(backendLookup)) {
      throw new Error(`Invalid config at 'assetId.backend.lookup': expected an object`);
    }
    const lookup = isObject(policy.lookup) ? policy.lookup : {};
    policy = { ...policy, lookup: deepMerge(lookup, backendLookup) };
  }

  const modeRaw = section.getOptionalString('processor.mode') ?? 'error';
  if (modeRaw !== 'error' && modeRaw !== 'warn') {
    throw new Error(
      `Invalid config at 'assetId.processor.mode': expected 'error' or 'warn', got '${modeRaw}'`,
    );
  }
  const batchWindowMs = section.getOptionalNumber('processor.batchWindowMs') ?? 20;
  if (!(batchWindowMs >= 0)) {
    throw new Error(`Invalid config at 'assetId.processor.batchWindowMs': expected a number >= 0`);
  }

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
    processor: { mode: modeRaw, batchWindowMs },
    credentials,
  };
}

/*
 * One asset-id validator per backend process, shared by the scaffolder action and the catalog processor.
 *
 * It is a root-scoped service: root services are created once per backend, whichever plugins' modules
 * depend on them, so the compiled policy and the validator's lookup cache (TTL, coalescing of concurrent
 * identical lookups) are shared by every caller in the process.
 */
import {
  coreServices,
  createServiceFactory,
  createServiceRef,
  type LoggerService,
  type RootConfigService,
} from '@backstage/backend-plugin-api';
import { AssetIdValidator, type FetchLike, type Verdict } from 'asset-id';
import { readAssetIdSettings, type AssetIdBackendSettings } from './config';
import { createCredentialedFetch, credentialScopes, lookupBaseUrls } from './fetch';
import { VerdictBatcher } from './batcher';

export interface AssetIdValidateOptions {
  scheme?: string;
  signal?: AbortSignal;
}

/** The backend's access to the asset-id rules. */
export interface AssetIdService {
  /** Settings read from app-config `assetId` (policy plus backend-only keys). */
  readonly settings: AssetIdBackendSettings;
  /** Format, then CMDB lookup (cached), with the backend's credentialed fetch. */
  validate(value: unknown, options?: AssetIdValidateOptions): Promise<Verdict>;
  /** Batched form of `validate`. */
  validateMany(values: unknown[], options?: AssetIdValidateOptions): Promise<Verdict[]>;
  /**
   * Like `validate`, but values that arrive within `assetId.processor.batchWindowMs` of each other are
   * looked up with one `validateMany` call. Used by the catalog processor.
   */
  validateBatched(value: string): Promise<Verdict>;
}

export interface AssetIdServiceOptions {
  config: RootConfigService;
  logger: LoggerService;
  /** The fetch that reaches the network (default: global fetch); credentials are added on top of it. */
  fetch?: FetchLike;
}

export function createAssetIdService(options: AssetIdServiceOptions): AssetIdService {
  const settings = readAssetIdSettings(options.config);
  let validator: AssetIdValidator;
  try {
    validator = new AssetIdValidator(settings.policy);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`Invalid asset-id policy in app-config 'assetId': ${message}`);
  }
  assertBackendUrls(settings);
  const { scopes, problems } = credentialScopes(settings.policy, settings.credentials);
  for (const problem of problems) options.logger.warn(problem);
  const fetch = createCredentialedFetch(scopes, options.fetch, {
    policy: settings.policy,
    // A rejected OAuth client fails every lookup with the same message; it is logged once.
    onOAuthRejected: message => options.logger.error(message),
  });

  const batcher = new VerdictBatcher(
    values => validator.validateMany(values, { fetch }),
    settings.processor.batchWindowMs,
  );
  return {
    settings,
    validate: (value, opts) => validator.validate(value, { ...opts, fetch }),
    validateMany: (values, opts) => validator.validateMany(values, { ...opts, fetch }),
    validateBatched: value => batcher.validate(value),
  };
}

/**
 * The browser reaches the CMDB through Backstage's proxy (`proxy:/servicenow`, `/api/proxy/...`), which the
 * backend cannot use as is. Refuse such a URL at startup with the fix, rather than failing every lookup.
 */
function assertBackendUrls(settings: AssetIdBackendSettings): void {
  const source = settings.policy.lookup?.source;
  if (source !== 'servicenow' && source !== 'http' && source !== 'registry') return;
  const url = lookupBaseUrls(settings.policy)[source];
  if (url === undefined) return; // e.g. inline registry records; the core reports missing required keys
  let absolute = false;
  try {
    absolute = /^https?:$/.test(new URL(url).protocol);
  } catch {
    absolute = false;
  }
  if (!absolute) {
    const key = source === 'servicenow' ? 'servicenow.baseUrl' : `${source}.url`;
    throw new Error(
      `asset-id: app-config 'assetId.lookup.${key}' is '${url}', which only the browser can use ` +
        `(through Backstage's proxy). Set 'assetId.backend.lookup.${key}' to the CMDB's absolute http(s) URL ` +
        `for the backend, and its credentials in 'assetId.credentials.${source}'.`,
    );
  }
}

/**
 * The shared asset-id service. Its default factory reads app-config `assetId`; tests (or an adopter who
 * needs a custom network fetch) can install `assetIdServiceFactory({ fetch })` instead.
 */
export const assetIdServiceRef = createServiceRef<AssetIdService>({
  id: 'asset-id.validator',
  scope: 'root',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: { config: coreServices.rootConfig, logger: coreServices.rootLogger },
      factory: ({ config, logger }) =>
        createAssetIdService({ config, logger: logger.child({ service: 'asset-id' }) }),
    }),
});

/** A factory for the shared service with a custom base fetch (tests, corporate HTTP agents). */
export function assetIdServiceFactory(options: { fetch?: FetchLike } = {}) {
  return createServiceFactory({
    service: assetIdServiceRef,
    deps: { config: coreServices.rootConfig, logger: coreServices.rootLogger },
    factory: ({ config, logger }) =>
      createAssetIdService({ config, logger: logger.child({ service: 'asset-id' }), fetch: options.fetch }),
  });
}

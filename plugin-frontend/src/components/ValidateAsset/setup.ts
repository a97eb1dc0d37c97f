/**
 * Turns Backstage APIs + a field's ui:options into a ready asset-id validator.
 *
 * - policy: app-config `assetId` merged with ui:options (see policy.ts);
 * - CMDB URLs that are not absolute go through Backstage's proxy (`discoveryApi.getBaseUrl('proxy')`);
 * - requests use `fetchApi.fetch` (the user's Backstage identity; no credentials in the browser);
 * - the WASM module is initialised once per page; validators are compiled once per distinct policy.
 */
import { AssetIdValidator, ready } from 'asset-id';
import type { FetchLike, Policy } from 'asset-id';
import {
  configApiRef,
  discoveryApiRef,
  fetchApiRef,
  type ApiHolder,
  type ConfigApi,
  type DiscoveryApi,
  type FetchApi,
} from '@backstage/core-plugin-api';
import { hasLookup, mergePolicy, needsProxy, resolvePolicyUrls, type PlainObject } from './policy';
import type { ValidateAssetUiOptions } from './schema';

/** Default delay between the last keystroke and the CMDB lookup. */
export const DEFAULT_DEBOUNCE_MS = 300;

/**
 * A mistake in the field's configuration (app-config `assetId`, `ui:options`), as opposed to a wrong
 * asset ID. Shown once, clearly, instead of breaking the form.
 * @public
 */
export class AssetIdConfigError extends Error {
  readonly code: string;
  constructor(message: string, code = 'invalid_config') {
    super(message);
    this.name = 'AssetIdConfigError';
    this.code = code;
  }
}

/** The Backstage APIs the field uses. */
export interface AssetIdApis {
  configApi?: ConfigApi;
  discoveryApi?: DiscoveryApi;
  fetchApi?: FetchApi;
}

/** Everything needed to check one field's value. */
export interface AssetIdSetup {
  validator: AssetIdValidator;
  scheme?: string;
  fetch?: FetchLike;
  /** True when the policy has a CMDB lookup (validate() does network I/O). */
  lookup: boolean;
  debounceMs: number;
  policy: PlainObject;
}

let wasmPromise: Promise<void> | undefined;
let wasmLoaded = false;

/** Initialise the WASM module once per page (a failed attempt is retried on the next call). */
export function loadAssetIdWasm(): Promise<void> {
  if (!wasmPromise) {
    wasmPromise = ready().then(
      () => {
        wasmLoaded = true;
      },
      (error: unknown) => {
        wasmPromise = undefined;
        throw new AssetIdConfigError(
          `The asset-ID validator (WebAssembly) could not be loaded: ${errorMessage(error)}`,
          'wasm_unavailable',
        );
      },
    );
  }
  return wasmPromise;
}

/** Has the WASM module been initialised on this page? */
export function isAssetIdWasmLoaded(): boolean {
  return wasmLoaded;
}

export function apisFromHolder(apiHolder: ApiHolder | undefined): AssetIdApis {
  return {
    configApi: apiHolder?.get(configApiRef),
    discoveryApi: apiHolder?.get(discoveryApiRef),
    fetchApi: apiHolder?.get(fetchApiRef),
  };
}

const validators = new Map<string, AssetIdValidator>();

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

function schemeNames(policy: PlainObject): string[] {
  const schemes = policy.schemes;
  if (!Array.isArray(schemes)) return [];
  return schemes
    .map(s => (typeof s === 'object' && s !== null ? (s as PlainObject).name : undefined))
    .filter((n): n is string => typeof n === 'string');
}

/** Compile (or reuse) the validator for a policy; a refused policy becomes an AssetIdConfigError. */
export function validatorFor(policy: PlainObject): AssetIdValidator {
  const key = JSON.stringify(policy);
  let validator = validators.get(key);
  if (!validator) {
    try {
      validator = new AssetIdValidator(policy as unknown as Policy);
    } catch (error) {
      throw new AssetIdConfigError(
        `Asset ID field misconfigured: the asset-id policy was refused (${errorMessage(
          error,
        )}). Fix the assetId section of app-config.yaml or the field's ui:options.`,
        errorCode(error) ?? 'invalid_policy',
      );
    }
    validators.set(key, validator);
  }
  return validator;
}

/** Throws an AssetIdConfigError when `scheme` is not a scheme of the validator's policy. */
function checkScheme(validator: AssetIdValidator, policy: PlainObject, scheme: string) {
  try {
    validator.checkFormat('', { scheme });
  } catch (error) {
    const known = schemeNames(policy);
    throw new AssetIdConfigError(
      `Asset ID field misconfigured: ui:options.scheme "${scheme}" is not a scheme of the policy${
        known.length ? ` (known: ${known.join(', ')})` : ''
      }.`,
      errorCode(error) ?? 'unknown_scheme',
    );
  }
}

/**
 * Resolve the policy for a field and return a ready validator. Throws AssetIdConfigError for every
 * configuration problem (no policy, refused policy, unknown scheme, missing API, WASM not loadable).
 */
export async function resolveAssetIdSetup(
  apis: AssetIdApis,
  uiOptions: ValidateAssetUiOptions | undefined,
): Promise<AssetIdSetup> {
  const merged = mergePolicy(apis.configApi?.getOptional('assetId'), uiOptions);
  if (!merged) {
    throw new AssetIdConfigError(
      'Asset ID field misconfigured: no asset-id policy. Add an `assetId` section (schemes, lookup) to app-config.yaml, or `schemes` to the field\'s ui:options. (The app must depend on this package: its config schema makes `assetId` visible to the frontend.)',
      'no_policy',
    );
  }
  let policy = merged;
  if (needsProxy(merged)) {
    if (!apis.discoveryApi) {
      throw new AssetIdConfigError(
        'Asset ID field misconfigured: a lookup URL is relative to the Backstage proxy but no discoveryApi is available.',
      );
    }
    const proxyBaseUrl = await apis.discoveryApi.getBaseUrl('proxy');
    try {
      policy = resolvePolicyUrls(merged, proxyBaseUrl);
    } catch (error) {
      throw new AssetIdConfigError(
        `Asset ID field misconfigured: ${errorMessage(error)}. Fix assetId.lookup in app-config.yaml or the field's ui:options.`,
        errorCode(error),
      );
    }
  }
  await loadAssetIdWasm();
  const validator = validatorFor(policy);
  const scheme = uiOptions?.scheme;
  if (scheme !== undefined) checkScheme(validator, policy, scheme);
  const fetchApi = apis.fetchApi;
  return {
    validator,
    scheme,
    fetch: fetchApi ? (input, init) => fetchApi.fetch(input, init) : undefined,
    lookup: hasLookup(policy),
    debounceMs: uiOptions?.debounceMs ?? DEFAULT_DEBOUNCE_MS,
    policy,
  };
}

/** The message shown for a configuration problem (AssetIdConfigError or anything unexpected). */
export function configErrorMessage(error: unknown): string {
  if (error instanceof AssetIdConfigError) return error.message;
  return `Asset ID field misconfigured: ${errorMessage(error)}`;
}

/** Drop compiled validators (tests). */
export function clearAssetIdValidatorCache(): void {
  for (const v of validators.values()) v.free();
  validators.clear();
}

/**
 * What the field and the entity card share: the WASM core loaded once per page, the backend's policy
 * compiled once per policy (format feedback and the catalog rules run in the browser, no I/O), and the
 * policy's search. The backend is reached only through the {@link AssetIdApi} (`assetIdApiRef`).
 */
import { AssetIdValidator, ready } from 'asset-id/format';
import type { Policy } from 'asset-id/format';
import { AssetIdConfigError, errorMessage } from '../errors';
import {
  DEFAULT_SEARCH_MIN_LENGTH,
  MAX_SEARCH_QUERY_LENGTH,
  formatRules,
  searchSettings,
  type FormatPolicy,
  type SchemeOption,
  type SearchResult,
} from './AssetIdClient';
import type { AssetIdApi } from './AssetIdApi';

/** The field's search: records matching a text, under the field's narrowing. */
export interface FieldSearch {
  /** Shortest text searched (the policy's `lookup.search.minLength`). */
  minLength: number;
  /** Longest text searched. */
  maxLength: number;
  run(query: string, signal?: AbortSignal): Promise<SearchResult>;
}

/** The search of a policy, or undefined when the policy has no `lookup.search`. */
export function searchFor(
  client: AssetIdApi,
  policy: FormatPolicy,
  scheme: SchemeOption | undefined,
): FieldSearch | undefined {
  const settings = searchSettings(policy);
  if (!settings) return undefined;
  const min = settings.minLength;
  const minLength =
    typeof min === 'number' && Number.isInteger(min) && min >= 1 ? Math.min(min, MAX_SEARCH_QUERY_LENGTH) : DEFAULT_SEARCH_MIN_LENGTH;
  return {
    minLength,
    maxLength: MAX_SEARCH_QUERY_LENGTH,
    run: (query, signal) => client.search(query, scheme === undefined ? { signal } : { scheme, signal }),
  };
}

let wasmPromise: Promise<void> | undefined;

/** Initialise the WASM module once per page (a failed attempt is retried on the next call). */
export function loadAssetIdWasm(): Promise<void> {
  if (!wasmPromise) {
    wasmPromise = ready().catch((error: unknown) => {
      wasmPromise = undefined;
      throw new AssetIdConfigError(
        `The asset-ID validator (WebAssembly) could not be loaded: ${errorMessage(error)}`,
        'wasm_unavailable',
      );
    });
  }
  return wasmPromise;
}

const validators = new Map<string, AssetIdValidator>();

/** Compile (or reuse) the validator for a policy; a refused policy becomes an AssetIdConfigError. */
export function validatorFor(policy: FormatPolicy): AssetIdValidator {
  // only the format rules: the browser's `lookup` (search settings, request link) has no source to compile
  const rules = formatRules(policy);
  const key = JSON.stringify(rules);
  let validator = validators.get(key);
  if (!validator) {
    try {
      validator = new AssetIdValidator(rules as Policy);
    } catch (error) {
      const path = (error as { path?: unknown }).path;
      throw new AssetIdConfigError(
        `Asset ID field misconfigured: this page's asset-id core refused the backend's policy (${errorMessage(
          error,
        )}). Fix the backend's app-config assetId, or align the asset-id versions of the app and the backend.`,
        'invalid_policy',
        typeof path === 'string' ? path : undefined,
      );
    }
    validators.set(key, validator);
  }
  return validator;
}

/** The backend's policy, and the WASM ready to compile it. */
export async function loadPolicy(client: AssetIdApi): Promise<FormatPolicy> {
  const [policy] = await Promise.all([client.getPolicy(), loadAssetIdWasm()]);
  return policy;
}

/** Drop compiled validators (tests). */
export function clearAssetIdValidatorCache(): void {
  for (const v of validators.values()) v.free();
  validators.clear();
}

/** The app's asset-id API, or the configuration error naming what to install. */
export function requireAssetIdApi(api: AssetIdApi | undefined): AssetIdApi {
  if (!api) {
    throw new AssetIdConfigError(
      'asset-id misconfigured: the app has no asset-id API (assetIdApiRef), so the asset-id backend cannot be ' +
        'reached. Install the asset-id frontend plugin: the default export of ' +
        '@asset-id/backstage-plugin-scaffolder-asset-id/alpha (new frontend system), or assetIdPlugin in the ' +
        "legacy app's plugins (its field and card register it when they are in the app's routes).",
      'backend_unavailable',
    );
  }
  return api;
}

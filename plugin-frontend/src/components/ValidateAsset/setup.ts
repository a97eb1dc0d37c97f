/**
 * Turns Backstage APIs + a field's ui:options into what the field needs:
 *
 * - the backend's format policy (`/v1/policy`, once per page), compiled once in WASM for format feedback
 *   on every keystroke, narrowed by `ui:options.scheme`;
 * - the lookup: `/v1/validate` on the asset-id backend plugin (through `fetchApi`), never the CMDB.
 */
import { AssetIdValidator, ready } from 'asset-id/format';
import type { Policy, Verdict } from 'asset-id/format';
import {
  discoveryApiRef,
  fetchApiRef,
  type ApiHolder,
  type DiscoveryApi,
  type FetchApi,
} from '@backstage/core-plugin-api';
import { AssetIdConfigError, errorMessage } from '../../errors';
import {
  DEFAULT_SEARCH_MIN_LENGTH,
  MAX_SEARCH_QUERY_LENGTH,
  assetIdClientFor,
  formatRules,
  searchSettings,
  type AssetIdClient,
  type FormatPolicy,
  type SchemeOption,
  type SearchResult,
} from '../../api/AssetIdClient';
import { safeLink } from '../../messages';
import { readFieldOptions, schemeList } from './options';

/** The Backstage APIs the field and the card use. */
export interface AssetIdApis {
  discoveryApi?: DiscoveryApi;
  fetchApi?: FetchApi;
}

export function apisFromHolder(apiHolder: ApiHolder | undefined): AssetIdApis {
  return { discoveryApi: apiHolder?.get(discoveryApiRef), fetchApi: apiHolder?.get(fetchApiRef) };
}

/** Everything needed to check one field's value. */
export interface FieldSetup {
  /** Synchronous format check (WASM, no I/O) under the field's narrowing. */
  checkFormat(value: unknown): Verdict;
  /** The backend's verdict (format, then the CMDB lookup) under the field's narrowing. */
  lookup(value: string): Promise<Verdict>;
  scheme?: SchemeOption;
  debounceMs: number;
  policy: FormatPolicy;
  /** The record picker's search, when the policy has `lookup.search` and `ui:options.search` is not false. */
  search?: FieldSearch;
  /** The policy's `lookup.requestUrl` when it is an http(s) URL (the "Request a new asset ID" link). */
  requestUrl?: string;
}

/** The field's search: records matching a text, under the field's narrowing. */
export interface FieldSearch {
  /** Shortest text searched (the policy's `lookup.search.minLength`). */
  minLength: number;
  /** Longest text searched. */
  maxLength: number;
  run(query: string, signal?: AbortSignal): Promise<SearchResult>;
}

/** (Kept here for the card: the one rule lives in messages.ts.) */
export { safeLink };

/** The search of a policy, or undefined when the policy has no `lookup.search`. */
export function searchFor(
  client: AssetIdClient,
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

/** Throws an AssetIdConfigError (code `unknown_scheme`) when a name is not a scheme of the policy. */
function checkSchemeNames(validator: AssetIdValidator, names: string[]) {
  const known = validator.schemeNames();
  const unknown = names.filter(n => !known.includes(n));
  if (unknown.length) {
    throw new AssetIdConfigError(
      `Asset ID field misconfigured: ui:options.scheme ${unknown.map(n => JSON.stringify(n)).join(', ')} ${
        unknown.length === 1 ? 'is not a scheme' : 'are not schemes'
      } of the policy (known: ${known.join(', ')}).`,
      'unknown_scheme',
      'ui:options.scheme',
    );
  }
}

/** The format check for a narrowing: the core's `scheme` option, one name or a list. */
function formatChecker(policy: FormatPolicy, scheme: SchemeOption | undefined): (value: unknown) => Verdict {
  const validator = validatorFor(policy);
  if (scheme === undefined) return value => validator.checkFormat(value);
  const names = schemeList(scheme);
  checkSchemeNames(validator, names);
  return value => validator.checkFormat(value, { scheme: names });
}

function requireApis(apis: AssetIdApis): { discoveryApi: DiscoveryApi; fetchApi: FetchApi } {
  if (!apis.discoveryApi || !apis.fetchApi) {
    throw new AssetIdConfigError(
      'Asset ID field misconfigured: the app provides no discoveryApi/fetchApi, so the asset-id backend cannot be reached.',
      'backend_unavailable',
    );
  }
  return { discoveryApi: apis.discoveryApi, fetchApi: apis.fetchApi };
}

/** The page's asset-id backend client for these APIs. */
export function clientFor(apis: AssetIdApis): AssetIdClient {
  const { discoveryApi, fetchApi } = requireApis(apis);
  return assetIdClientFor(discoveryApi, fetchApi);
}

/** The backend's policy, and the WASM ready to compile it. */
export async function loadPolicy(client: AssetIdClient): Promise<FormatPolicy> {
  const [policy] = await Promise.all([client.getPolicy(), loadAssetIdWasm()]);
  return policy;
}

/**
 * Resolve one field: ui:options first (a refused key is reported even when the backend is down), then the
 * backend's policy, compiled in WASM. Throws AssetIdConfigError for every setup problem.
 */
export async function resolveFieldSetup(apis: AssetIdApis, uiOptions: unknown): Promise<FieldSetup> {
  const options = readFieldOptions(uiOptions);
  const client = clientFor(apis);
  const policy = await loadPolicy(client);
  const checkFormat = formatChecker(policy, options.scheme);
  const search = options.search ? searchFor(client, policy, options.scheme) : undefined;
  const requestUrl = safeLink(policy.lookup?.requestUrl);
  return {
    checkFormat,
    lookup: async value => (await client.validate([value], options.scheme))[0],
    scheme: options.scheme,
    debounceMs: options.debounceMs,
    policy,
    ...(search ? { search } : {}),
    ...(requestUrl ? { requestUrl } : {}),
  };
}

/** Drop compiled validators (tests). */
export function clearAssetIdValidatorCache(): void {
  for (const v of validators.values()) v.free();
  validators.clear();
}

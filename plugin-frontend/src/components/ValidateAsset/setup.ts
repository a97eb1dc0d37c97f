/**
 * Turns the app's asset-id API + a field's ui:options into what the field needs:
 *
 * - the backend's format policy (`/v1/policy`, once per page through `assetIdApiRef`), compiled once in WASM
 *   for format feedback on every keystroke, narrowed by `ui:options.scheme`;
 * - the lookup: `/v1/validate` on the asset-id backend plugin, never the CMDB.
 */
import type { AssetIdValidator, Verdict } from 'asset-id/format';
import type { ApiHolder } from '@backstage/core-plugin-api';
import { AssetIdConfigError } from '../../errors';
import type { FormatPolicy, SchemeOption } from '../../api/AssetIdClient';
import { assetIdApiRef, type AssetIdApi } from '../../api/AssetIdApi';
import { loadPolicy, requireAssetIdApi, searchFor, validatorFor, type FieldSearch } from '../../api/policy';
import { safeLink } from '../../messages';
import { readFieldOptions, schemeList } from './options';

/** The app's asset-id API from an API holder (the scaffolder validator's `context.apiHolder`). */
export function assetIdApiFrom(apiHolder: ApiHolder | undefined): AssetIdApi | undefined {
  return apiHolder?.get(assetIdApiRef);
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

/**
 * Resolve one field: ui:options first (a refused key is reported even when the backend is down), then the
 * backend's policy, compiled in WASM. Throws AssetIdConfigError for every setup problem.
 */
export async function resolveFieldSetup(api: AssetIdApi | undefined, uiOptions: unknown): Promise<FieldSetup> {
  const options = readFieldOptions(uiOptions);
  const client = requireAssetIdApi(api);
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


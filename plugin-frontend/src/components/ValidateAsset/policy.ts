/**
 * Pure policy plumbing for the ValidateAsset field: merge the field's ui:options over the app-config
 * policy, and resolve CMDB URLs that point at Backstage's proxy. No I/O, no WASM.
 */
import type { ValidateAssetUiOptions } from './schema';

/** A JSON-like object. */
export type PlainObject = { [key: string]: unknown };

/** Keys of `ui:options` that are policy keys (merged over app-config); the others steer the field. */
export const POLICY_KEYS = ['schemes', 'maxLength', 'lookup'] as const;

/**
 * The keys of the app-config `assetId` section that make up the policy. The section also holds
 * backend-only keys (`backend`, `credentials`, `processor`, read by plugin-backend) that never reach
 * the browser and are not part of the policy.
 */
export const APP_CONFIG_POLICY_KEYS = ['schemes', 'maxLength', 'lookup', 'catalog'] as const;

/** The marker of a proxy-relative URL: `proxy:/servicenow` means `<proxy base URL>/servicenow`. */
export const PROXY_PREFIX = 'proxy:';

/** Where URL-valued lookup settings live in the policy. */
const URL_PATHS: ReadonlyArray<readonly [string, string]> = [
  ['servicenow', 'baseUrl'],
  ['http', 'url'],
  ['registry', 'url'],
];

export function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge: objects key by key, everything else (arrays included) replaced by `over`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: PlainObject = { ...base };
    for (const [key, value] of Object.entries(over)) {
      out[key] = deepMerge(base[key], value);
    }
    return out;
  }
  return over;
}

/**
 * The policy for one field: the app-config `assetId` section with the policy keys of the field's
 * `ui:options` merged over it. `lookup: false` removes the lookup. Returns undefined when there is no
 * policy at all.
 */
export function mergePolicy(
  appPolicy: unknown,
  uiOptions: ValidateAssetUiOptions | undefined,
): PlainObject | undefined {
  let base: PlainObject | undefined;
  if (isPlainObject(appPolicy)) {
    for (const key of APP_CONFIG_POLICY_KEYS) {
      if (appPolicy[key] !== undefined) base = { ...base, [key]: appPolicy[key] };
    }
  }
  let overrides: PlainObject | undefined;
  let dropLookup = false;
  for (const key of POLICY_KEYS) {
    const value = uiOptions?.[key];
    if (value === undefined) continue;
    if (key === 'lookup' && value === false) {
      dropLookup = true;
      continue;
    }
    overrides = { ...overrides, [key]: value };
  }
  if (!base && !overrides) return undefined;
  const merged = deepMerge(base ?? {}, overrides) as PlainObject;
  if (dropLookup) {
    const { lookup: _dropped, ...rest } = merged;
    return rest;
  }
  return merged;
}

/** True for `scheme://...` URLs (http, https, ...); everything else is relative to the proxy. */
export function isAbsoluteUrl(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url);
}

/**
 * Resolve one URL setting (the convention):
 * - absolute URLs (`https://...`) stay as they are;
 * - `proxy:/endpoint/rest` becomes `<proxyBaseUrl>/endpoint/rest`, i.e. Backstage's proxy endpoint
 *   `/endpoint` (`discoveryApi.getBaseUrl('proxy')` + path) - the recommended form;
 * - a root-relative path (`/api/proxy/endpoint/rest`) is resolved against the proxy base URL like a
 *   link, i.e. on the backend's origin;
 * - anything else is a configuration error.
 */
export function resolveProxyUrl(url: string, proxyBaseUrl: string): string {
  if (isAbsoluteUrl(url)) return url;
  if (url.startsWith(PROXY_PREFIX)) {
    let path = url.slice(PROXY_PREFIX.length);
    if (!path.startsWith('/')) path = `/${path}`;
    return `${proxyBaseUrl.replace(/\/+$/, '')}${path}`;
  }
  if (url.startsWith('/') && !url.startsWith('//')) return `${new URL(proxyBaseUrl).origin}${url}`;
  const error = new Error(
    `lookup URL "${url}" is neither absolute (https://...) nor a Backstage proxy URL (proxy:/endpoint/... or /api/proxy/endpoint/...)`,
  );
  (error as Error & { code: string }).code = 'invalid_url';
  throw error;
}

/** Does the policy have URL settings that need the proxy base URL? */
export function needsProxy(policy: PlainObject): boolean {
  const lookup = policy.lookup;
  if (!isPlainObject(lookup)) return false;
  return URL_PATHS.some(([section, key]) => {
    const holder = lookup[section];
    const url = isPlainObject(holder) ? holder[key] : undefined;
    return typeof url === 'string' && !isAbsoluteUrl(url);
  });
}

/** A copy of the policy whose lookup URLs are absolute. */
export function resolvePolicyUrls(policy: PlainObject, proxyBaseUrl: string): PlainObject {
  const lookup = policy.lookup;
  if (!isPlainObject(lookup)) return policy;
  const resolved: PlainObject = { ...lookup };
  for (const [section, key] of URL_PATHS) {
    const holder = lookup[section];
    if (!isPlainObject(holder)) continue;
    const url = holder[key];
    if (typeof url === 'string') {
      resolved[section] = { ...holder, [key]: resolveProxyUrl(url, proxyBaseUrl) };
    }
  }
  return { ...policy, lookup: resolved };
}

/** Is a CMDB lookup configured (a lookup whose source is not `none`)? */
export function hasLookup(policy: PlainObject): boolean {
  const lookup = policy.lookup;
  return isPlainObject(lookup) && lookup.source !== undefined && lookup.source !== 'none';
}

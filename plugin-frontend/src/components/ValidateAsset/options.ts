/**
 * The field's `ui:options`: they may only NARROW the backend's policy. Pure, no I/O.
 *
 * - `scheme`: a scheme name or a list of names: accept only these schemes of the policy;
 * - `debounceMs`: delay between the last keystroke and the backend lookup;
 * - `search`: `false` turns the record picker off (it is on when the backend's policy has `lookup.search`).
 *
 * A policy key (`schemes`, `maxLength`, `lookup`, `catalog`) or a key of the backend's `assetId` section
 * (`backend`, `credentials`, `processor`, `cache`: the -common package's BACKEND_ONLY_KEYS) is refused: the policy lives in ONE place, the backend's
 * app-config `assetId`. Other keys are rjsf's or the scaffolder's (`hideError`, `label`, ...) and left alone.
 */
import type { Policy } from 'asset-id/format';
import { BACKEND_ONLY_KEYS } from '@asset-id/backstage-plugin-asset-id-common';
import { AssetIdConfigError } from '../../errors';
import type { SchemeOption } from '../../api/AssetIdClient';

/** The policy's top-level keys (checked against the core's `Policy` type below). */
export const POLICY_KEYS = ['schemes', 'maxLength', 'lookup', 'catalog'] as const;
// fails to compile when the core's Policy gains a key this list does not name
type MissingPolicyKey = Exclude<keyof Policy, (typeof POLICY_KEYS)[number]>;
const everyPolicyKeyListed: [MissingPolicyKey] extends [never] ? true : never = true;
void everyPolicyKeyListed;

/** Keys of the backend's `assetId` section that are not policy (backend-only settings: the contract's). */
export const BACKEND_SECTION_KEYS = BACKEND_ONLY_KEYS;

/** Default delay between the last keystroke and the backend lookup. */
export const DEFAULT_DEBOUNCE_MS = 300;
/** Delay between the last keystroke and the record search (`POST /v1/search`). */
export const SEARCH_DEBOUNCE_MS = 250;
/** Largest accepted `debounceMs`. */
export const MAX_DEBOUNCE_MS = 10_000;
/** Most scheme names `ui:options.scheme` may list. */
export const MAX_SCHEME_NAMES = 32;
/** Longest scheme name accepted in `ui:options.scheme`. */
export const MAX_SCHEME_NAME_LENGTH = 128;

/** What the field takes from its `ui:options`. */
export interface FieldOptions {
  /** The narrowing sent to the backend and applied to the format check; undefined: every scheme. */
  scheme?: SchemeOption;
  debounceMs: number;
  /** Offer the record picker when the policy has `lookup.search` (default true; `ui:options.search: false`). */
  search: boolean;
}

function refuse(key: string, message: string): never {
  throw new AssetIdConfigError(`Asset ID field misconfigured: ui:options.${key} ${message}`, 'invalid_options', `ui:options.${key}`);
}

/** Read the field's `ui:options`; throws one AssetIdConfigError (code `invalid_options`) naming the key. */
export function readFieldOptions(uiOptions: unknown): FieldOptions {
  if (uiOptions === undefined || uiOptions === null) return { debounceMs: DEFAULT_DEBOUNCE_MS, search: true };
  if (typeof uiOptions !== 'object' || Array.isArray(uiOptions)) {
    throw new AssetIdConfigError('Asset ID field misconfigured: ui:options must be an object', 'invalid_options', 'ui:options');
  }
  const options = uiOptions as Record<string, unknown>;
  for (const key of [...POLICY_KEYS, ...BACKEND_SECTION_KEYS]) {
    if (options[key] !== undefined) {
      refuse(
        key,
        'is not allowed: the asset-id policy lives in the backend app-config `assetId` (shared by the form, the ' +
          'scaffolder action and the catalog). A template may only narrow it with ui:options.scheme (a scheme name or a list of names).',
      );
    }
  }
  let scheme: SchemeOption | undefined;
  const rawScheme = options.scheme;
  const isName = (s: unknown): s is string =>
    typeof s === 'string' && s.trim() !== '' && s.length <= MAX_SCHEME_NAME_LENGTH;
  if (rawScheme !== undefined) {
    if (isName(rawScheme)) scheme = rawScheme;
    else if (Array.isArray(rawScheme) && rawScheme.length > 0 && rawScheme.length <= MAX_SCHEME_NAMES && rawScheme.every(isName)) {
      scheme = [...new Set(rawScheme as string[])];
    } else {
      refuse(
        'scheme',
        `must be a scheme name or a non-empty list of at most ${MAX_SCHEME_NAMES} names (each 1..${MAX_SCHEME_NAME_LENGTH} characters)`,
      );
    }
  }
  let debounceMs = DEFAULT_DEBOUNCE_MS;
  const rawDebounce = options.debounceMs;
  if (rawDebounce !== undefined) {
    if (typeof rawDebounce !== 'number' || !Number.isInteger(rawDebounce) || rawDebounce < 0 || rawDebounce > MAX_DEBOUNCE_MS) {
      refuse('debounceMs', `must be a whole number of milliseconds from 0 to ${MAX_DEBOUNCE_MS}`);
    }
    debounceMs = rawDebounce;
  }
  const rawSearch = options.search;
  if (rawSearch !== undefined && typeof rawSearch !== 'boolean') {
    refuse('search', 'must be true or false (false turns the record picker off)');
  }
  const search = rawSearch !== false;
  return scheme === undefined ? { debounceMs, search } : { scheme, debounceMs, search };
}

/** The scheme names of a narrowing, as a list. */
export function schemeList(scheme: SchemeOption): string[] {
  return typeof scheme === 'string' ? [scheme] : scheme;
}

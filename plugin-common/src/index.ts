/**
 * The HTTP contract of the asset-id Backstage plugins, shared by the backend plugin (which serves it) and the
 * frontend package (which calls it): the request and response types of `/api/asset-id/v1/*`, the limits on
 * what a caller sends (one value each, enforced by the backend, read by the frontend), and the `assetId`
 * config keys that stay in the backend.
 *
 * Types only come from `asset-id/format` (a peer: both plugins depend on `asset-id`); nothing here runs the
 * rules or does I/O.
 *
 * @packageDocumentation
 */
import type { AssetRecord, CatalogPolicy, Scheme, Verdict } from 'asset-id/format';

/** The backend plugin's id (`createBackendPlugin({ pluginId: 'asset-id' })`): the API is at `/api/asset-id`. @public */
export const ASSET_ID_PLUGIN_ID = 'asset-id';

/** The npm package of the backend plugin (named in errors when the plugin is missing). @public */
export const ASSET_ID_BACKEND_PACKAGE = '@asset-id/backstage-plugin-asset-id-backend';

/** Largest JSON request body the backend accepts (`POST /v1/validate`, `/v1/search`, the actions' input): 64 KiB. @public */
export const MAX_BODY_BYTES = 65_536;

/** Most values in one `POST /v1/validate`. @public */
export const MAX_VALUES = 100;

/** Most scheme names in a `scheme` list (`POST /v1/validate`, `/v1/search`, the actions). @public */
export const MAX_SCHEME_NAMES = 64;

/** Longest search text, in characters (the core's). @public */
export const MAX_QUERY_CHARS = 64;

/** Largest `limit` of one `POST /v1/search`. @public */
export const MAX_SEARCH_LIMIT = 50;

/**
 * Most entities `GET /v1/coverage` counts. Above it the answer says so (`complete: false`) and counts the first
 * this many the catalog returned; it never passes a partial count off as the whole. @public
 */
export const MAX_COVERAGE_ENTITIES = 20_000;

/**
 * Most statuses a `GET /v1/coverage` answer lists in `byStatus` besides `other`, one of
 * them kept for `valid` (so `valid` is always listed): a further status counts as `other`. @public
 */
export const MAX_COVERAGE_STATUSES = 64;

/** Most owner lines in a `GET /v1/coverage` answer (the owners with most entities first; see `ownersOmitted`). @public */
export const MAX_COVERAGE_OWNERS = 2_000;

/** Longest owner ref or status name in a `GET /v1/coverage` answer: a longer one is cut to this many characters. @public */
export const MAX_COVERAGE_NAME_CHARS = 256;

/**
 * Keys under app-config `assetId` that belong to the backend package, not to the policy: never sent to the
 * browser, and refused in a field's `ui:options`. @public
 */
export const BACKEND_ONLY_KEYS = ['processor', 'credentials', 'backend', 'cache'] as const;

/** One of {@link BACKEND_ONLY_KEYS}. @public */
export type BackendOnlyKey = (typeof BACKEND_ONLY_KEYS)[number];

/** A scheme name, or a list of 1 to {@link MAX_SCHEME_NAMES} names: narrows a request to those schemes. @public */
export type SchemeOption = string | readonly string[];

/** `POST /v1/validate` request body. @public */
export interface ValidateRequest {
  /** 1 to {@link MAX_VALUES} values, as written (a non-string value gets a verdict too). */
  values: readonly unknown[];
  scheme?: SchemeOption;
}

/** `POST /v1/validate` answer: one verdict per value, in input order. @public */
export interface ValidateResponse {
  results: Verdict[];
}

/** `POST /v1/search` request body. @public */
export interface SearchRequest {
  /** At most {@link MAX_QUERY_CHARS} characters (and at least the policy's `lookup.search.minLength`). */
  query: string;
  scheme?: SchemeOption;
  /** 1 to {@link MAX_SEARCH_LIMIT}. */
  limit?: number;
}

/** `POST /v1/search` answer: `more` when the CMDB had more matches than `limit`. @public */
export interface SearchResponse {
  results: AssetRecord[];
  more: boolean;
}

/** The search settings `GET /v1/policy` hands to the browser (present: the backend answers `POST /v1/search`). @public */
export interface BrowserSearchSettings {
  /** Shortest text searched. */
  minLength?: number;
  /** Results per search. */
  limit?: number;
}

/** The browser-safe part of the policy's `lookup`: no source, CMDB URL or credential. @public */
export interface BrowserLookupSettings {
  /** The browser never looks anything up in the CMDB itself. */
  source: 'none';
  search?: BrowserSearchSettings;
  /** Where developers ask for a new asset ID (a link; never requested by the plugins). */
  requestUrl?: string;
}

/** The policy as `GET /v1/policy` hands it out: the format rules, and at most the browser-safe lookup settings. @public */
export interface FormatPolicy {
  schemes: Scheme[];
  maxLength?: number;
  catalog?: CatalogPolicy;
  /** Only when the policy has `lookup.search` or `lookup.requestUrl`. */
  lookup?: BrowserLookupSettings;
}

/** `GET /v1/policy` answer. @public */
export interface PolicyResponse {
  policy: FormatPolicy;
}

/**
 * The statuses `GET /v1/coverage` counts: what the catalog processor writes to the status annotation
 * (`valid`, the first error code such as `retired`, `not_found`, `missing_annotation`, `pattern_mismatch`,
 * `unavailable` while the CMDB cannot answer, `pending` while a lookup is queued), and `unchecked` for an entity
 * without a status annotation (not processed yet, or no asset ID where the policy does not require one).
 * @public
 */
export type CoverageStatus =
  | 'valid'
  | 'retired'
  | 'not_found'
  | 'missing_annotation'
  | 'unavailable'
  | 'pending'
  | 'unchecked'
  | 'other'
  | (string & {});

/**
 * One owner's line of `GET /v1/coverage`: `spec.owner` as an entity ref as the catalog reads it (kind Group and the
 * entity's namespace by default: `guests` is `group:default/guests`; a value that is no ref as written, trimmed),
 * at most 256 characters, or `unowned`. @public
 */
export interface CoverageOwner {
  owner: string;
  total: number;
  valid: number;
}

/** `GET /v1/coverage` answer: the asset-ID statuses of the catalog entities the caller may see. @public */
export interface CoverageResponse {
  /** Entities counted. */
  total: number;
  /** Entities per status (only statuses that occur; the keys are {@link CoverageStatus} values). */
  byStatus: Record<string, number>;
  /** Entities per owner, the owner with most entities first. */
  byOwner: CoverageOwner[];
  /** The entity kinds counted (the policy's `catalog.kinds`). */
  kinds: string[];
  /** The most entities counted ({@link MAX_COVERAGE_ENTITIES}). */
  limit: number;
  /** false when the catalog holds more than `limit` such entities: the counts are of the first `limit`. */
  complete: boolean;
  /** When the answer was computed (ISO 8601). */
  generatedAt: string;
  /**
   * The annotation the statuses are read from (the processor's `catalog.statusAnnotation`), for a client that
   * lists the entities of a status through the catalog API. Sent by every backend since this field was added.
   */
  statusAnnotation?: string;
  /** Owner lines left out past {@link MAX_COVERAGE_OWNERS} (their entities are in `total` and `byStatus`); 0 or absent when none. */
  ownersOmitted?: number;
}

/** The error body every failed request gets (Backstage's error shape, e.g. `InputError` for a 400). @public */
export interface ErrorResponse {
  error: { name: string; message: string };
}

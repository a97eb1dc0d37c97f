//! The TypeScript section of the generated `.d.ts` and the JS types of the class's arguments.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Stable, machine-readable issue codes (the Rust `IssueCode`; a test keeps the two equal). */
export type IssueCode =
  | 'empty' | 'invalid_type' | 'too_long' | 'invalid_characters' | 'pattern_mismatch'
  | 'checksum_mismatch' | 'not_found' | 'retired' | 'ambiguous' | 'lookup_unavailable'
  | 'missing_annotation' | 'invalid_yaml'
  | 'unreadable_file' | 'invalid_location' | 'invalid_placeholder' | 'duplicate_asset_id';
/**
 * Stable codes of a caller's mistake, the `code` of a thrown {@link AssetIdError} (the Rust
 * `CallerErrorCode`; a test keeps the two equal): a refused policy, an unknown `scheme` option,
 * an argument of the wrong type.
 */
export type CallerErrorCode = 'invalid_policy' | 'unknown_scheme' | 'invalid_argument';
/** Same as {@link CallerErrorCode}. */
export type AssetIdErrorCode = CallerErrorCode;
export type Severity = 'error' | 'warning';
export interface Issue { code: IssueCode; severity: Severity; message: string; hint?: string }
export interface AssetRecord {
  id: string; name?: string; status?: string;
  fields: Record<string, string | number | boolean | null | object>;
  /** The record in the CMDB's own UI (`lookup.recordUrl` with the ID filled in), when set. */
  url?: string;
}
export interface Verdict {
  /** The value as given (null when not a string). */
  input: string | null;
  /** No issue of severity "error". */
  valid: boolean;
  /** The normalized ID when valid, else null. */
  value: string | null;
  /** The scheme that accepted the value. */
  scheme: string | null;
  /** Errors and warnings, most useful first. */
  issues: Issue[];
  /** Present once a lookup ran: the record, or null when there is none. */
  record?: AssetRecord | null;
}
export type NormalizeStep = 'trim' | 'uppercase' | 'lowercase' | 'strip-whitespace' | 'strip-hyphens';
export type ChecksumAlgorithm = 'none' | 'luhn' | 'mod97-10';
export interface Scheme {
  name: string;
  /** Rust regex syntax, matched against the whole normalized value. */
  pattern: string;
  normalize?: NormalizeStep[];
  checksum?: ChecksumAlgorithm;
  example?: string;
  description?: string;
  hint?: string;
}
export interface ServiceNowLookup {
  baseUrl: string; table?: string; idField?: string; fields?: string[]; batchSize?: number;
  /** OAuth client-credentials token endpoint (default `{baseUrl}/oauth_token.do`). */
  tokenUrl?: string;
}
export interface HttpLookup {
  url: string; recordPointer?: string; notFoundStatus?: number[]; idField?: string;
  /** Search URL template with `{q}` (percent-encoded) in its query part. */
  searchUrl?: string;
  /** JSON pointer to the list of records in a search answer (default: the whole body). */
  searchPointer?: string;
}
/** `lookup.search`: finding records by (part of) their name or ID. */
export interface SearchPolicy {
  /** Fields matched (default `[name, <idField>]`). */
  fields?: string[];
  /** Shortest text searched (default 2). */
  minLength?: number;
  /** Results per search (default 10, at most 50). */
  limit?: number;
  /** Retired records are results too (default false). */
  includeRetired?: boolean;
  /** How long an answer is reused (default 60). */
  cacheTtlSeconds?: number;
}
export interface RegistryRecord { id: string; [field: string]: string | number | boolean | null | undefined }
export interface RegistryLookup { records?: RegistryRecord[]; path?: string; url?: string }
export interface LookupPolicy {
  source: 'servicenow' | 'http' | 'registry' | 'none';
  servicenow?: ServiceNowLookup;
  http?: HttpLookup;
  registry?: RegistryLookup;
  retiredWhen?: Record<string, string[]>;
  cacheTtlSeconds?: number;
  notFoundTtlSeconds?: number;
  /** Per request, 429 retries included (default 5000); counted from when the request is sent. */
  timeoutMs?: number;
  /** Cap on one answer's body in bytes (default 8 MiB; `Content-Length` up front, then while
   * streaming); beyond it `lookup_unavailable`. */
  maxResponseBytes?: number;
  /** Cap on requests in flight at once per validator (default 8); further requests queue in order
   * and their `timeoutMs` starts when they are sent. */
  maxConcurrency?: number;
  onUnavailable?: 'error' | 'warning';
  /**
   * Link to a record in the CMDB's UI, filled into `record.url`: an absolute http(s) URL
   * template with `{id}` (percent-encoded), e.g.
   * `https://acme.service-now.com/nav_to.do?uri=cmdb_ci_business_app.do?sysparm_query=number={id}`.
   */
  recordUrl?: string;
  /** Finding records by name; absent = no search. */
  search?: SearchPolicy;
  /** Where a developer asks for a new asset ID (a link, never requested). */
  requestUrl?: string;
}
export interface CatalogPolicy { annotation?: string; kinds?: string[]; required?: boolean }
export interface Policy {
  schemes: Scheme[];
  maxLength?: number;
  lookup?: LookupPolicy;
  catalog?: CatalogPolicy;
}
export interface CheckOptions {
  /**
   * Accept only this scheme, or any of these (in policy order; duplicates count once; at most
   * 1024 names). An unknown name throws (code "unknown_scheme"); an empty list, a longer one or
   * a name that is not a string throws a TypeError (code "invalid_argument").
   */
  scheme?: string | string[];
}
/** A fetch-compatible function, e.g. Backstage's `fetchApi.fetch`. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;
export interface ValidateOptions extends CheckOptions {
  fetch?: FetchLike;
  signal?: AbortSignal;
}
/**
 * Thrown for a caller's mistake: a refused policy (`invalid_policy`, with `path`, e.g.
 * `schemes[1].pattern`; `''` for the whole policy), an unknown scheme (`unknown_scheme`), an
 * argument of the wrong type (`invalid_argument`, a `TypeError`).
 */
export interface AssetIdError extends Error { code: CallerErrorCode; path?: string }
/** Options of `search`: at most `limit` records (capped by `lookup.search.limit`), IDs of `scheme`. */
export interface SearchOptions extends ValidateOptions {
  limit?: number;
}
/** What `search` found: records re-checked by the core, `more` when more matched than returned. */
export interface SearchResult {
  /** The text searched (trimmed). */
  query: string;
  records: AssetRecord[];
  more: boolean;
  /** `lookup_unavailable` when the CMDB could not answer. */
  issues: Issue[];
}
/** The format checks (every build; the npm entries implement them over the packed transfer). */
export interface AssetIdValidator {
  /** Check the format of one value: synchronous, no I/O. */
  checkFormat(value: unknown, options?: CheckOptions | null): Verdict;
  /** Check the format of many values in one call (one boundary crossing for all verdicts). */
  checkFormatMany(values: unknown[], options?: CheckOptions | null): Verdict[];
}
/** The catalog rules applied to one entity (`checkEntity`, `validateEntities`). */
export interface EntityCheck {
  /** False: not an entity the policy checks (apiVersion `backstage.io/*`, kind in `catalog.kinds`). */
  checked: boolean;
  /** The normalized ID when the annotation's value is valid, else null. */
  value: string | null;
  /** `missing_annotation` (when required), or the annotation value's verdict issues. */
  issues: Issue[];
  /** The annotation value's verdict (with `record` after a lookup); null when not checked or no annotation. */
  verdict: Verdict | null;
  /**
   * For a catalog status annotation: `'valid'`, `'unavailable'` (the first error is
   * `lookup_unavailable`, or the only trouble is a `lookup_unavailable` warning), or the first
   * error's code; null when not checked, or without an annotation when none is required.
   */
  status: 'valid' | 'unavailable' | IssueCode | null;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "Policy | string")]
    pub type PolicyArg;
    #[wasm_bindgen(typescript_type = "CheckOptions")]
    pub type CheckOptionsArg;
    #[cfg(feature = "lookup")]
    #[wasm_bindgen(typescript_type = "ValidateOptions")]
    pub type ValidateOptionsArg;
    #[cfg(feature = "lookup")]
    #[wasm_bindgen(typescript_type = "unknown[]")]
    pub type ValuesArg;
    #[cfg(feature = "lookup")]
    #[wasm_bindgen(typescript_type = "Promise<Verdict>")]
    pub type VerdictPromise;
    #[cfg(feature = "lookup")]
    #[wasm_bindgen(typescript_type = "Promise<Verdict[]>")]
    pub type VerdictsPromise;
    #[wasm_bindgen(typescript_type = "EntityCheck")]
    pub type EntityCheckOut;
    #[cfg(feature = "lookup")]
    #[wasm_bindgen(typescript_type = "SearchOptions")]
    pub type SearchOptionsArg;
    #[cfg(feature = "lookup")]
    #[wasm_bindgen(typescript_type = "Promise<SearchResult>")]
    pub type SearchPromise;
    #[cfg(feature = "lookup")]
    #[wasm_bindgen(typescript_type = "Promise<EntityCheck[]>")]
    pub type EntityChecksPromise;

}

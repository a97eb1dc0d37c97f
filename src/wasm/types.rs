//! The TypeScript section of the generated `.d.ts` and the JS types of the class's arguments.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Stable, machine-readable issue codes. */
export type IssueCode =
  | 'empty' | 'invalid_type' | 'too_long' | 'invalid_characters' | 'pattern_mismatch'
  | 'checksum_mismatch' | 'not_found' | 'retired' | 'ambiguous' | 'lookup_unavailable'
  | 'missing_annotation' | 'invalid_yaml';
export type Severity = 'error' | 'warning';
export interface Issue { code: IssueCode; severity: Severity; message: string; hint?: string }
export interface AssetRecord {
  id: string; name?: string; status?: string;
  fields: Record<string, string | number | boolean | null | object>;
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
}
export interface CatalogPolicy { annotation?: string; kinds?: string[]; required?: boolean }
export interface Policy {
  schemes: Scheme[];
  maxLength?: number;
  lookup?: LookupPolicy;
  catalog?: CatalogPolicy;
}
export interface CheckOptions {
  /** Restrict to this scheme; an unknown name throws (code "unknown_scheme"). */
  scheme?: string;
}
/** A fetch-compatible function, e.g. Backstage's `fetchApi.fetch`. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;
export interface ValidateOptions extends CheckOptions {
  fetch?: FetchLike;
  signal?: AbortSignal;
}
/** Thrown for a caller's mistake: a refused policy or an unknown scheme. */
export interface AssetIdError extends Error { code: 'invalid_policy' | 'unknown_scheme'; path?: string }
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "Policy | string")]
    pub type PolicyArg;
    #[wasm_bindgen(typescript_type = "CheckOptions")]
    pub type CheckOptionsArg;
    #[wasm_bindgen(typescript_type = "ValidateOptions")]
    pub type ValidateOptionsArg;
    #[wasm_bindgen(typescript_type = "unknown[]")]
    pub type ValuesArg;
    #[wasm_bindgen(typescript_type = "Verdict")]
    pub type VerdictOut;
    #[wasm_bindgen(typescript_type = "Verdict[]")]
    pub type VerdictsOut;
    #[wasm_bindgen(typescript_type = "Promise<Verdict>")]
    pub type VerdictPromise;
    #[wasm_bindgen(typescript_type = "Promise<Verdict[]>")]
    pub type VerdictsPromise;

}

export type {
  IssueCode,
  CallerErrorCode,
  AssetIdErrorCode,
  EntityCheck,
  Severity,
  Issue,
  AssetRecord,
  Verdict,
  NormalizeStep,
  ChecksumAlgorithm,
  Scheme,
  ServiceNowLookup,
  HttpLookup,
  RegistryRecord,
  RegistryLookup,
  SearchPolicy,
  SearchOptions,
  SearchResult,
  LookupPolicy,
  CatalogPolicy,
  Policy,
  CheckOptions,
  FetchLike,
  ValidateOptions,
  AssetIdError,
} from '../pkg/web/asset_id.js';
export { AssetIdValidator } from '../pkg/web/asset_id.js';

/** Where the `.wasm` can come from when not next to the package (browser entry only). */
export type WasmSource = string | URL | Request | Response | BufferSource | WebAssembly.Module;

/**
 * Resolves when the module is ready. In Node it resolves at once; in browsers it fetches and
 * instantiates the `.wasm` once (pass `input` to load it from elsewhere).
 */
export function ready(input?: WasmSource | Promise<Response>): Promise<void>;

/** Synchronous initialisation from bytes or a compiled module (for Jest); a no-op in Node. */
export function initSync(module: BufferSource | WebAssembly.Module): void;

declare module '../pkg/web/asset_id.js' {
  interface AssetIdValidator {
    /**
     * Find CMDB records by (part of) their name or ID (the policy's `lookup.search`): one request,
     * every row re-checked by the core (format and `scheme`, every word in a search field, retired
     * records left out unless `includeRetired`, only the policy's listed fields). Rejects with
     * `invalid_argument` without `lookup.search`, for a text shorter than `minLength` or longer
     * than 64 characters, or a bad `limit`; a CMDB outage is a `lookup_unavailable` issue.
     *
     * **Node only** (the package's Node entry): browsers search through the asset-id backend
     * plugin (`POST /api/asset-id/v1/search`), which keeps the browser's `.wasm` small. Undefined
     * in the browser build.
     */
    search?(text: string, options?: SearchOptions): Promise<SearchResult>;
  }
}

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
  CmdbCredential,
  CmdbCredentials,
  UseCredentialsOptions,
  AssetIdError,
} from '../pkg/web/asset_id.js';
export { AssetIdValidator } from '../pkg/web/asset_id.js';

export type { WasmSource } from './format.js';
import type { WasmSource } from './format.js';

/**
 * Resolves when the module is ready. In Node it resolves at once; in browsers it fetches and
 * instantiates the `.wasm` once (pass `input` to load it from elsewhere).
 */
export function ready(input?: WasmSource | Promise<Response>): Promise<void>;

/** Synchronous initialisation from bytes or a compiled module (for Jest); a no-op in Node. */
export function initSync(module: BufferSource | WebAssembly.Module): void;

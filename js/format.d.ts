// `asset-id/format`: the format build (policy, format rules, checkFormat/checkFormatMany,
// checkEntity, schemeNames). No lookup engine: `validate`, `validateMany`, `validateEntities`
// and `search` are the root entry's (`asset-id`).
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
  LookupPolicy,
  CatalogPolicy,
  Policy,
  CheckOptions,
  AssetIdError,
} from '../pkg/format/asset_id.js';
export { AssetIdValidator } from '../pkg/format/asset_id.js';

/** Where the `.wasm` can come from when not next to the package (browser entry only). */
export type WasmSource = string | URL | Request | Response | BufferSource | WebAssembly.Module;

/**
 * Resolves when the module is ready. In Node it resolves at once; in browsers it fetches and
 * instantiates the `.wasm` once (pass `input` to load it from elsewhere).
 */
export function ready(input?: WasmSource | Promise<Response>): Promise<void>;

/** Synchronous initialisation from bytes or a compiled module (for Jest); a no-op in Node. */
export function initSync(module: BufferSource | WebAssembly.Module): void;

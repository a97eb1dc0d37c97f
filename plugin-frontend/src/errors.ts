/**
 * The one error vocabulary of this package: what can be wrong with the field's or the card's setup (as
 * opposed to a wrong asset ID, which is a verdict with `IssueCode`s from the core).
 */
import type { CallerErrorCode } from 'asset-id/format';

/**
 * Callers' mistakes reported by the core (`asset-id` npm package's `CallerErrorCode`, defined in Rust): a
 * refused policy, an unknown scheme, an argument of the wrong type.
 * @public
 */
export type CoreCallerErrorCode = CallerErrorCode;

/**
 * Why the field or the card cannot work, one code per cause:
 *
 * - `invalid_options`: the field's `ui:options` carry a key the field does not accept (a policy key such as
 *   `schemes`, `maxLength` or `lookup`: policy lives in the backend's app-config `assetId`), or a value of the
 *   wrong type or size.
 * - `backend_unavailable`: the asset-id backend plugin is not installed or not reachable (404, network
 *   error, an answer that is not the plugin's JSON).
 * - `backend_error`: the backend plugin answered with an error (400, 401, 5xx: its `{ error: { message } }`).
 * - `wasm_unavailable`: the WebAssembly validator could not be loaded in this browser.
 * - `invalid_policy`, `unknown_scheme`: the core's caller errors (the backend's policy refused by this
 *   page's core, e.g. a version skew; `ui:options.scheme` names no scheme of the policy).
 * @public
 */
export type AssetIdFieldErrorCode =
  | 'invalid_options'
  | 'backend_unavailable'
  | 'backend_error'
  | 'wasm_unavailable'
  | CoreCallerErrorCode;

/**
 * A mistake in the setup (template `ui:options`, a missing or unreachable backend plugin, ...), as
 * opposed to a wrong asset ID. Shown once, clearly, instead of breaking the form; never a verdict.
 * @public
 */
export class AssetIdConfigError extends Error {
  readonly code: AssetIdFieldErrorCode;
  /** Where the problem is, when known: `ui:options.schemes`, `schemes[0].pattern`, ... */
  readonly path?: string;
  /** The HTTP status of the backend's error answer, when there was one (400, 401, 404, 503, ...). */
  readonly status?: number;
  constructor(message: string, code: AssetIdFieldErrorCode, path?: string, status?: number) {
    super(message);
    this.name = 'AssetIdConfigError';
    this.code = code;
    if (path !== undefined) this.path = path;
    if (status !== undefined) this.status = status;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The message shown for a setup problem (AssetIdConfigError, or anything unexpected). */
export function configErrorMessage(error: unknown): string {
  if (error instanceof AssetIdConfigError) return error.message;
  return `Asset ID field misconfigured: ${errorMessage(error)}`;
}

/*
 * Errors of this package that keep the core's machine-readable `code` and `path` (issue codes and caller-error
 * codes are defined once, in the Rust core; the npm package's errors carry them).
 */
import { InputError } from '@backstage/errors';
import type { CallerErrorCode } from 'asset-id';

/** A caller's mistake reported as Backstage's InputError (HTTP 400), with the core's code and path kept. */
export class AssetIdInputError extends InputError {
  // Backstage's error middleware maps errors by name: keep InputError's so this is a 400.
  override name = 'InputError' as const;
  readonly code: CallerErrorCode;
  readonly path?: string;

  constructor(message: string, code: CallerErrorCode, path?: string) {
    super(message);
    this.code = code;
    if (path !== undefined) this.path = path;
  }
}

/** A refused `assetId` configuration (the policy or a backend setting): the backend does not start. */
export class AssetIdConfigError extends Error {
  override name = 'AssetIdConfigError' as const;
  readonly code: CallerErrorCode;
  readonly path?: string;

  constructor(message: string, code: CallerErrorCode, path?: string) {
    super(message);
    this.code = code;
    if (path !== undefined) this.path = path;
  }
}

// Keyed by the core's union, so tsc fails when the core adds or drops a caller-error code.
const CALLER_ERROR_CODES: Record<CallerErrorCode, true> = {
  invalid_policy: true,
  unknown_scheme: true,
  invalid_argument: true,
};
const isCallerErrorCode = (v: unknown): v is CallerErrorCode =>
  typeof v === 'string' && Object.prototype.hasOwnProperty.call(CALLER_ERROR_CODES, v);

/** The `code` and `path` of an error thrown by the npm package (`AssetIdError`), when it has them. */
export function coreErrorParts(error: unknown): { message: string; code?: CallerErrorCode; path?: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (typeof error !== 'object' || error === null) return { message };
  const { code, path } = error as { code?: unknown; path?: unknown };
  return {
    message,
    ...(isCallerErrorCode(code) ? { code } : {}),
    ...(typeof path === 'string' ? { path } : {}),
  };
}

/*
 * What the catalog processor's status annotation says about an entity, read back by `GET /v1/coverage` and the
 * Tech Insights facts. The status itself is decided once, by the core's catalog rules in the processor
 * (AssetIdEntityProcessor: `valid`, the first error code, `unavailable`, `pending`); this file only reads it.
 *
 * The annotation crosses a trust boundary: the processor overwrites or removes it on every pass, but an app
 * without the catalog module, or an entity not yet processed, can carry anything there. A value is taken as a
 * status only when it looks like one (lower-case letters, digits and `_`, starting with a letter, at most 64
 * characters); anything else counts as `other`. No status annotation: `unchecked`.
 */
import type { CoverageStatus } from '@asset-id/backstage-plugin-asset-id-common';

/** No status annotation: not processed yet, not a checked entity, or no asset ID where none is required. */
export const UNCHECKED = 'unchecked';
/** A status annotation that is not a status (not written by the processor). */
export const OTHER = 'other';

const STATUS = /^[a-z][a-z0-9_]{0,63}$/;

/** Statuses that mean the entity carries no asset ID (or none that is a status). */
const WITHOUT_ID: ReadonlySet<string> = new Set([UNCHECKED, OTHER, 'missing_annotation', 'empty']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The entity's asset-ID status as the processor wrote it to `statusAnnotation`. */
export function entityStatus(entity: unknown, statusAnnotation: string): CoverageStatus {
  const metadata = isRecord(entity) ? entity.metadata : undefined;
  const annotations = isRecord(metadata) ? metadata.annotations : undefined;
  if (!isRecord(annotations) || !Object.prototype.hasOwnProperty.call(annotations, statusAnnotation)) return UNCHECKED;
  const value = annotations[statusAnnotation];
  return typeof value === 'string' && STATUS.test(value) ? value : OTHER;
}

/** Whether a status says the entity has an asset ID (valid or not): not unchecked, missing, blank or unreadable. */
export function statusHasAssetId(status: CoverageStatus): boolean {
  return !WITHOUT_ID.has(status);
}

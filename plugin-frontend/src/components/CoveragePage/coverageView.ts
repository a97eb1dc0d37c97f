/** What the coverage page shows, from the backend's coverage and the catalog's entities: pure, no React. */
import { parseEntityRef, stringifyEntityRef, type Entity } from '@backstage/catalog-model';
import type { AssetIdCoverage, AssetIdOwnerCoverage } from '../../api/AssetIdApi';
import type { FormatPolicy } from '../../api/AssetIdClient';

/** The status annotation's values the page names; any other value is shown as it is. */
export const STATUS_LABELS: Record<string, string> = {
  valid: 'Valid',
  retired: 'Retired',
  not_found: 'Not in the CMDB',
  missing_annotation: 'No asset ID',
  unavailable: 'CMDB unavailable',
  pending: 'Pending (lookup queued)',
  invalid_format: 'Not a valid asset ID',
  empty: 'Empty asset ID',
  unchecked: 'Not checked yet',
  other: 'Other',
};

/** The backend's owner line for entities without `spec.owner`. */
export const UNOWNED = 'unowned';

/**
 * An owner as a full entity ref (`guests` -> `group:default/guests`, the catalog's own defaults for
 * `spec.owner`), or undefined when it is not a ref (then it is shown as text, never linked).
 */
export function ownerRef(owner: string, namespace = 'default'): string | undefined {
  if (owner === UNOWNED) return undefined;
  try {
    return stringifyEntityRef(parseEntityRef(owner, { defaultKind: 'group', defaultNamespace: namespace }));
  } catch {
    return undefined;
  }
}

/** The label of a status: only the table's own names (a status such as `constructor` or `__proto__` is shown as it is). */
export const statusLabel = (status: string): string =>
  Object.prototype.hasOwnProperty.call(STATUS_LABELS, status) ? STATUS_LABELS[status] : status;

/**
 * The annotation the catalog processor writes the status to: design.md's default
 * `<catalog.annotation>-status` (the backend's `/v1/policy` does not carry `catalog.statusAnnotation`), or
 * undefined when the policy has no `catalog.annotation`.
 */
export function statusAnnotationOf(policy: FormatPolicy): string | undefined {
  const annotation = policy.catalog?.annotation;
  return annotation ? `${annotation}-status` : undefined;
}

/** Most entities listed under "needing attention" (the catalog query's `limit`). */
export const MAX_ATTENTION_ROWS = 500;

/** Share as a whole percent, rounded down (99.6 % valid is not "100 %"); 0 when there is nothing. */
export function percent(part: number, whole: number): number {
  return whole > 0 ? Math.floor((part * 100) / whole) : 0;
}

export interface StatusRow {
  status: string;
  label: string;
  count: number;
  percent: number;
}

/** The statuses, valid first, then by count (most first), then by name; zero counts left out. */
export function statusRows(coverage: AssetIdCoverage): StatusRow[] {
  return Object.entries(coverage.byStatus)
    .filter(([, count]) => count > 0)
    .sort(([a, x], [b, y]) => (a === 'valid' ? -1 : b === 'valid' ? 1 : y - x || a.localeCompare(b)))
    .map(([status, count]) => ({ status, label: statusLabel(status), count, percent: percent(count, coverage.total) }));
}

/** The owners, those with the most entities needing attention first, then by name. */
export function ownerRows(coverage: AssetIdCoverage): Array<AssetIdOwnerCoverage & { percent: number }> {
  return [...coverage.byOwner]
    .sort((a, b) => b.total - b.valid - (a.total - a.valid) || a.owner.localeCompare(b.owner))
    .map(o => ({ ...o, percent: percent(o.valid, o.total) }));
}

/**
 * The statuses of the coverage that need attention and can be asked of the catalog by value: every counted
 * status but `valid`, `unchecked` (no annotation) and `other` (an annotation value that is not a status).
 */
export function attentionStatuses(coverage: AssetIdCoverage): string[] {
  return Object.entries(coverage.byStatus)
    .filter(([status, count]) => count > 0 && status !== 'valid' && status !== 'unchecked' && status !== 'other')
    .map(([status]) => status)
    .sort();
}

export interface AttentionRow {
  entityRef: string;
  title?: string;
  owner?: string;
  status: string;
  label: string;
}

/**
 * The entities whose status annotation is there and is not `valid` (an entity the processor has not seen
 * yet has none and is not listed), sorted by status then by ref.
 */
export function attentionRows(entities: Entity[], statusAnnotation: string): AttentionRow[] {
  const rows: AttentionRow[] = [];
  for (const entity of entities) {
    const status = entity.metadata.annotations?.[statusAnnotation];
    if (typeof status !== 'string' || status === 'valid') continue;
    const owner = (entity.spec as { owner?: unknown } | undefined)?.owner;
    const ref = typeof owner === 'string' ? ownerRef(owner, entity.metadata.namespace ?? 'default') : undefined;
    rows.push({
      entityRef: stringifyEntityRef(entity),
      ...(typeof entity.metadata.title === 'string' ? { title: entity.metadata.title } : {}),
      ...(ref ? { owner: ref } : {}),
      status,
      label: statusLabel(status),
    });
  }
  return rows.sort((a, b) => a.status.localeCompare(b.status) || a.entityRef.localeCompare(b.entityRef));
}

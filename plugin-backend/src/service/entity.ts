/*
 * The catalog rules come from the core (`AssetIdValidator.checkEntity`): which entities are checked (apiVersion
 * backstage.io/*, kind in catalog.kinds), the annotation, `required`, blank and non-string values. This file only
 * adapts the result to the backend's cached lookups.
 */
import type { EntityCheck, Verdict } from 'asset-id';

/**
 * The status of a verdict as the core words it for `EntityCheck.status`: `unavailable` when the first error is
 * `lookup_unavailable` or the only problem is a `lookup_unavailable` warning, else the first error code, else
 * `valid`. Used for verdicts that come from the backend's cache; a test checks it against the core's
 * `validateEntities` on every lookup case.
 */
export function statusOf(verdict: Verdict): NonNullable<EntityCheck['status']> {
  const firstError = verdict.issues.find(issue => issue.severity === 'error');
  if (firstError) return firstError.code === 'lookup_unavailable' ? 'unavailable' : firstError.code;
  return verdict.issues.some(issue => issue.code === 'lookup_unavailable') ? 'unavailable' : 'valid';
}

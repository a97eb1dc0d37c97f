/*
 * The catalog rules come from the core (`AssetIdValidator.checkEntity`): which entities are checked (apiVersion
 * backstage.io/*, kind in catalog.kinds), the annotation, `required`, blank and non-string values. This file only
 * adapts the result to the backend's cached lookups.
 */
import type { Issue, Verdict } from 'asset-id';

/** The core's answer for one catalog entity (npm package `asset-id`, `AssetIdValidator.checkEntity`). */
export interface EntityCheck {
  /** false: not an entity the policy checks (apiVersion/kind); issues empty, status null. */
  checked: boolean;
  /** The normalized ID when the annotation's value is valid, else null. */
  value: string | null;
  /** missing_annotation (when required), or the annotation value's verdict issues. */
  issues: Issue[];
  /** The annotation value's verdict; null when not checked or no annotation. */
  verdict: Verdict | null;
  /** 'valid' | 'unavailable' | the first error code; null when not checked, or absent and not required. */
  status: string | null;
}

/**
 * The status of a verdict as the core words it for `EntityCheck.status`: `unavailable` when the first error is
 * `lookup_unavailable` or the only problem is a `lookup_unavailable` warning, else the first error code, else
 * `valid`. Used for verdicts that come from the backend's cache; a test checks it against the core's
 * `validateEntities` on every lookup case.
 */
export function statusOf(verdict: Verdict): string {
  const firstError = verdict.issues.find(issue => issue.severity === 'error');
  if (firstError) return firstError.code === 'lookup_unavailable' ? 'unavailable' : firstError.code;
  return verdict.issues.some(issue => issue.code === 'lookup_unavailable') ? 'unavailable' : 'valid';
}

/*
 * What a caller outside the backend may see of a verdict: `record.fields` carries only the columns the policy
 * lists (`lookup.servicenow.fields`); the rest of a CMDB row (columns the lookup needed, e.g. for retiredWhen, or
 * everything an HTTP/registry source returned) stays in the backend. `record.id`, `name` and `status` are the
 * verdict's own.
 */
import type { Policy } from 'asset-id';
import type { AssetIdVerdict } from './verdictCache';

export function listedFields(policy: Policy): ReadonlySet<string> {
  const fields = policy.lookup?.source === 'servicenow' ? policy.lookup.servicenow?.fields : undefined;
  return new Set(Array.isArray(fields) ? fields.filter((f): f is string => typeof f === 'string') : []);
}

export function publicVerdict(verdict: AssetIdVerdict, listed: ReadonlySet<string>): AssetIdVerdict {
  if (!verdict.record) return verdict;
  const fields = Object.fromEntries(Object.entries(verdict.record.fields ?? {}).filter(([key]) => listed.has(key)));
  return { ...verdict, record: { ...verdict.record, fields } };
}

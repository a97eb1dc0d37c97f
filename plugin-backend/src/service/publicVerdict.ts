/*
 * What a caller outside the backend may see of a verdict: `record.fields` carries only the columns the policy
 * lists: `lookup.servicenow.fields`, or the columns of inline `lookup.registry.records` (written in the policy
 * itself). The rest of a CMDB row (columns the lookup needed, e.g. for retiredWhen, or everything an HTTP source
 * or a fetched registry returned) stays in the backend. `record.id`, `name`, `status` and `url` are the verdict's.
 */
import type { Policy } from 'asset-id';
import type { AssetIdVerdict } from './verdictCache';

export function listedFields(policy: Policy): ReadonlySet<string> {
  const lookup = policy.lookup;
  if (lookup?.source === 'servicenow') {
    const fields = lookup.servicenow?.fields;
    return new Set(Array.isArray(fields) ? fields.filter((f): f is string => typeof f === 'string') : []);
  }
  if (lookup?.source === 'registry' && Array.isArray(lookup.registry?.records)) {
    return new Set(lookup.registry.records.flatMap(r => Object.keys(r)));
  }
  return new Set();
}

export function publicVerdict(verdict: AssetIdVerdict, listed: ReadonlySet<string>): AssetIdVerdict {
  if (!verdict.record) return verdict;
  const fields = Object.fromEntries(Object.entries(verdict.record.fields ?? {}).filter(([key]) => listed.has(key)));
  return { ...verdict, record: { ...verdict.record, fields } };
}

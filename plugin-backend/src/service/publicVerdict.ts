/*
 * What a caller outside the backend may see of a verdict: `record.fields` carries only the columns the policy
 * lists: `lookup.servicenow.fields`, or the columns of inline `lookup.registry.records` (written in the policy
 * itself). The rest of a CMDB row (columns the lookup needed, e.g. for retiredWhen, or everything an HTTP source
 * or a fetched registry returned) stays in the backend. `record.id`, `name`, `status` and `url` are the verdict's.
 *
 * Why a lookup failed (`lookup_unavailable`, and `stale.reason`) stays in the backend too: the reason can name the
 * CMDB's or the token endpoint's URL, an internal host or address (`connect ECONNREFUSED 10.0.0.5:443`), a
 * redirect target or the token endpoint's error text. Callers read that the CMDB could not answer; the verdict
 * cache logs the reason (once a minute per reason).
 */
import type { AssetRecord, Issue, Policy } from 'asset-id';
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

/**
 * The fields a search result (`POST /v1/search`, the action `asset-id:search-assets`) shows: the listed ones and
 * the fields searched (`lookup.search.fields`, which the policy lists too).
 */
export function searchListedFields(policy: Policy): ReadonlySet<string> {
  return new Set([...listedFields(policy), ...(policy.lookup?.search?.fields ?? [])]);
}

/** A search result's record as a caller sees it: `fields` limited to `listed` (see `searchListedFields`). */
export function publicRecord(record: AssetRecord, listed: ReadonlySet<string>): AssetRecord {
  return { ...record, fields: Object.fromEntries(Object.entries(record.fields ?? {}).filter(([key]) => listed.has(key))) };
}

/** What a caller reads instead of a lookup failure's reason. */
export const HIDDEN_REASON = 'the CMDB could not answer (the reason is in the backend log)';

const UNAVAILABLE = /^(could not check .* in (?:the CMDB|the asset registry)): /s;

function publicIssue(issue: Issue): Issue {
  if (issue.code !== 'lookup_unavailable') return issue;
  const head = UNAVAILABLE.exec(issue.message)?.[1] ?? 'could not check the asset ID';
  return { ...issue, message: `${head}: ${HIDDEN_REASON}` };
}

export function publicVerdict(verdict: AssetIdVerdict, listed: ReadonlySet<string>): AssetIdVerdict {
  const out: AssetIdVerdict = { ...verdict, issues: verdict.issues.map(publicIssue) };
  if (verdict.stale) out.stale = { since: verdict.stale.since, reason: HIDDEN_REASON };
  if (!verdict.record) return out;
  const fields = Object.fromEntries(Object.entries(verdict.record.fields ?? {}).filter(([key]) => listed.has(key)));
  return { ...out, record: { ...verdict.record, fields } };
}

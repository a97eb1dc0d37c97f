/** What the entity card shows for a verdict: pure, no React. */
import type { AssetRecord, IssueCode, Verdict } from 'asset-id/format';
import { asText, safeLink } from '../../messages';

/** The card's states; exposed as `data-state` on the card for tests and styling. */
export type EntityAssetIdCardState =
  | 'loading'
  | 'config-error'
  | 'not-checked'
  | 'no-annotation'
  | 'unavailable'
  | 'not-found'
  | 'retired'
  | 'invalid'
  | 'valid';

const BY_CODE: Partial<Record<IssueCode, EntityAssetIdCardState>> = {
  empty: 'no-annotation',
  not_found: 'not-found',
  retired: 'retired',
  lookup_unavailable: 'unavailable',
};

/**
 * The state of a verdict: `unavailable` whenever the CMDB could not answer (even as a warning, since the
 * record is then unknown); otherwise the first error's state (`invalid` for a format problem); `valid`.
 */
export function verdictState(verdict: Verdict): EntityAssetIdCardState {
  if (verdict.issues.some(i => i.code === 'lookup_unavailable')) return 'unavailable';
  const first = verdict.issues.find(i => i.severity === 'error');
  if (!first) return 'valid';
  return BY_CODE[first.code] ?? 'invalid';
}

/** The annotation holding the link to edit an entity's source (Backstage's well-known annotation). */
export const EDIT_URL_ANNOTATION = 'backstage.io/edit-url';

/** Most records the card suggests. */
export const MAX_SUGGESTIONS = 3;

/**
 * The text the card searches for an entity without its asset: its `metadata.title`, else its
 * `metadata.name` with `-` and `_` as spaces; white space collapsed; cut to 64 characters at a word
 * boundary when it can be. Undefined when there is nothing to search.
 */
export function suggestionQuery(title: unknown, name: unknown): string | undefined {
  const source =
    typeof title === 'string' && title.trim() !== ''
      ? title
      : typeof name === 'string'
        ? name.replace(/[-_]+/g, ' ')
        : '';
  const text = source.slice(0, 1024).replace(/\s+/g, ' ').trim();
  const chars = [...text];
  if (chars.length === 0) return undefined;
  if (chars.length <= 64) return text;
  const cut = chars.slice(0, 64).join('');
  const space = cut.lastIndexOf(' ');
  return (space > 0 ? cut.slice(0, space) : cut).trim();
}

/** The record's link, only for an http(s) URL (a `javascript:` or other URL from the CMDB is never a link). */
export function recordLink(record: AssetRecord | null | undefined): string | undefined {
  return safeLink((record as (AssetRecord & { url?: unknown }) | null | undefined)?.url);
}

/** Longest text shown for one record field (longer values are cut, with an ellipsis). */
export const MAX_FIELD_CHARS = 500;

/** A record field's value as text. */
export function fieldText(value: unknown): string {
  const text = asText(value);
  return text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS)}…` : text;
}

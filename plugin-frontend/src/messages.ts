/** How verdicts read in the field, the form's error list and the card: written once, used everywhere. */
import type { Issue, Verdict } from 'asset-id/format';

/** One issue as a line of text: the core's message, then its hint. */
export function issueText(issue: Issue): string {
  return issue.hint ? `${issue.message} — ${issue.hint}` : issue.message;
}

/** The lines of a verdict's blocking issues (what the form's validator reports, one error each). */
export function errorLines(verdict: Verdict): string[] {
  return verdict.issues.filter(i => i.severity === 'error').map(issueText);
}

/** The verdict's warnings as one sentence. */
export function warningText(verdict: Verdict): string {
  return verdict.issues
    .filter(i => i.severity === 'warning')
    .map(i => i.message)
    .join(' ');
}

/** What a valid verdict reads: the record found, or the scheme that accepted the value. */
export function describeValid(verdict: Verdict): string {
  const record = verdict.record;
  let text: string;
  if (record) {
    const name = record.name ?? record.id;
    text = `${verdict.value} — ${record.status ? `${name} (${record.status})` : name}`;
  } else {
    text = `${verdict.value} is a valid ${verdict.scheme ?? 'asset'} ID`;
  }
  const warnings = warningText(verdict);
  return warnings ? `${text}. ${warnings}` : text;
}

/** An empty value (absent or blank): required-ness is JSON Schema's job, not this package's. */
export function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

// C0/C1 controls, zero-width and bidi controls, line/paragraph separators, BOM: shown as U+FFFD
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u200b\u200e\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * CMDB text as one safe line: control, zero-width and bidi characters shown as U+FFFD, cut to `max`
 * characters (code points) with an ellipsis. Rendered by React as text, never as HTML.
 */
export function displayText(value: unknown, max: number): string {
  const text = asText(value);
  // cut before replacing: a huge value costs no more than `max` characters of work
  const chars = Array.from(text.length > max * 2 + 2 ? text.slice(0, max * 2 + 2) : text);
  const cut = chars.length > max ? `${chars.slice(0, max).join('')}…` : text;
  return cut.replace(HIDDEN, '\ufffd');
}

/** A CMDB value as text: strings as they are, numbers and booleans printed, anything else as JSON ('' if it cannot be). */
export function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/** An http(s) URL as a link target, else undefined (a `javascript:` or relative URL is never a link). */
export function safeLink(url: unknown): string | undefined {
  if (typeof url !== 'string' || url.length > 4096) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

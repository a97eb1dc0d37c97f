import type { Issue, Verdict } from 'asset-id';

/** "message (hint)" for one issue; the texts come from the WASM core's verdict. */
export function formatIssue(issue: Issue): string {
  return issue.hint ? `${issue.message} (${issue.hint})` : issue.message;
}

/** All issues of the given severity, joined for a log line or an error message. */
export function formatIssues(verdict: Verdict, severity: Issue['severity']): string {
  return verdict.issues
    .filter(issue => issue.severity === severity)
    .map(formatIssue)
    .join('; ');
}

/** Error-severity issue codes of a verdict. */
export function errorCodes(verdict: Verdict): string[] {
  return verdict.issues.filter(i => i.severity === 'error').map(i => i.code);
}

/** Longest part of a caller's value repeated in a message or log line. */
export const MAX_SHOWN_CHARS = 80;

/**
 * A caller's value as it may appear in a message or a log line: at most MAX_SHOWN_CHARS characters (then `…`),
 * with control, format (zero-width, bidirectional) and line-separator characters written as `\u{...}` escapes, so a
 * value cannot forge log lines, hide text or blow up a message.
 */
export function shownValue(value: string): string {
  const chars = [...value];
  const cut = chars.length > MAX_SHOWN_CHARS ? `${chars.slice(0, MAX_SHOWN_CHARS).join('')}…` : value;
  return cut.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, c => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase()}}`);
}

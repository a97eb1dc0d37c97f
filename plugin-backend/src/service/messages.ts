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

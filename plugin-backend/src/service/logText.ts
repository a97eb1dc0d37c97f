/*
 * Text from the CMDB or from a user (record names and statuses, IDs, values, issue messages) as it may appear
 * in a log line or an error message: on one line, every invisible or line-breaking character shown, and cut.
 *
 * The rule is the CLI's `visible` (src/cli/: its `clean`, plus the core's hidden-character rule
 * `asset_id::chars::is_hidden`): `\n`, `\r` and `\t` are written as those escapes; every other control character
 * (C0, DEL, C1, so the ESC of an ANSI sequence too), U+2028/U+2029, and every format (zero-width, bidirectional
 * overrides and isolates, BOM), private-use, surrogate or unassigned character as `\u{1b}` (lower-case hex, as
 * the CLI prints it). Such text cannot start a log line of its own, colour a terminal, or reorder what a reader
 * sees. (Unassigned is JavaScript's Unicode version here, the core's table's in the CLI: they may differ on
 * characters assigned by the newest Unicode release.)
 */

/** Longest text (in characters, before escaping) kept by `logText`; longer text is cut and ends with `…`. */
export const LOG_TEXT_MAX_CHARS = 200;

// Cc (C0, DEL, C1), Cf (format: bidi, zero-width, BOM), Co (private use), Cs (lone surrogates), Cn (unassigned),
// and the line and paragraph separators.
const ESCAPED = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}\u2028\u2029]/gu;

function escape(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return `\\u{${c.codePointAt(0)!.toString(16)}}`;
}

/**
 * `value` made safe for a log line: at most `maxChars` characters (then `…`), with control, line-break,
 * bidirectional, format and other invisible characters written as escapes (`\n`, `\u{1b}`, `\u{202e}`).
 */
export function logText(value: string, maxChars: number = LOG_TEXT_MAX_CHARS): string {
  const chars = [...value];
  const cut = chars.length > maxChars ? `${chars.slice(0, maxChars).join('')}…` : value;
  return cut.replace(ESCAPED, escape);
}

//! The packed verdict codec: the compact verdict text decoded by js/verdicts.cjs (keep the two in step). Small numbers are
//! single UTF-16 units below U+8000; a string is its UTF-16 length (two 15-bit units) then its text.
//! Per verdict: flags, [scheme index], [echoed input], [value], issue count, then per issue:
//! code index | severity << 4 | has-hint << 5 | ends-with-expected << 6, message, [hint].
//! A message ending with [`Validator::expected`] (every `pattern_mismatch`) is sent without that
//! tail, which the JS side keeps once per validator (`expected()`): most of the text otherwise.

use crate::validator::{Checked, Input, Validator};
use crate::verdict::{Error, Severity};
use std::borrow::Cow;

/// Non-string kinds as the npm entries number them (`typeof`, with arrays apart); 0 is
/// null/undefined.
pub const KINDS: [&str; 8] = [
    "missing", "number", "boolean", "object", "array", "bigint", "symbol", "function",
];

pub fn kind_input(kind: u32) -> Input<'static> {
    match KINDS.get(kind as usize) {
        Some(name) if kind > 0 => Input::Other(name),
        _ => Input::Missing,
    }
}

/// `lens` values from here on are kinds, not lengths.
pub const KIND: u32 = 0xFFFF_FF00;

const VALID: u32 = 1;
const VALUE: u32 = 2;
const VALUE_IS_INPUT: u32 = 4;
const INPUT: u32 = 8;
const ECHO_INPUT: u32 = 16;
const SCHEME: u32 = 32;

fn small(out: &mut String, n: u32) {
    out.push(char::from_u32(n & 0x7FFF).unwrap_or('\0'));
}

fn text(out: &mut String, s: &str) {
    let n = if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    };
    small(out, (n >> 15) as u32);
    small(out, n as u32);
    out.push_str(s);
}

/// Byte length of the prefix of `s` that is `units` UTF-16 units long.
pub fn utf16_prefix(s: &str, units: usize) -> usize {
    if s.as_bytes().get(..units).is_some_and(|b| b.is_ascii()) {
        return units;
    }
    let mut seen = 0;
    for (i, c) in s.char_indices() {
        if seen >= units {
            return i;
        }
        seen += c.len_utf16();
    }
    s.len()
}

pub fn check(
    v: &Validator,
    out: &mut String,
    input: Input<'_>,
    scheme: Option<&[&str]>,
) -> Result<(), Error> {
    let raw = match input {
        Input::Str(s) => Some(s),
        _ => None,
    };
    // A valid value is packed straight from the check, without building its verdict.
    let (valid, index, value, issues) = match v.check(input, scheme)? {
        Checked::Valid { scheme, value } => (true, Some(scheme), Some(value), Vec::new()),
        // Only valid values have a scheme.
        Checked::Verdict(verdict) => (
            verdict.valid,
            None,
            verdict.value.map(Cow::Owned),
            verdict.issues,
        ),
    };
    let mut flags = 0;
    if valid {
        flags |= VALID;
    }
    if let Some(value) = &value {
        flags |= VALUE;
        if Some(&**value) == raw {
            flags |= VALUE_IS_INPUT;
        }
    }
    if let Some(r) = raw {
        flags |= INPUT;
        // The JS side keeps its own string unless the text encoder replaced a lone surrogate.
        if !r.is_ascii() && r.contains('\u{FFFD}') {
            flags |= ECHO_INPUT;
        }
    }
    if index.is_some() {
        flags |= SCHEME;
    }
    small(out, flags);
    if let Some(i) = index {
        small(out, i as u32);
    }
    if flags & ECHO_INPUT != 0 {
        text(out, raw.unwrap_or_default());
    }
    if flags & VALUE != 0 && flags & VALUE_IS_INPUT == 0 {
        text(out, value.as_deref().unwrap_or_default());
    }
    small(out, issues.len() as u32);
    let expected = v.expected();
    for issue in &issues {
        let severity = u32::from(issue.severity == Severity::Warning) << 4;
        let message = issue
            .message
            .strip_suffix(expected)
            .filter(|_| !expected.is_empty());
        small(
            out,
            issue.code as u32
                | severity
                | u32::from(issue.hint.is_some()) << 5
                | u32::from(message.is_some()) << 6,
        );
        text(out, message.unwrap_or(&issue.message));
        if let Some(h) = &issue.hint {
            text(out, h);
        }
    }
    Ok(())
}
